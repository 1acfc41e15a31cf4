"""Binding the emulator to 127.0.0.1: in the foreground, or in a thread for tests."""

from __future__ import annotations

import errno
import logging
import socket
import threading
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, make_server

from .app import EmulatorApp

HOST = "127.0.0.1"  # never 0.0.0.0: the emulator accepts any credentials


class PortInUseError(OSError):
    def __init__(self, port: int) -> None:
        super().__init__(
            errno.EADDRINUSE,
            f"Port {port} on {HOST} is already in use by another program. Stop that program, "
            f"or choose another port with --port N or the environment variable "
            f"WORKSHOP_EMULATOR_PORT=N (the notebooks' connect() reads it too).",
        )
        self.port = port

    def __str__(self) -> str:
        return self.strerror


def _address_option() -> int:
    """The socket option that makes a port in use fail to bind, as `start` needs to see.

    POSIX: SO_REUSEADDR (a port in TIME_WAIT is not "busy"). On Windows SO_REUSEADDR would let a
    second server bind a port that is being listened on; SO_EXCLUSIVEADDRUSE refuses that.
    """
    return getattr(socket, "SO_EXCLUSIVEADDRUSE", socket.SO_REUSEADDR)


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:port; a busy port raises PortInUseError."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, _address_option(), 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        # Windows says WSAEADDRINUSE (10048), or WSAEACCES (10013) against an exclusive socket
        if exc.errno == errno.EADDRINUSE or getattr(exc, "winerror", None) in (10013, 10048):
            raise PortInUseError(port) from None
        raise
    sock.listen(128)
    return sock


def make_emulator_server(
    port: int, app: EmulatorApp | None = None, state_file: Path | None = None
) -> BaseWSGIServer:
    """A threaded WSGI server for the emulator (port 0 picks a free port); with a state_file
    and no app, the new app restores that file and saves into it (once the port is ours)."""
    from moto.server import MotoRequestHandler  # keeps S3 metadata names with "_"

    sock = bind(port)
    try:
        app = app or EmulatorApp(state_file=state_file)
    except BaseException:
        sock.close()
        raise
    # werkzeug would exit the process on a bind error; handing it a bound socket avoids that.
    server = make_server(
        HOST,
        sock.getsockname()[1],
        app,
        threaded=True,
        request_handler=MotoRequestHandler,
        fd=sock.fileno(),
    )
    sock.detach()  # the server owns the file descriptor now
    app.port = server.port
    return server


class ThreadedEmulator:
    """The emulator in a thread of this process: ``with ThreadedEmulator() as emu: emu.url``.

    It keeps its state in memory only, unless given an app with a state file."""

    def __init__(self, port: int = 0, app: EmulatorApp | None = None) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.server = make_emulator_server(port, app)
        self.app: EmulatorApp = self.server.app
        self.url = self.app.base_url
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ThreadedEmulator:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
        self.app.persistence.close()  # saves what is pending (a durable app only)
