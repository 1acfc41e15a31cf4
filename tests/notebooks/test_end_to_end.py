"""The whole workshop, 01 -> 05, on one fresh emulator; afterwards nothing the kit created is
left: no Personalize resource, function, API, Glue job or database, role, bucket or Segment
source with the kit's names."""

from __future__ import annotations

import pytest

from tests.notebooks.fresh_emulator import cell, fresh_emulator, outputs
from tests.policy_lint import created_policies, problems
from workshop_lib import cleanup
from workshop_lib.runner import run_notebooks
from workshop_lib.segment import WORKSHOP_SOURCES, SegmentWorkspace
from workshop_lib.settings import DEFAULT_PREFIX

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def after_the_workshop(tmp_path_factory):
    with fresh_emulator(tmp_path_factory.mktemp("state")) as ws:
        out = tmp_path_factory.mktemp("out")
        results = run_notebooks("local", output_dir=out, only=["01", "02", "03", "04"])
        policies = created_policies(ws)  # before 05 deletes them
        results += run_notebooks("local", output_dir=out, only=["05"])
        for r in results:
            print(f"{r.notebook}: {r.status} in {r.seconds or 0:.1f} s")
        again = tmp_path_factory.mktemp("again")
        [rerun] = run_notebooks("local", output_dir=again, only=["05"])
        yield results, ws, rerun, outputs(again / "05_cleanup.ipynb"), policies


def test_every_notebook_ran(after_the_workshop):
    results, *_ = after_the_workshop
    assert [r.notebook[:2] for r in results] == ["01", "02", "03", "04", "05"]
    assert [r.status for r in results] == ["ok"] * 5, [r.error for r in results]


def test_the_policies_the_notebooks_create_pass_parliaments_lint(after_the_workshop):
    """An unknown action, or a resource that does not fit its action, fails on a real account."""
    policies = after_the_workshop[4]
    assert len(policies) >= 4, sorted(policies)  # Glue's, Personalize's, two functions', bucket
    found = [line for name, doc in policies.items() for line in problems(doc, name)]
    assert found == [], sorted(policies)


def test_nothing_the_kit_created_remains(after_the_workshop):
    ws = after_the_workshop[1]
    assert cleanup.leftovers(ws) == []
    mine = DEFAULT_PREFIX
    p = ws.client("personalize")
    assert [g for g in p.list_dataset_groups()["datasetGroups"] if g["name"].startswith(mine)] == []
    assert [s for s in p.list_schemas()["schemas"] if s["name"].startswith(mine)] == []
    functions = ws.client("lambda").list_functions()["Functions"]
    assert [f for f in functions if f["FunctionName"].startswith(mine)] == []
    roles = ws.client("iam").list_roles()["Roles"]
    assert [r for r in roles if r["RoleName"].startswith(mine)] == []
    assert [
        a for a in ws.client("apigatewayv2").get_apis()["Items"] if a["Name"].startswith(mine)
    ] == []
    assert [
        a for a in ws.client("apigateway").get_rest_apis()["items"] if a["name"].startswith(mine)
    ] == []
    assert [j for j in ws.client("glue").list_jobs()["JobNames"] if j.startswith(mine)] == []
    databases = ws.client("glue").get_databases()["DatabaseList"]
    assert [d for d in databases if d["Name"].startswith("segment_personalize")] == []
    assert ws.bucket not in [b["Name"] for b in ws.client("s3").list_buckets()["Buckets"]]
    assert [s for s in SegmentWorkspace(ws).sources() if s["name"] in WORKSHOP_SOURCES] == []


def test_cleanup_runs_again_with_nothing_to_do(after_the_workshop):
    _, ws, rerun, texts, _ = after_the_workshop
    assert rerun.status == "ok", rerun.error
    assert cell(texts, "cleanup.table(cleanup.leftovers(ws))") == "(nothing)"
    rows = cell(texts, "cleanup.everything(ws").splitlines()[1:]  # below the header
    assert [" ".join(row.split()) for row in rows] == [f"s3 bucket {ws.bucket} already gone"]
    assert "Nothing the kit created is left on the local target." in cell(texts, "advice")
