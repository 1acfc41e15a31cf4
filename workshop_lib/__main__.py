"""``python -m workshop_lib run`` runs the workshop through papermill (see runner.py);
``python -m workshop_lib cleanup`` deletes what it created (see cleanup.py);
``python -m workshop_lib prepare`` runs the long steps before an event (see prepare.py)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import bootstrap
from . import prepare as _prepare
from .paths import NOTEBOOKS_DIR
from .runner import DEFAULT_OUTPUT_DIR, run_notebooks, summary_table
from .settings import ENV_PORT, ENV_STACK, ENV_TARGET, WorkshopConfigError


def _literal(text: str):
    """A -p value as papermill's CLI reads it: JSON literal if it is one, else a string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _cleanup(args: argparse.Namespace) -> int:
    from . import cleanup
    from .connection import connect

    try:
        if args.delete_stack and not (args.stack or os.environ.get(ENV_STACK)):
            raise WorkshopConfigError("--delete-stack needs --stack NAME (or $WORKSHOP_STACK).")
        ws = connect(args.target, args.region, args.prefix, args.port, args.bucket, args.stack)
        print(cleanup.report(ws, dry_run=args.dry_run, with_stack=args.delete_stack))
    except (WorkshopConfigError, TimeoutError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _working_copy(args: argparse.Namespace) -> int:
    from . import workcopy

    where = workcopy.COPY_DIR.relative_to(workcopy.REPO_ROOT)
    if args.command == "copy":
        added = workcopy.make_copy()
        if added:
            print(f"Your working copy {where}/ now has: {', '.join(added)}")
        elif not args.quiet:
            print(f"Your working copy {where}/ is complete (nothing overwritten).")
        return 0
    try:
        restored, backup = workcopy.restore(args.notebook)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    kept = f"; your version is kept as {backup.relative_to(workcopy.REPO_ROOT)}" if backup else ""
    print(f"Restored {restored.relative_to(workcopy.REPO_ROOT)} from notebooks/{kept}.")
    print("In JupyterLab, reload it (File > Reload Notebook from Disk).")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] and argv[0] in bootstrap.COMMANDS:  # make's commands, before .venv exists
        return bootstrap.main(argv)
    parser = argparse.ArgumentParser(prog="python -m workshop_lib")
    sub = parser.add_subparsers(dest="command", required=True)
    for command, text in bootstrap.HELP.items():  # listed for --help; dispatched above
        sub.add_parser(command, help=text, add_help=False)
    run = sub.add_parser("run", help="run the notebooks in order and print a summary")
    run.add_argument("notebooks", nargs="*", help="only these (prefixes such as 01 02)")
    run.add_argument("--target", choices=["local", "aws"], help=f"default: ${ENV_TARGET} or local")
    run.add_argument("--region", help="AWS region (default: $AWS_REGION; us-east-1 locally)")
    run.add_argument("--port", help=f"emulator port (default: ${ENV_PORT} or 4599)")
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a notebook parameter, as with papermill",
    )
    run.add_argument(
        "--output-dir",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        help="where executed notebooks go (default: build/notebooks)",
    )
    run.add_argument(
        "--notebooks-dir",
        type=Path,
        default=NOTEBOOKS_DIR,
        help="folder of the numbered notebooks (default: notebooks/)",
    )
    run.add_argument("--cell-timeout", type=int, help="seconds per cell (local 600, aws 10800)")
    run.add_argument(
        "--no-solutions",
        action="store_true",
        help="leave the 'Your turn' cells as they are (default: run their worked solutions)",
    )
    copy = sub.add_parser(
        "copy", help="make your working copy my-notebooks/ (adds what it lacks, overwrites nothing)"
    )
    copy.add_argument("--quiet", action="store_true", help="print nothing when nothing was added")
    restore = sub.add_parser(
        "restore", help="put the kit's version of one notebook into my-notebooks/ (yours is kept)"
    )
    restore.add_argument("notebook", help="its number, e.g. 02")
    clean = sub.add_parser("cleanup", help="delete everything the workshop created")
    clean.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    clean.add_argument(
        "--target", choices=["local", "aws"], help=f"default: ${ENV_TARGET} or local"
    )
    clean.add_argument("--region", help="AWS region (default: $AWS_REGION; us-east-1 locally)")
    clean.add_argument("--prefix", help="resource name prefix (default: $WORKSHOP_PREFIX)")
    clean.add_argument("--bucket", help="the bucket the notebooks were given, if any")
    clean.add_argument("--port", help=f"emulator port (default: ${ENV_PORT} or 4599)")
    clean.add_argument("--stack", help=f"the setup/ stack's name (default: ${ENV_STACK})")
    clean.add_argument(
        "--delete-stack",
        action="store_true",
        help="then delete that stack too (its roles and the emptied bucket)",
    )
    prepare = sub.add_parser(
        "prepare", help="before the event: run the long steps of 01 and 02, list what is ready"
    )
    _prepare.add_arguments(prepare)
    args = parser.parse_args(argv)
    if args.command == "cleanup":
        return _cleanup(args)
    if args.command == "prepare":
        return _prepare.main(args)
    if args.command in ("copy", "restore"):
        return _working_copy(args)

    if args.port:
        os.environ[ENV_PORT] = str(args.port)  # the kernels inherit it
    params = {name: _literal(value) for name, value in args.parameter}
    if args.region:
        params["region"] = args.region
    try:
        results = run_notebooks(
            args.target,
            params,
            notebooks_dir=args.notebooks_dir.resolve(),
            output_dir=args.output_dir.resolve(),
            cell_timeout=args.cell_timeout,
            only=args.notebooks or None,
            solutions=not args.no_solutions,
        )
    except (WorkshopConfigError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not results:
        print("error: no notebook matched", file=sys.stderr)
        return 1
    print()
    print(summary_table(results))
    failures = [r for r in results if r.status == "failed"]
    for r in failures:
        print(f"\n{r.error}", file=sys.stderr)
    if not failures:
        total = sum(r.seconds or 0 for r in results)
        plural = "s" if len(results) != 1 else ""
        print(f"\nAll {len(results)} notebook{plural} ran in {total:.1f} s.")
    if (args.target or os.environ.get(ENV_TARGET, "local")) == "local":
        port = f" --port {args.port}" if args.port else ""
        print(
            "The local emulator keeps running for JupyterLab (`make lab`); stop it with "
            f"`python -m workshop_lib.emulator stop{port}`."
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
