"""`python -m workshop_lib setup|workshop|test|lab`: the Makefile's commands without make.

Windows has no ``make``; these commands run the same steps with Python alone, on any system:

  setup [--from FOLDER]   create .venv, install requirements.txt and requirements-dev.txt into it
                          (--from: only from a folder of downloaded packages, no network at all)
  workshop [ARGS...]      = make workshop: the runner (`python -m workshop_lib run ARGS`)
  test [PYTEST ARGS...]   = make test: ruff check, ruff format --check, pytest
  lab [--port N]          = make lab: my-notebooks/, the emulator (local target), JupyterLab
  download FOLDER [--platform TAG] [--python-version X.Y]
                          every package of both files into FOLDER (a USB stick), for setup --from

workshop, test and lab install what is missing first, as make does, and they share make's stamp
files (.venv/.installed-runtime, .venv/.installed-dev), so both ways can be mixed. Every step
runs the virtual environment's own Python (.venv/bin/python on POSIX, .venv\\Scripts\\python.exe
on Windows) and is printed before it runs.

Standard library only: ``setup`` runs on a bare Python >= 3.11 before anything is installed, and
importing the package on the way here needs nothing else either (workshop_lib/__init__.py imports
boto3 and the rest lazily).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

from .paths import REPO_ROOT
from .settings import DEFAULT_PORT, DEFAULT_TARGET, ENV_PORT, ENV_TARGET

MIN_PYTHON = (3, 11)
RUNTIME_STAMP = ".installed-runtime"  # the Makefile's stamps, inside the venv folder
DEV_STAMP = ".installed-dev"
CONSTRAINTS = "constraints.txt"  # the exact versions of the kit's venv (requirements: ranges)
HELP = {  # also `python -m workshop_lib <command>`: __main__ hands these over before any import
    "setup": "create .venv and install the requirements into it (= the first step of make)",
    "workshop": "= make workshop: run every notebook, then print a summary",
    "test": "= make test: ruff and the whole test suite",
    "lab": "= make lab: JupyterLab on your working copy my-notebooks/",
    "download": "every package into a folder, for an offline `setup --from FOLDER`",
}
COMMANDS = tuple(HELP)
# pip download evaluates environment markers for this machine, not for --platform: packages that
# only the target system needs must be named (found in the wheels' metadata; tried for win_amd64).
PLATFORM_ONLY = {
    "win": ["colorama", "pywinpty", "pywin32"],  # tqdm/pytest/ipython; terminado; docker (moto)
    "macosx": ["appnope"],  # ipykernel
}


@dataclass(frozen=True)
class Step:
    """One command to run: argv in cwd with extra environment; `stamp` is touched on success."""

    argv: list[str]
    cwd: PurePath
    env: dict[str, str] = field(default_factory=dict)
    stamp: PurePath | None = None


@dataclass(frozen=True)
class Layout:
    """Where the kit and its virtual environment are, and on which kind of system."""

    root: PurePath = REPO_ROOT
    os_name: str = os.name  # "nt" on Windows, "posix" elsewhere

    @property
    def venv(self) -> PurePath:
        return self._path(self.root, ".venv")

    @property
    def python(self) -> PurePath:
        """The venv's interpreter: .venv/bin/python, or .venv\\Scripts\\python.exe on Windows."""
        if self.os_name == "nt":
            return self.venv / "Scripts" / "python.exe"
        return self.venv / "bin" / "python"

    def _path(self, *parts: str | PurePath) -> PurePath:
        kind = PureWindowsPath if self.os_name == "nt" else PurePosixPath
        return kind(*parts)


def _stale(stamp: Path, *inputs: Path) -> bool:
    """True if stamp is missing or older than one of inputs (make's rule for a target)."""
    if not stamp.exists():
        return True
    made = stamp.stat().st_mtime
    return any(path.exists() and path.stat().st_mtime > made for path in inputs)


def _pip_install(layout: Layout, requirements: str, wheels: Path | None) -> list[str]:
    argv = [str(layout.python), "-m", "pip", "install", "--disable-pip-version-check"]
    if wheels is not None:
        # --no-index: nothing from the network; the folder must hold every package, setuptools too
        argv += ["--no-index", "--find-links", str(wheels)]
    # requirements.txt gives ranges; the kit's venv gets the exact versions it was tested with
    return [*argv, "-c", CONSTRAINTS, "-r", requirements]


def install_steps(
    layout: Layout,
    dev: bool,
    wheels: Path | None = None,
    force: bool = False,
    base_python: str = sys.executable,
) -> list[Step]:
    """The venv and its packages, each only if missing or older than its requirements file.

    Like the Makefile: runtime packages when requirements.txt or pyproject.toml changed since
    the runtime stamp; dev packages (with dev=True) when requirements-dev.txt or the runtime
    changed since the dev stamp. force=True installs them whatever the stamps say (setup: pip
    then checks every pin, which takes seconds when all is installed).
    """
    root, venv = Path(layout.root), Path(layout.venv)
    steps: list[Step] = []
    if not Path(layout.python).exists():
        steps.append(Step([base_python, "-m", "venv", str(layout.venv)], root))
    runtime_stamp, dev_stamp = venv / RUNTIME_STAMP, venv / DEV_STAMP
    runtime = force or _stale(
        runtime_stamp, root / "requirements.txt", root / CONSTRAINTS, root / "pyproject.toml"
    )
    if runtime:
        steps.append(
            Step(_pip_install(layout, "requirements.txt", wheels), root, stamp=runtime_stamp)
        )
    if dev and (runtime or _stale(dev_stamp, root / "requirements-dev.txt", runtime_stamp)):
        steps.append(
            Step(_pip_install(layout, "requirements-dev.txt", wheels), root, stamp=dev_stamp)
        )
    return steps


def setup_steps(
    layout: Layout, wheels: Path | None = None, base_python: str = sys.executable
) -> list[Step]:
    """`setup`: create the venv (or reuse it) and install both requirements files into it."""
    return install_steps(layout, dev=True, wheels=wheels, force=True, base_python=base_python)


def workshop_steps(layout: Layout, args: list[str]) -> list[Step]:
    """`workshop` = make workshop: install what is missing, then the runner with ARGS."""
    run = [str(layout.python), "-m", "workshop_lib", "run", *args]
    return [*install_steps(layout, dev=False), Step(run, layout.root)]


def test_steps(layout: Layout, pytest_args: list[str]) -> list[Step]:
    """`test` = make test: ruff check, ruff format --check, then pytest with pytest_args."""
    python, root = str(layout.python), layout.root
    return [
        *install_steps(layout, dev=True),
        Step([python, "-m", "ruff", "check", "."], root),
        Step([python, "-m", "ruff", "format", "--check", "."], root),
        Step([python, "-m", "pytest", *pytest_args], root),
    ]


def lab_steps(layout: Layout, port: int, environ: Mapping[str, str]) -> list[Step]:
    """`lab` = make lab: the working copy, the emulator (local target only), then JupyterLab.

    JupyterLab runs in my-notebooks/ with WORKSHOP_EMULATOR_PORT set, so the notebooks' connect()
    finds the emulator on that port.
    """
    python, root = str(layout.python), layout.root
    steps = [*install_steps(layout, dev=False), Step([python, "-m", "workshop_lib", "copy"], root)]
    if (environ.get(ENV_TARGET) or DEFAULT_TARGET) == "local":
        start = [python, "-m", "workshop_lib.emulator", "start", "--port", str(port)]
        steps.append(Step(start, root))
    jupyter = [python, "-m", "jupyterlab", "--ip", "127.0.0.1"]
    steps.append(Step(jupyter, root / "my-notebooks", env={ENV_PORT: str(port)}))
    return steps


def download_steps(
    layout: Layout,
    folder: Path,
    requirements: Path,
    platform: str | None = None,
    python_version: str = f"{sys.version_info[0]}.{sys.version_info[1]}",
) -> list[Step]:
    """`download`: wheels of every pinned package, setuptools and wheel into folder.

    requirements is the file write_pin_file() made (both files, without `-e .`: the kit itself
    is installed from its own folder). Wheels only, for python_version (so for every patch
    release of it: pip then skips releases that need a newer patch) and for platform (default:
    this machine's, e.g. linux x86_64; "win_amd64" for Windows laptops, and so on).
    """
    argv = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check"]
    argv += ["--only-binary=:all:", "--python-version", python_version, "-d", str(folder)]
    extra: list[str] = []
    if platform:
        argv += ["--platform", platform]
        extra = next((v for k, v in PLATFORM_ONLY.items() if platform.startswith(k)), [])
    argv += ["-r", str(requirements), "setuptools", "wheel", *extra]
    return [Step(argv, layout.root)]


def write_pin_file(layout: Layout, target: Path) -> Path:
    """Both requirements files and the constraints (the exact versions) in one, less their
    `-e` lines (pip download would zip the kit)."""
    lines = []
    for name in ("requirements.txt", "requirements-dev.txt", CONSTRAINTS):
        for line in (Path(layout.root) / name).read_text().splitlines():
            if not line.strip().startswith(("-e", "--editable")):
                lines.append(line)
    target.write_text("\n".join(lines) + "\n")
    return target


def _shown(argv: list[str], os_name: str = os.name) -> str:
    return subprocess.list2cmdline(argv) if os_name == "nt" else shlex.join(argv)


def run_steps(steps: list[Step]) -> int:
    """Run each step in order, printing it first; stop at the first that fails (its code)."""
    for step in steps:
        print(f"+ {_shown(step.argv)}", flush=True)
        try:
            code = subprocess.call(step.argv, cwd=step.cwd, env={**os.environ, **step.env})
        except KeyboardInterrupt:
            return 130
        except OSError as exc:
            print(f"error: could not run {step.argv[0]}: {exc}", file=sys.stderr)
            return 1
        if code != 0:
            return code
        if step.stamp is not None:
            Path(step.stamp).touch()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m workshop_lib.bootstrap",
        description="The Makefile's commands without make (Windows, or anywhere).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    setup = sub.add_parser("setup", help="create .venv and install both requirements files")
    setup.add_argument(
        "--from",
        dest="wheels",
        type=Path,
        metavar="FOLDER",
        help="install only from this folder of downloaded packages (pip --no-index)",
    )
    sub.add_parser("workshop", help="= make workshop; later arguments go to `workshop_lib run`")
    sub.add_parser("test", help="= make test; later arguments go to pytest")
    lab = sub.add_parser("lab", help="= make lab")
    lab.add_argument("--port", type=int, help=f"emulator port (default: ${ENV_PORT} or 4599)")
    download = sub.add_parser("download", help="all packages into a folder, for setup --from")
    download.add_argument("folder", type=Path)
    download.add_argument("--platform", help="e.g. win_amd64 (default: this machine's)")
    download.add_argument(
        "--python-version", help="the laptops' Python, e.g. 3.12 (default: this one's)"
    )
    return parser


def main(argv: list[str] | None = None, layout: Layout | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if sys.version_info < MIN_PYTHON:
        print(
            "error: Python 3.11 or newer is needed; run this with that Python "
            "(e.g. `py -3.11 -m workshop_lib.bootstrap setup` on Windows).",
            file=sys.stderr,
        )
        return 1
    layout = layout or Layout()
    # workshop and test pass everything after the command on, options included
    if argv and argv[0] in ("workshop", "test"):
        build = workshop_steps if argv[0] == "workshop" else test_steps
        return run_steps(build(layout, argv[1:]))
    args = _parser().parse_args(argv)
    if args.command == "setup":
        if args.wheels is not None and not args.wheels.is_dir():
            print(f"error: --from {args.wheels}: no such folder", file=sys.stderr)
            return 1
        wheels = args.wheels.resolve() if args.wheels is not None else None
        code = run_steps(setup_steps(layout, wheels))
        if code == 0:
            print(f"Ready: {layout.python} (next: python -m workshop_lib.bootstrap workshop)")
        return code
    if args.command == "download":
        args.folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            pins = write_pin_file(layout, Path(tmp) / "requirements-all.txt")
            options = {"python_version": args.python_version} if args.python_version else {}
            steps = download_steps(layout, args.folder.resolve(), pins, args.platform, **options)
            code = run_steps(steps)
        if code == 0:
            print(
                f"Next, on each laptop: python -m workshop_lib.bootstrap setup --from {args.folder}"
            )
        return code
    port = args.port or int(os.environ.get(ENV_PORT) or DEFAULT_PORT)
    return run_steps(lab_steps(layout, port, os.environ))


if __name__ == "__main__":
    sys.exit(main())
