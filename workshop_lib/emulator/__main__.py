"""``python -m workshop_lib.emulator {serve,start,stop,status,reset} [--port N] [--ephemeral]``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from . import process
from .config import ENV_EPHEMERAL, ENV_PORT, WorkshopConfigError, ephemeral_from_env, resolve_port
from .persistence import state_file
from .server import PortInUseError


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _serve(port: int, ephemeral: bool) -> int:
    from .server import make_emulator_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = make_emulator_server(port, state_file=None if ephemeral else state_file(port))
    signal.signal(signal.SIGTERM, _interrupt)  # `stop` ends it as cleanly as Ctrl-C
    report = server.app.persistence.report
    kept = (
        "It keeps its state in memory only (--ephemeral)."
        if ephemeral
        else f"It saves its state in {report['file']} ({report['started']} at start)."
    )
    print(
        f"Workshop emulator on {server.app.base_url} (pid {os.getpid()}). "
        f"It accepts any credentials: local use only. {kept} Ctrl-C stops it.",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.app.persistence.close()  # the last changes, saved
    print("Emulator stopped.", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workshop_lib.emulator",
        description="The local AWS + Segment emulator of the workshop (127.0.0.1 only).",
    )
    parser.add_argument(
        "command",
        choices=["serve", "start", "stop", "status", "reset"],
        help="serve: foreground; start: background; stop; status; "
        "reset: empty its state (the running emulator's and the saved one)",
    )
    parser.add_argument("--port", help=f"TCP port (default: ${ENV_PORT} or 4599)")
    parser.add_argument(
        "--ephemeral",
        action="store_true",
        help=f"keep the state in memory only, as ${ENV_EPHEMERAL}=1 does "
        "(default: saved under the state folder and restored at the next start)",
    )
    args = parser.parse_args(argv)
    ephemeral = args.ephemeral or ephemeral_from_env()
    try:
        port = resolve_port(args.port)
        if args.command == "serve":
            return _serve(port, ephemeral)
        if args.command == "reset":
            print(process.reset(port))
            return 0
        if args.command == "start":
            current, started = process.start(port, ephemeral=ephemeral)
            print(("Started. " if started else "Already running. ") + current.describe())
            return 0
        if args.command == "stop":
            pid = process.stop(port)
            print(
                f"Stopped the emulator on port {port} (pid {pid})."
                if pid
                else f"No emulator started by this kit runs on port {port}; nothing to stop."
            )
            return 0
        current = process.status(port)
        print(current.describe())
        return 0 if current.running else 3
    except PortInUseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (WorkshopConfigError, process.EmulatorError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
