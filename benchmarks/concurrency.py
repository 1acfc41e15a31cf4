"""Many callers at once against one emulator: nothing is lost, nothing fails.

20 threads for 10 s each loop over a mix of S3 put_object, Personalize get_recommendations and
put_events (a third each), as a class of learners or a busy notebook would. Printed, not
asserted (a shared machine moves the figures):
- calls/s overall, and p50/p99 (ms) and errors per call;
- lost S3 puts: objects that cannot be read back, byte for byte, after the run;
- lost events: put_events accepted (200) that the Interactions dataset does not hold.

The emulator runs in a child process (its own GIL, as `start` runs it); the child answers the
one question the public API cannot: how many events the dataset group holds.

    .venv/bin/python benchmarks/concurrency.py [--threads 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "bench-concurrency"


def _serve(conn) -> None:
    """Child: the emulator in this process; answers ("events", group ARN) and "stop"."""
    from workshop_lib.emulator.server import ThreadedEmulator

    with ThreadedEmulator() as emulator:
        conn.send(emulator.url)
        provider = next(p for p in emulator.app.providers if p.name == "personalize")
        while True:
            message = conn.recv()
            if message == "stop":
                return
            _, group = message
            dataset = provider.control.dataset_of(group, "INTERACTIONS")
            conn.send(len(dataset.state["data"].puts))


def _setup(personalize, s3) -> dict:
    """A bucket, and a dataset group with a trained campaign and an event tracker."""
    sys.path.insert(0, str(ROOT / "tests" / "emulator"))
    from test_personalize_support import campaign_for, group_with_data, trained_version, wait

    from workshop_lib.emulator.personalize.synthetic import generate

    s3.create_bucket(Bucket=BUCKET)
    interactions, items = generate(n_users=300, n_items=200, seed=9)
    arns = group_with_data(personalize, interactions, items)
    tracker = personalize.create_event_tracker(name="bench-tracker", datasetGroupArn=arns["group"])
    wait(
        lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]),
        "eventTracker",
    )
    _, version = trained_version(personalize, arns["group"], "aws-user-personalization")
    return {
        "group": arns["group"],
        "campaign": campaign_for(personalize, version),
        "tracking_id": tracker["trackingId"],
        "users": [str(u) for u in interactions["USER_ID"].unique()],
        "items": [str(i) for i in items["ITEM_ID"].unique()],
    }


def _worker(index: int, until: float, env: dict, clients, results: dict, lock) -> None:
    s3, runtime, events = clients()
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    puts: dict[str, bytes] = {}
    accepted = 0
    n = 0
    while time.time() < until:
        kind = ("put_object", "get_recommendations", "put_events")[n % 3]
        user = env["users"][(index * 7919 + n) % len(env["users"])]
        start = time.perf_counter()
        try:
            if kind == "put_object":
                key = f"t{index}/{n}"
                body = f"{index}-{n}-{uuid.uuid4()}".encode() * 8
                s3.put_object(Bucket=BUCKET, Key=key, Body=body)
                puts[key] = body
            elif kind == "get_recommendations":
                runtime.get_recommendations(campaignArn=env["campaign"], userId=user, numResults=10)
            else:
                events.put_events(
                    trackingId=env["tracking_id"],
                    userId=user,
                    sessionId=f"s{index}",
                    eventList=[
                        {
                            "eventId": uuid.uuid4().hex,  # every event distinct
                            "eventType": "click",
                            "itemId": env["items"][n % len(env["items"])],
                            "sentAt": time.time(),
                        }
                    ],
                )
                accepted += 1
            times[kind].append((time.perf_counter() - start) * 1000)
        except Exception as exc:  # counted, not raised: the point is to see them
            errors[kind].append(f"{type(exc).__name__}: {exc}"[:200])
        n += 1
    with lock:
        for kind, values in times.items():
            results["times"][kind].extend(values)
        for kind, values in errors.items():
            results["errors"][kind].extend(values)
        results["puts"].update(puts)
        results["accepted_events"] += accepted


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    url = parent.recv()
    os.environ.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
    )
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 1}, max_pool_connections=args.threads)

    def clients():
        session = boto3.Session()  # a session per thread: boto3's default one is not shared
        return tuple(
            session.client(name, config=config)
            for name in ("s3", "personalize-runtime", "personalize-events")
        )

    try:
        setup_start = time.time()
        env = _setup(boto3.client("personalize"), boto3.client("s3"))
        print(f"setup (data, training, campaign): {time.time() - setup_start:.1f} s")

        def events_held() -> int:
            parent.send(("events", env["group"]))
            return parent.recv()

        before = events_held()
        results = {
            "times": defaultdict(list),
            "errors": defaultdict(list),
            "puts": {},
            "accepted_events": 0,
        }
        lock = threading.Lock()
        until = time.time() + args.seconds
        threads = [
            threading.Thread(target=_worker, args=(i, until, env, clients, results, lock))
            for i in range(args.threads)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started

        s3 = clients()[0]
        lost_puts = 0
        for key, body in results["puts"].items():
            try:
                if s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() != body:
                    lost_puts += 1
            except Exception:
                lost_puts += 1
        stored_events = events_held() - before
        lost_events = results["accepted_events"] - stored_events
    finally:
        parent.send("stop")
        server.join(timeout=10)

    calls = sum(len(v) for v in results["times"].values())
    errors = sum(len(v) for v in results["errors"].values())
    print(f"{args.threads} threads for {args.seconds:.0f} s: {calls + errors} calls")
    print(f"{'call':22} {'calls':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for kind in ("put_object", "get_recommendations", "put_events"):
        values = results["times"][kind]
        print(
            f"{kind:22} {len(values):7d} {statistics.median(values) if values else 0:8.1f} "
            f"{_percentile(values, 0.99):8.1f} {len(results['errors'][kind]):7d}"
        )
    print(f"calls/s: {(calls + errors) / elapsed:.0f}")
    print(f"lost S3 puts (not read back as written): {lost_puts} of {len(results['puts'])}")
    print(
        f"lost events (accepted, not in the dataset): {lost_events} of "
        f"{results['accepted_events']} (dataset holds {stored_events} new)"
    )
    for kind, messages in results["errors"].items():
        for message in sorted(set(messages))[:3]:
            print(f"error {kind}: {message}")


if __name__ == "__main__":
    main()
