"""The local stand-in for AWS and Segment: one WSGI process on 127.0.0.1.

Server side only: the helper library reaches it over HTTP, exactly as a notebook reaches AWS.
Run it with ``python -m workshop_lib.emulator {serve,start,stop,status}``.
"""

HEALTH_PATH = "/_emulator/health"
RESET_PATH = "/_emulator/reset"
