"""cfn-lint finds nothing in setup/workshop-stack.yaml, and its lifecycle script is the file's.

cfn-lint checks the template against CloudFormation's resource schemas (property names, types,
patterns, GetAtt attributes, conditions), in several Regions that run Personalize.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file
from stack_template import LIFECYCLE_SCRIPT, TEMPLATE, embedded_lifecycle_script, template

REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"]


def test_cfn_lint_reports_no_error_or_warning():
    matches = lint_file(TEMPLATE, config=ManualArgs(regions=REGIONS))
    assert not matches, "\n".join(f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches)


def test_the_template_is_plain_cloudformation():
    """No SAM transform: the stack deploys with CAPABILITY_IAM alone."""
    assert "Transform" not in template()
    assert template()["AWSTemplateFormatVersion"] == "2010-09-09"


def test_lifecycle_script_is_the_embedded_one():
    embedded = embedded_lifecycle_script()
    written = LIFECYCLE_SCRIPT.read_text()
    assert embedded == written, (
        "setup/sagemaker-lifecycle.sh and the OnStart text of NotebookLifecycle in "
        "setup/workshop-stack.yaml differ: copy the script into the template (indented)."
    )


def test_fn_sub_fills_in_only_two_parameters_and_the_stack_name_and_region():
    """Every ${...} in the script is one Fn::Sub resolves; shell variables use $NAME."""
    import re

    placeholders = set(re.findall(r"\$\{([^}]*)\}", LIFECYCLE_SCRIPT.read_text()))
    parameters = {"KitRepositoryUrl", "KitRepositoryBranch"}
    assert placeholders == parameters | {"AWS::StackName", "AWS::Region"}
    assert parameters <= set(template()["Parameters"])


def test_lifecycle_script_parses():
    result = subprocess.run(
        ["bash", "-n", str(LIFECYCLE_SCRIPT)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_lifecycle_script_is_shellcheck_clean():
    result = subprocess.run(
        ["shellcheck", str(LIFECYCLE_SCRIPT)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def _fake_instance(tmp_path: Path, url: str) -> tuple[Path, dict]:
    """The script with its folder under tmp_path and the repository URL filled in, as Fn::Sub
    would; `sudo -u ec2-user -H` and `chown` become stand-ins on PATH."""
    home = tmp_path / "SageMaker"
    home.mkdir()
    script = tmp_path / "on-start.sh"
    script.write_text(
        LIFECYCLE_SCRIPT.read_text()
        .replace("/home/ec2-user/SageMaker", str(home))
        .replace("${KitRepositoryUrl}", url)
        .replace("${KitRepositoryBranch}", "main")
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sudo").write_text(
        "#!/bin/bash\n"
        'while [ "$1" = -u ] || [ "$1" = -H ]; do [ "$1" = -u ] && shift; shift; done\n'
        'exec "$@"\n'
    )
    (bin_dir / "chown").write_text("#!/bin/sh\nexit 0\n")
    for tool in ("sudo", "chown"):
        (bin_dir / tool).chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return script, env


def _log_when_finished(log: Path, last_line: str) -> str:
    for _ in range(300):  # the background part ends within seconds here (no pip)
        if log.exists() and last_line in log.read_text():
            return log.read_text()
        time.sleep(0.1)
    return log.read_text() if log.exists() else "(no log)"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_lifecycle_script_returns_at_once_and_clones_in_the_background(tmp_path):
    """The script itself only starts the background part (SageMaker stops a lifecycle script
    after 5 minutes); that part clones the kit and says what is missing in the log."""
    repo = tmp_path / "kit.git"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "README.md").write_text("a kit without requirements.txt\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "README.md"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "kit"], check=True)
    script, env = _fake_instance(tmp_path, str(repo))

    started = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, env=env, check=False
    )

    home = tmp_path / "SageMaker"
    assert started.returncode == 0, started.stderr
    assert started.stdout == (
        f"workshop setup runs in the background; progress: {home}/workshop-setup.log\n"
    )
    log = _log_when_finished(home / "workshop-setup.log", "stop and start the notebook instance")
    assert f"cloning {repo} (main) into {home}/segment-personalize-workshop" in log
    assert (home / "segment-personalize-workshop" / "README.md").exists()
    assert f"No {home}/segment-personalize-workshop/requirements.txt" in log


def test_lifecycle_script_registers_the_kernel_the_notebooks_name():
    text = LIFECYCLE_SCRIPT.read_text()
    assert 'as_user "$VENV/bin/python" -m ipykernel install --user --name python3' in text
    # the kernel points the notebooks at this stack: no parameter to change on SageMaker
    assert '--env WORKSHOP_TARGET aws \\\n            --env WORKSHOP_STACK "$STACK_NAME"' in text
    assert '--env AWS_REGION "$STACK_REGION"' in text
    assert "VENV=$HOME_DIR/.workshop-venv" in text  # on the persistent volume
    assert "-m workshop_lib copy" in text  # learners edit my-notebooks/, not the golden ones
