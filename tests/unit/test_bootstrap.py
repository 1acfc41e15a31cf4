"""`python -m workshop_lib.bootstrap`: the commands it builds on each system, and that it runs
on the standard library alone (before anything is installed)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path, PureWindowsPath

import pytest

from workshop_lib import bootstrap
from workshop_lib.bootstrap import Layout, Step

POSIX_PY = "/kit/.venv/bin/python"
WIN_PY = "C:\\kit\\.venv\\Scripts\\python.exe"


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    """A kit folder with its four input files and no venv yet."""
    for name in ("requirements.txt", "requirements-dev.txt", "constraints.txt", "pyproject.toml"):
        (tmp_path / name).write_text("")
    return tmp_path


def argvs(steps: list[Step]) -> list[list[str]]:
    return [step.argv for step in steps]


def age(path: Path, seconds: float) -> None:
    """Set path's mtime `seconds` in the past (make's rule compares mtimes)."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_venv_python_per_system():
    assert str(Layout(Path("/kit"), "posix").python) == POSIX_PY
    assert str(Layout(PureWindowsPath("C:/kit"), "nt").python) == WIN_PY


@pytest.mark.parametrize(
    "os_name, python, sep",
    [("posix", "/.venv/bin/python", "/"), ("nt", "\\.venv\\Scripts\\python.exe", "\\")],
)
def test_setup_on_a_bare_kit_creates_the_venv_then_installs_both_files(kit, os_name, python, sep):
    layout = Layout(kit, os_name)
    steps = bootstrap.setup_steps(layout, base_python="python3.11")
    venv_python = str(layout.python)
    assert venv_python.endswith(python)
    assert argvs(steps) == [
        ["python3.11", "-m", "venv", str(layout.venv)],
        [
            venv_python,
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-c",
            "constraints.txt",
            "-r",
            "requirements.txt",
        ],
        [
            venv_python,
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-c",
            "constraints.txt",
            "-r",
            "requirements-dev.txt",
        ],
    ]
    assert str(layout.venv).endswith(f"{sep}.venv")
    assert all(step.cwd == kit for step in steps)  # `-e .` in requirements.txt is the kit
    assert [Path(step.stamp).name if step.stamp else None for step in steps] == [
        None,
        ".installed-runtime",
        ".installed-dev",
    ]


def test_setup_from_a_folder_installs_without_the_network(kit, tmp_path):
    wheels = tmp_path / "usb"
    steps = bootstrap.setup_steps(Layout(kit, "posix"), wheels=wheels, base_python="python3")
    for step in steps[1:]:
        assert step.argv[5:8] == ["--no-index", "--find-links", str(wheels)]
    assert steps[1].argv[-2:] == ["-r", "requirements.txt"]
    assert steps[2].argv[-2:] == ["-r", "requirements-dev.txt"]


def _installed(kit: Path) -> Layout:
    """A kit whose venv exists and whose stamps are newer than every requirements file."""
    layout = Layout(kit, "posix")
    python = Path(layout.python)
    python.parent.mkdir(parents=True)
    python.write_text("")
    for name in ("requirements.txt", "requirements-dev.txt", "constraints.txt", "pyproject.toml"):
        age(kit / name, 100)
    (kit / ".venv" / ".installed-runtime").write_text("")
    age(kit / ".venv" / ".installed-runtime", 50)
    (kit / ".venv" / ".installed-dev").write_text("")
    return layout


def test_installed_kit_installs_nothing_but_setup_checks_again(kit):
    layout = _installed(kit)
    assert bootstrap.install_steps(layout, dev=True) == []
    # setup always runs pip (quick when all is there) but never recreates the venv
    assert [step.argv[-1] for step in bootstrap.setup_steps(layout)] == [
        "requirements.txt",
        "requirements-dev.txt",
    ]


def test_a_changed_dev_file_reinstalls_only_the_dev_packages(kit):
    layout = _installed(kit)
    (kit / "requirements-dev.txt").write_text("ruff==0.17.6\n")  # newer than the stamp now
    assert [s.argv[-1] for s in bootstrap.install_steps(layout, dev=True)] == [
        "requirements-dev.txt"
    ]
    assert bootstrap.install_steps(layout, dev=False) == []


@pytest.mark.parametrize("changed", ["requirements.txt", "constraints.txt", "pyproject.toml"])
def test_a_changed_runtime_input_reinstalls_runtime_then_dev(kit, changed):
    layout = _installed(kit)
    (kit / changed).write_text("# changed\n")
    assert [s.argv[-1] for s in bootstrap.install_steps(layout, dev=True)] == [
        "requirements.txt",
        "requirements-dev.txt",
    ]


def test_workshop_runs_the_runner_with_the_venv_python_and_all_arguments(kit):
    layout = _installed(kit)
    steps = bootstrap.workshop_steps(layout, ["01", "--target", "aws", "-p", "prefix", "x"])
    assert argvs(steps) == [
        [
            str(layout.python),
            "-m",
            "workshop_lib",
            "run",
            "01",
            "--target",
            "aws",
            "-p",
            "prefix",
            "x",
        ]
    ]


def test_workshop_on_windows_installs_the_runtime_first(kit):
    layout = Layout(kit, "nt")
    steps = bootstrap.workshop_steps(layout, [])
    assert [s.argv[0] for s in steps] == [sys.executable, str(layout.python), str(layout.python)]
    assert steps[1].argv[-1] == "requirements.txt"  # no dev packages for the workshop
    assert steps[2].argv[1:] == ["-m", "workshop_lib", "run"]
    assert str(layout.python).endswith("\\.venv\\Scripts\\python.exe")


def test_test_is_ruff_check_format_check_then_pytest(kit):
    layout = _installed(kit)
    python = str(layout.python)
    assert argvs(bootstrap.test_steps(layout, ["-x", "tests/unit"])) == [
        [python, "-m", "ruff", "check", "."],
        [python, "-m", "ruff", "format", "--check", "."],
        [python, "-m", "pytest", "-x", "tests/unit"],
    ]


def test_lab_on_the_local_target_starts_the_emulator(kit):
    layout = _installed(kit)
    python = str(layout.python)
    steps = bootstrap.lab_steps(layout, 4601, {})
    assert argvs(steps) == [
        [python, "-m", "workshop_lib", "copy"],
        [python, "-m", "workshop_lib.emulator", "start", "--port", "4601"],
        [python, "-m", "jupyterlab", "--ip", "127.0.0.1"],
    ]
    assert steps[-1].cwd == kit / "my-notebooks"
    assert steps[-1].env == {"WORKSHOP_EMULATOR_PORT": "4601"}


def test_lab_on_aws_starts_no_emulator(kit):
    layout = _installed(kit)
    steps = bootstrap.lab_steps(layout, 4599, {"WORKSHOP_TARGET": "aws"})
    assert [s.argv[2] for s in steps] == ["workshop_lib", "jupyterlab"]


def test_main_passes_options_after_the_command_on(kit, monkeypatch):
    layout = _installed(kit)
    ran = []
    monkeypatch.setattr(bootstrap, "run_steps", lambda steps: ran.append(argvs(steps)) or 7)
    assert bootstrap.main(["workshop", "--target", "aws", "02"], layout) == 7
    assert bootstrap.main(["test", "--no-header", "-k", "bootstrap"], layout) == 7
    assert ran[0][-1][-3:] == ["--target", "aws", "02"]
    assert ran[1][-1][-3:] == ["--no-header", "-k", "bootstrap"]


def test_main_setup_refuses_a_missing_folder(kit, capsys):
    assert bootstrap.main(["setup", "--from", str(kit / "nowhere")], Layout(kit, "posix")) == 1
    assert "no such folder" in capsys.readouterr().err


def test_run_steps_stops_at_the_first_failure_and_stamps_only_successes(tmp_path):
    ok, failed = tmp_path / "ok.stamp", tmp_path / "failed.stamp"
    steps = [
        Step([sys.executable, "-c", "print('one')"], tmp_path, stamp=ok),
        Step(
            [sys.executable, "-c", "import os, sys; sys.exit(int(os.environ['CODE']))"],
            tmp_path,
            {"CODE": "4"},
            stamp=failed,
        ),
        Step([sys.executable, "-c", "open('third', 'w')"], tmp_path),
    ]
    assert bootstrap.run_steps(steps) == 4
    assert ok.exists() and not failed.exists()
    assert not (tmp_path / "third").exists()


def test_the_bootstrap_imports_only_the_standard_library():
    """`setup` must run before boto3 and the rest are installed: importing the package, this
    module and `python -m workshop_lib`'s main may load nothing outside the standard library."""
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import workshop_lib.bootstrap, workshop_lib.__main__\n"
        "new = {name.split('.')[0] for name in set(sys.modules) - before}\n"
        "print(sorted(new - set(sys.stdlib_module_names) - {'workshop_lib'}))\n"
        "import workshop_lib\n"
        "print(callable(workshop_lib.connect), 'boto3' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=bootstrap.REPO_ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "True True"]  # connect() still there, loaded lazily


def test_pin_file_has_both_files_without_the_editable_kit(kit, tmp_path):
    (kit / "requirements.txt").write_text("boto3==1.44.8  # note\n-e .\npsutil==7.2.2\n")
    (kit / "requirements-dev.txt").write_text("ruff==0.17.6\n --editable .\n")
    (kit / "constraints.txt").write_text("psutil==7.2.2\n")
    pins = bootstrap.write_pin_file(Layout(kit, "posix"), tmp_path / "all.txt")
    assert pins.read_text().splitlines() == [
        "boto3==1.44.8  # note",
        "psutil==7.2.2",
        "ruff==0.17.6",
        "psutil==7.2.2",
    ]


@pytest.mark.parametrize(
    "platform, extra",
    [
        (None, []),
        ("win_amd64", ["colorama", "pywinpty", "pywin32"]),
        ("macosx_11_0_arm64", ["appnope"]),
        ("manylinux2014_x86_64", []),
    ],
)
def test_download_asks_for_wheels_of_the_python_minor_version(kit, platform, extra):
    (step,) = bootstrap.download_steps(
        Layout(kit, "posix"), kit / "usb", kit / "all.txt", platform, python_version="3.12"
    )
    tail = ["-r", str(kit / "all.txt"), "setuptools", "wheel", *extra]
    expected = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check"]
    expected += ["--only-binary=:all:", "--python-version", "3.12", "-d", str(kit / "usb")]
    expected += ["--platform", platform] if platform else []
    assert step.argv == [*expected, *tail]


def test_python_m_workshop_lib_hands_makes_commands_to_the_bootstrap(monkeypatch):
    from workshop_lib import __main__ as cli

    seen = []
    monkeypatch.setattr(bootstrap, "main", lambda argv: seen.append(argv) or 7)
    assert cli.main(["setup", "--from", "usb"]) == 7
    assert cli.main(["test", "-x"]) == 7
    assert seen == [["setup", "--from", "usb"], ["test", "-x"]]
