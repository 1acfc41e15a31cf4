"""Exercise 3 runs end to end through papermill after 01 and 02 on a fresh emulator, then a
second time with the same results; its key values are checked in the executed notebook."""

from __future__ import annotations

import re
import socket

import nbformat
import pytest

from tests.notebooks.sanitize import sanitize
from workshop_lib import exercise3 as ex3
from workshop_lib.connection import Workshop
from workshop_lib.emulator import process
from workshop_lib.runner import run_notebooks
from workshop_lib.settings import ENV_PORT

NOTEBOOK = "03_recommendations_api.ipynb"


def outputs(path) -> dict[str, str]:
    """Each code cell's output text (stdout and text/plain), sanitized, by the cell's source."""
    nb = nbformat.read(path, as_version=4)
    texts = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or "injected-parameters" in cell.metadata.get("tags", []):
            continue
        text = "".join(
            o.get("text", "")
            if o.output_type == "stream"
            else o.get("data", {}).get("text/plain", "")
            for o in cell.outputs
        )
        texts[cell.source] = sanitize(text)
    return texts


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """A fresh emulator; notebooks 01, 02 and 03 once, then 03 again."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_PORT, str(port))
        process.start(port)
        try:
            first = tmp_path_factory.mktemp("first")
            results = run_notebooks("local", output_dir=first, only=["01", "02", "03"])
            assert [r.status for r in results] == ["ok"] * 3, [r.error for r in results]
            second = tmp_path_factory.mktemp("second")
            [again] = run_notebooks("local", output_dir=second, only=["03"])
            assert again.status == "ok", again.error
            print(f"notebook 03: {results[-1].seconds:.1f} s, again {again.seconds:.1f} s")
            yield outputs(first / NOTEBOOK), outputs(second / NOTEBOOK)
        finally:
            process.stop(port)


def _cell(texts: dict[str, str], call: str) -> str:
    return next(text for source, text in texts.items() if call in source)


def test_campaigns_role_and_function(two_runs):
    first = two_runs[0]
    assert _cell(first, "check_campaigns").count("ACTIVE") == 3
    role = _cell(first, "create_role")
    assert '"personalize:GetRecommendations"' in role and "personalize:*" not in role
    assert "campaign/segment-personalize-user-personalization" in role
    function = _cell(first, "deploy_function")
    assert "recommendations_api.handler" in function and "Active" in function


def test_the_permission_turns_a_500_into_a_200(two_runs):
    first = two_runs[0]
    assert _cell(first, "create_api").count("Lambda proxy, payload 2.0") == 3
    before = _cell(first, "call_before_permission")
    assert before.startswith("HTTP 500") and '"message": "Internal Server Error"' in before
    statement = _cell(first, "grant_invoke")
    assert "arn:aws:execute-api:us-east-1:123456789012:API_ID/*" in statement
    after = _cell(first, "call_after_permission")
    assert after.startswith("HTTP 200") and "access-control-allow-origin: *" in after


def test_calls_return_rehydrated_items_and_bad_input_a_400(two_runs):
    first = two_runs[0]
    table = _cell(first, "ex3.recommendations(ws)")
    assert table.startswith("curl '")
    assert "127.0.0.1:PORT/_aws/execute-api/API_ID/recommendations?userId=" in table
    assert "filter=exclude-purchased" in table and "Basix" in table
    assert "related to " in _cell(first, "related_items")
    assert "ranked by user-personalization scores" in _cell(first, "ex3.ranking")
    bad = _cell(first, "bad_requests").splitlines()[1:]
    assert len(bad) == 6 and all(" 400 " in row for row in bad)
    assert any("userId is required" in row for row in bad)


def test_logs_hold_one_line_per_request_of_the_session(two_runs):
    logs = _cell(two_runs[0], "function_logs")
    assert logs.startswith("211 lines in /aws/lambda/segment-personalize-recommendations-api")
    assert '"status": 400' in logs and '"ms": MS' in logs
    counts = {" ".join(row.split()[:3]): row.split()[-1] for row in logs.splitlines()[3:]}
    assert counts["GET /recommendations 200"] == "203"  # 200 latency calls and 3 more
    assert "CloudWatch log group" in _cell(two_runs[0], "ex3.created")


def test_a_second_run_reuses_everything_and_shows_the_same(two_runs):
    first, second = two_runs
    assert list(first) == list(second)
    for source in list(first)[1:]:  # [0] says whether the emulator was started
        if not source.startswith("# NBVAL_IGNORE_OUTPUT"):
            assert first[source] == second[source], source


def test_latency_line(two_runs):
    line = _cell(two_runs[0], "measure_latency")
    found = re.match(r"200 calls, 200 answered 200: p50 ([\d.]+) ms, p95 ([\d.]+) ms", line)
    assert found and float(found[1]) <= float(found[2])


def test_without_notebook_02_it_says_to_run_it_first(aws_env):
    ws = Workshop(
        target="local",
        region="us-east-1",
        account_id="123456789012",
        caller_arn="arn:aws:sts::123456789012:user/moto",
        prefix="ex3-no-campaigns",
        bucket="ex3-no-campaigns-bucket",
        endpoint_url=aws_env.url,
    )
    with pytest.raises(ex3.RunNotebook02First, match=r"run notebook 02 \(02_personalize"):
        ex3.check_campaigns(ws)
