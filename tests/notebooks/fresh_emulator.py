"""Helpers of the notebook tests that chain several notebooks on one fresh emulator."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import boto3
import nbformat
import pytest

from workshop_lib.connection import Workshop
from workshop_lib.emulator import process
from workshop_lib.settings import DEFAULT_PREFIX, ENV_PORT, LOCAL_ACCOUNT_ID, bucket_name

REGION = "us-east-1"


def outputs(path) -> dict[str, str]:
    """Each code cell's output text (streams and text/plain, without the progress lines whose
    number depends on timing), by the cell's source."""
    nb = nbformat.read(path, as_version=4)
    texts = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or "injected-parameters" in cell.metadata.get("tags", []):
            continue
        parts = [
            o.get("text", "")
            if o.output_type == "stream"
            else o.get("data", {}).get("text/plain", "")
            for o in cell.outputs
        ]
        lines = "".join(parts).splitlines()
        texts[cell.source] = "\n".join(line for line in lines if not line.startswith("…"))
    return texts


def cell(texts: dict[str, str], call: str) -> str:
    """The output of the first cell whose source contains `call`."""
    return next(text for source, text in texts.items() if call in source)


@contextlib.contextmanager
def fresh_emulator(state_dir) -> Iterator[Workshop]:
    """A new emulator on a free port, with this process and the notebooks' kernels pointed at
    it; yields the Workshop the notebooks connect to with their default parameters."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_PORT, str(port))
        patch.setenv("WORKSHOP_STATE_DIR", str(state_dir))
        status, _ = process.start(port)
        for name, value in {
            "AWS_ENDPOINT_URL": status.url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": REGION,
            "WORKSHOP_TARGET": "local",
        }.items():
            patch.setenv(name, value)
        boto3.setup_default_session()
        try:
            yield Workshop(
                "local",
                REGION,
                LOCAL_ACCOUNT_ID,
                "arn:aws:sts::123456789012:user/moto",
                DEFAULT_PREFIX,
                bucket_name(DEFAULT_PREFIX, LOCAL_ACCOUNT_ID, REGION),
                status.url,
            )
        finally:
            process.stop(port)
            boto3.setup_default_session()
