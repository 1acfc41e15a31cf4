"""cfn-lint finds nothing in setup/workshop-stack.yaml, and its lifecycle script is the file's.

cfn-lint checks the template against CloudFormation's resource schemas (property names, types,
patterns, GetAtt attributes, conditions), in several Regions that run Personalize.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file
from stack_template import (
    LIFECYCLE_SCRIPT,
    ROOT,
    TEMPLATE,
    embedded_lifecycle_script,
    template,
)

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


def _fake_instance(
    tmp_path: Path, url: str, stack: str | None = None, region: str | None = None
) -> tuple[Path, dict]:
    """The script with its folder under tmp_path and the repository URL (and, when given, the
    stack's name and region) filled in, as Fn::Sub would; `sudo -u ec2-user -H` and `chown`
    become stand-ins on PATH."""
    home = tmp_path / "SageMaker"
    home.mkdir()
    script = tmp_path / "on-start.sh"
    text = (
        LIFECYCLE_SCRIPT.read_text()
        .replace("/home/ec2-user/SageMaker", str(home))
        .replace("${KitRepositoryUrl}", url)
        .replace("${KitRepositoryBranch}", "main")
    )
    if stack and region:
        text = text.replace("${AWS::StackName}", stack).replace("${AWS::Region}", region)
    script.write_text(text)
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


def _log_when_finished(log: Path, last_line: str, seconds: float = 30) -> str:
    for _ in range(int(seconds * 10)):  # the background part ends within seconds here (no pip)
        text = log.read_text() if log.exists() else ""
        if last_line in text or "== setup failed" in text:
            return text
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


def _kit_repository(tmp_path: Path) -> Path:
    """A git repository (branch main) holding what the script uses of the kit: requirements.txt,
    constraints.txt, pyproject.toml, workshop_lib/ and notebooks/, as in this working tree."""
    repo = tmp_path / "kit.git"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    for name in ["requirements.txt", "constraints.txt", "pyproject.toml"]:
        shutil.copy2(ROOT / name, repo / name)
    for folder in ["workshop_lib", "notebooks"]:
        shutil.copytree(
            ROOT / folder, repo / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "kit"], check=True)
    return repo


def _prepared_virtualenv(venv: Path, pip_calls: Path) -> None:
    """The virtualenv the script would make and fill, made from the test's own one instead.

    The shortcut skips two steps of the script: `python -m venv` (the script finds the
    virtualenv already there, as at every start after the first) and pip's install of
    requirements.txt (minutes, and the network). `$VENV/bin/python` is a real virtualenv
    interpreter (pyvenv.cfg next to it) whose site-packages are this test run's, so ipykernel,
    jupyter_client and the kit are really imported and run; `$VENV/bin/pip` only records how the
    script called it.
    """
    purelib = Path(sysconfig.get_paths()["purelib"])
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(
        f"home = {Path(sys._base_executable).parent}\n"
        "include-system-site-packages = false\n"
        f"version = {sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}\n"
    )
    (venv / "bin" / "python").symlink_to(Path(sys._base_executable).resolve())
    site = venv / purelib.relative_to(Path(sys.prefix))
    site.parent.mkdir(parents=True)
    site.symlink_to(purelib)
    pip = venv / "bin" / "pip"
    pip.write_text(f'#!/bin/sh\necho "$(pwd): pip $*" >> "{pip_calls}"\n')
    pip.chmod(0o755)


def _kernel_specs(jupyter_home: Path) -> dict[str, dict]:
    kernels = jupyter_home / ".local" / "share" / "jupyter" / "kernels"
    return {
        spec.parent.name: json.loads(spec.read_text()) for spec in kernels.glob("*/kernel.json")
    }


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_lifecycle_script_registers_an_aws_and_a_local_kernel(tmp_path):
    """The whole background part in a fake instance: clone, virtualenv, both kernels, the
    working copy. The kernel specs are really written (by ipykernel, into $HOME as on the
    instance) and python3-local's own python, with its env, resolves the local target."""
    repo = _kit_repository(tmp_path)
    script, env = _fake_instance(tmp_path, f"file://{repo}", "class-42", "eu-west-1")
    home, jupyter_home = tmp_path / "SageMaker", tmp_path / "ec2-user"
    venv, kit = home / ".workshop-venv", home / "segment-personalize-workshop"
    _prepared_virtualenv(venv, tmp_path / "pip-calls.txt")
    # a Python >= 3.11 for find_python on any machine (the script only logs it: the venv exists)
    python_name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (tmp_path / "bin" / python_name).symlink_to(sys.executable)
    env["HOME"] = str(jupyter_home)  # `sudo -H` gives ec2-user's home; ipykernel --user uses it
    for name in ["JUPYTER_DATA_DIR", "JUPYTER_PATH", "JUPYTER_CONFIG_DIR", "XDG_DATA_HOME"]:
        env.pop(name, None)
    env = {k: v for k, v in env.items() if not k.startswith(("WORKSHOP_", "AWS_"))}

    started = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, env=env, check=False
    )

    assert started.returncode == 0, started.stderr
    log = _log_when_finished(home / "workshop-setup.log", "python3-local (the local", 120)
    assert "setup failed" not in log, log
    assert (tmp_path / "pip-calls.txt").read_text() == (
        f"{kit}: pip install --no-cache-dir -q -c constraints.txt -r requirements.txt\n"
    )
    specs = _kernel_specs(jupyter_home)
    assert sorted(specs) == ["python3", "python3-local"], log
    local, aws = specs["python3-local"], specs["python3"]
    assert local["display_name"] == "Python 3 (workshop, local emulator)"
    assert local["env"] == {"WORKSHOP_TARGET": "local"}
    assert aws["display_name"] == "Python 3 (workshop)"
    assert aws["env"] == {
        "WORKSHOP_TARGET": "aws",
        "WORKSHOP_STACK": "class-42",
        "AWS_REGION": "eu-west-1",
    }
    for spec in (local, aws):  # both run the virtualenv's python as an IPython kernel
        assert spec["argv"][0] == str(venv / "bin" / "python")
        assert spec["argv"][-4:-2] == ["-m", "ipykernel_launcher"], spec["argv"]
    assert (kit / "my-notebooks" / "01_segment_s3_athena_glue.ipynb").exists()

    # what a notebook's connect() would resolve in each kernel: local and aws
    probe = "from workshop_lib.settings import resolve_target; print(resolve_target(None))"
    for spec, expected in ((local, "local"), (aws, "aws")):
        resolved = subprocess.run(
            [spec["argv"][0], "-c", probe],
            capture_output=True,
            text=True,
            cwd=kit,
            env={**env, **spec["env"]},
            check=True,
        )
        assert resolved.stdout.strip() == expected


def test_lifecycle_script_registers_the_kernel_the_notebooks_name():
    text = LIFECYCLE_SCRIPT.read_text()
    assert 'as_user "$VENV/bin/python" -m ipykernel install --user --name python3' in text
    # the kernel points the notebooks at this stack: no parameter to change on SageMaker
    assert '--env WORKSHOP_TARGET aws \\\n            --env WORKSHOP_STACK "$STACK_NAME"' in text
    assert '--env AWS_REGION "$STACK_REGION"' in text
    assert "VENV=$HOME_DIR/.workshop-venv" in text  # on the persistent volume
    assert "-m workshop_lib copy" in text  # learners edit my-notebooks/, not the golden ones
