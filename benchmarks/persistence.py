"""What durable state costs once notebooks 01-04 have run: save and restore times, size on disk.

    .venv/bin/python benchmarks/persistence.py [--saves 5] [--restarts 3] [--existing]

Runs notebooks 01-04 on a fresh emulator that saves its state (its own port and state folder),
then measures, from the emulator's health report:
  save: the pause (requests held off while the state is pickled to memory) and the file write,
        over several saves each caused by one small S3 put;
  restore: the time to load the file at start, and start-to-answering of the whole process,
        over several stop/start cycles;
  the state file's size. Restoring imports the moto modules the state uses (API Gateway's pulls
  in jsonschema and more), which an empty emulator imports later, at its first call to them.
--existing measures the emulator of $WORKSHOP_EMULATOR_PORT / $WORKSHOP_STATE_DIR as it is
(e.g. after `make workshop`), without running the notebooks.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import time
from pathlib import Path

import boto3

from workshop_lib.emulator import process
from workshop_lib.emulator.config import ENV_EPHEMERAL, ENV_PORT, ENV_STATE_DIR, resolve_port
from workshop_lib.emulator.persistence import state_file


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def report(port: int) -> dict:
    return process.status(port).state or {}


def one_save(port: int, s3, bucket: str, n: int) -> dict:
    """Change one thing, wait for the save it causes; the health report's save figures."""
    before = report(port).get("last_saved_at", 0)
    s3.put_object(Bucket=bucket, Key=f"benchmark/persistence-{n}.txt", Body=b"x")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = report(port)
        if state.get("last_saved_at", 0) > before:
            return state
        time.sleep(0.1)
    raise RuntimeError("no save within 30 s of a change")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--saves", type=int, default=5)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--existing", action="store_true")
    args = parser.parse_args()

    os.environ.pop(ENV_EPHEMERAL, None)
    if args.existing:
        port = resolve_port(None)
    else:
        port = free_port()
        os.environ[ENV_PORT] = str(port)
        os.environ[ENV_STATE_DIR] = tempfile.mkdtemp(prefix="bench-persistence-")
        from workshop_lib.runner import run_notebooks

        began = time.perf_counter()
        try:
            results = run_notebooks(
                "local",
                output_dir=Path(tempfile.mkdtemp(prefix="bench-notebooks-")),
                only=["01", "02", "03", "04"],
            )
        except BaseException:
            process.stop(port)  # the emulator the runner started
            raise
        failed = [(r.notebook, r.error) for r in results if r.status != "ok"]
        if failed:
            process.stop(port)
            raise SystemExit(f"notebooks failed: {failed}")
        print(f"notebooks 01-04 ran in {time.perf_counter() - began:.0f} s")
    status, _ = process.start(port)
    s3 = boto3.client(
        "s3",
        endpoint_url=status.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    bucket = buckets[0] if buckets else "bench-persistence"  # notebook 05 may have emptied it all
    if not buckets:
        s3.create_bucket(Bucket=bucket)

    saves = [one_save(port, s3, bucket, n) for n in range(args.saves)]
    pauses = [s["last_snapshot_seconds"] * 1000 for s in saves]
    writes = [s["last_save_write_seconds"] * 1000 for s in saves]
    size = state_file(port).stat().st_size

    restores, starts = [], []
    for _ in range(args.restarts):
        process.stop(port)
        began = time.perf_counter()
        status, _ = process.start(port)
        starts.append(time.perf_counter() - began)
        restores.append(status.state["restore_seconds"])
    state = status.state
    process.stop(port)
    began = time.perf_counter()
    process.start(port, ephemeral=True)  # the same start, with nothing to restore
    empty_start = time.perf_counter() - began
    process.stop(port)
    if args.existing:
        process.start(port)  # as it was: durable, with its state

    measured = "the existing emulator" if args.existing else "notebooks 01-04"
    print(f"\nstate after {measured}: {process.describe_state(state)}")
    print(f"{'measure':44} {'median':>9} {'max':>9}")
    rows = [
        ("save: requests held off (snapshot), ms", pauses),
        ("save: file write + fsync + rename, ms", writes),
        ("restore: loading the state at start, s", restores),
        ("restore: start until the emulator answers, s", starts),
        ("(an empty start, for comparison), s", [empty_start]),
    ]
    for name, values in rows:
        print(f"{name:44} {statistics.median(values):9.3f} {max(values):9.3f}")
    print(f"{'state file size on disk, MB':44} {size / 2**20:9.1f}")


if __name__ == "__main__":
    main()
