"""Speed of the Personalize emulator: training time and memory, runtime and events latency.

    .venv/bin/python benchmarks/personalize_speed.py [--calls 1000] [--skip-million]

- training on data/sample: a whole solution-version job (event selection, the metrics model on
  90 % of users with the validation search, the final model on all users), per recipe;
- training on generated shapes of about 100,000 interactions (large catalogues, few or many users);
- training on 1 million interactions (100,000 users, 20,000 items, synthetic, vectorised
  generation) in a child process, with its peak resident memory;
- get_recommendations and put_events through boto3 against the threaded emulator, with a
  campaign trained on data/sample: p50 and p99 over --calls calls;
- responsiveness: describe_solution_version and get_recommendations latencies while a
  300,000-interaction model trains in the same emulator.
Targets (issues 6 and 18): sample < 5 s; 100k < 10 s; 1M < 60 s and < 3 GB;
get_recommendations p50 < 10 ms and p99 < 30 ms; put_events p50 < 10 ms.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def sample_frame() -> pd.DataFrame:
    from personalize_quality import segment_interactions

    return segment_interactions(ROOT / "data" / "sample")


def million(users: int = 100_000, items: int = 20_000, n: int = 1_000_000, seed: int = 1):
    """Synthetic interactions with taste clusters and popularity skew, vectorised."""
    rng = np.random.default_rng(seed)
    clusters = 200
    item_cluster = rng.integers(0, clusters, items)
    order = np.argsort(item_cluster, kind="stable")
    starts = np.searchsorted(item_cluster[order], np.arange(clusters + 1))
    user = np.sort(rng.integers(0, users, n))
    taste = rng.integers(0, clusters, users)[user]
    explore = rng.random(n) < 0.2
    taste[explore] = rng.integers(0, clusters, explore.sum())
    size = starts[taste + 1] - starts[taste]
    within = np.minimum((rng.pareto(1.2, n) * size / 8).astype(int), size - 1)
    item = order[starts[taste] + within]
    stamp = 1_700_000_000 + np.arange(n) * 3
    return pd.DataFrame(
        {
            "USER_ID": user.astype(str),
            "ITEM_ID": item.astype(str),
            "EVENT_TYPE": "View",
            "TIMESTAMP": stamp,
        }
    )


def hundred_thousands() -> list[tuple[str, pd.DataFrame]]:
    """Generated shapes of about 100,000 interactions (workshop_lib.datagen.shapes)."""
    from workshop_lib.datagen import shapes

    frames = [
        ("long tail (1,500 users, 10k items)", shapes.long_tail()),
        ("sparse users (5,000 users, 12k items)", shapes.sparse_users()),
        ("ratings (950 users, 1.6k items)", shapes.ratings()),
        (
            "few users (330 users x 230 events, 9k items)",
            shapes.few_users(),
        ),
    ]
    return [(f"{label}, {len(frame) / 1000:.0f}k", frame) for label, frame in frames]


def train_seconds(frame: pd.DataFrame, recipe: str) -> float:
    from workshop_lib.emulator.personalize.training import train

    start = time.perf_counter()
    train(recipe, frame, None, {})
    return time.perf_counter() - start


def _child(queue) -> None:
    frame = million()
    seconds = train_seconds(frame, "aws-user-personalization")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((seconds, peak_kb / 1024 / 1024))


def million_run() -> tuple[float, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child, args=(queue,))
    child.start()
    result = queue.get()
    child.join()
    return result


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000


def latency(frame: pd.DataFrame, calls: int) -> dict[str, list[float]]:
    """Per-call seconds of get_recommendations and put_events through boto3."""
    import boto3

    from workshop_lib.emulator.server import ThreadedEmulator

    with ThreadedEmulator() as emulator:
        os.environ.update(
            AWS_ENDPOINT_URL=emulator.url,
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            AWS_DEFAULT_REGION="us-east-1",
        )
        import sys

        sys.path.insert(0, str(ROOT / "tests" / "emulator"))
        from test_personalize_support import campaign_for, clients, trained_version, unique

        personalize, runtime, events = clients()
        s3 = boto3.client("s3")
        bucket = unique("bench-personalize")
        s3.create_bucket(Bucket=bucket)
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        s3.put_object(Bucket=bucket, Key="i.csv", Body=buffer.getvalue().encode())
        from test_personalize_support import INTERACTIONS_SCHEMA, wait

        group = personalize.create_dataset_group(name=unique("bench"))["datasetGroupArn"]
        wait(lambda: personalize.describe_dataset_group(datasetGroupArn=group), "datasetGroup")
        schema = personalize.create_schema(name=unique("s"), schema=INTERACTIONS_SCHEMA)
        dataset = personalize.create_dataset(
            name=unique("d"),
            schemaArn=schema["schemaArn"],
            datasetGroupArn=group,
            datasetType="Interactions",
        )["datasetArn"]
        wait(lambda: personalize.describe_dataset(datasetArn=dataset), "dataset")
        job = personalize.create_dataset_import_job(
            jobName=unique("j"),
            datasetArn=dataset,
            dataSource={"dataLocation": f"s3://{bucket}/i.csv"},
        )["datasetImportJobArn"]
        wait(
            lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job),
            "datasetImportJob",
        )
        tracker = personalize.create_event_tracker(name=unique("t"), datasetGroupArn=group)
        wait(
            lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]),
            "eventTracker",
        )
        _, version = trained_version(personalize, group, "aws-user-personalization")
        campaign = campaign_for(personalize, version)
        out_training = responsiveness(
            personalize, runtime, s3, bucket, campaign, str(frame.USER_ID.iloc[0])
        )
        users = frame.USER_ID.unique()
        items = frame.ITEM_ID.unique()
        out: dict[str, list[float]] = {"get_recommendations": [], "put_events": []}
        out.update(out_training)
        for k in range(calls):
            start = time.perf_counter()
            runtime.get_recommendations(campaignArn=campaign, userId=str(users[k % len(users)]))
            out["get_recommendations"].append(time.perf_counter() - start)
            start = time.perf_counter()
            events.put_events(
                trackingId=tracker["trackingId"],
                userId=str(users[k % len(users)]),
                sessionId="bench",
                eventList=[
                    {
                        "eventType": "Product Viewed",
                        "itemId": str(items[k % len(items)]),
                        "sentAt": time.time(),
                    }
                ],
            )
            out["put_events"].append(time.perf_counter() - start)
        return out


def responsiveness(personalize, runtime, s3, bucket, campaign, user) -> dict[str, list[float]]:
    """Call latencies while a 300,000-interaction model trains in the same emulator."""
    from test_personalize_support import INTERACTIONS_SCHEMA, RECIPE, unique, wait

    big = million(users=30_000, items=5_000, n=300_000)
    buffer = io.StringIO()
    big.to_csv(buffer, index=False)
    s3.put_object(Bucket=bucket, Key="big.csv", Body=buffer.getvalue().encode())
    group = personalize.create_dataset_group(name=unique("busy"))["datasetGroupArn"]
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=group), "datasetGroup")
    schema = personalize.create_schema(name=unique("s"), schema=INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = personalize.create_dataset(
        name=unique("d"), schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    wait(lambda: personalize.describe_dataset(datasetArn=dataset), "dataset")
    job = personalize.create_dataset_import_job(
        jobName=unique("j"),
        datasetArn=dataset,
        dataSource={"dataLocation": f"s3://{bucket}/big.csv"},
    )["datasetImportJobArn"]
    wait(
        lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job),
        "datasetImportJob",
        timeout=300,
    )
    solution = personalize.create_solution(
        name=unique("busy"), datasetGroupArn=group, recipeArn=RECIPE + "aws-user-personalization"
    )["solutionArn"]
    wait(lambda: personalize.describe_solution(solutionArn=solution), "solution")
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    out: dict[str, list[float]] = {
        "describe while training": [],
        "get_recommendations while training": [],
    }
    while True:
        start = time.perf_counter()
        status = personalize.describe_solution_version(solutionVersionArn=version)
        out["describe while training"].append(time.perf_counter() - start)
        if status["solutionVersion"]["status"] in ("ACTIVE", "CREATE FAILED"):
            break
        start = time.perf_counter()
        runtime.get_recommendations(campaignArn=campaign, userId=user)
        out["get_recommendations while training"].append(time.perf_counter() - start)
        time.sleep(0.05)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--skip-million", action="store_true")
    args = parser.parse_args()
    frame = sample_frame()
    rows = []
    for recipe in ("aws-user-personalization", "aws-popularity-count", "aws-sims"):
        rows.append(
            (
                f"train {recipe} on data/sample ({len(frame):,})",
                train_seconds(frame, recipe),
                "s",
                "< 5 s",
            )
        )
    for label, frame in hundred_thousands():
        rows.append(
            (
                f"train aws-user-personalization on {label}",
                train_seconds(frame, "aws-user-personalization"),
                "s",
                "< 10 s",
            )
        )
    if not args.skip_million:
        seconds, peak = million_run()
        rows.append(
            ("train aws-user-personalization on 1M (100k users, 20k items)", seconds, "s", "< 60 s")
        )
        rows.append(("  peak memory of that training process", peak, "GB", "< 3 GB"))
    timings = latency(frame, args.calls)
    for name, values in timings.items():
        busy = "while" in name  # no target: shows the server stays responsive during training
        target = "" if busy else "< 10 ms"
        rows.append(
            (f"{name} p50 (boto3, {len(values)} calls)", percentile(values, 50), "ms", target)
        )
        target = "< 30 ms" if name == "get_recommendations" else ""
        rows.append((f"{name} p99", percentile(values, 99), "ms", target))
        if busy:
            rows.append((f"{name} max", max(values) * 1000, "ms", ""))
    print(f"{'measure':66} {'value':>9}  unit  target")
    for name, value, unit, target in rows:
        print(f"{name:66} {value:9.2f}  {unit:4}  {target}")


if __name__ == "__main__":
    main()
