"""What IAM enforcement costs a call: get_recommendations p50 with the evaluator on and off.

    .venv/bin/python benchmarks/iam.py [--calls 500]

A threaded emulator, a small campaign, and a role allowed personalize:GetRecommendations (the
way a Lambda function's role calls it); the role's session calls get_recommendations --calls
times with enforcement on (each call checked against the role's policies) and off
(WORKSHOP_EMULATOR_IAM=off), and the account owner's placeholder credentials (not checked) as a
reference. Prints p50 and p99 in ms, and the health endpoint's count of checked requests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "emulator"))

from workshop_lib.emulator.iam import ENV_IAM  # noqa: E402
from workshop_lib.emulator.personalize.synthetic import generate  # noqa: E402
from workshop_lib.emulator.server import ThreadedEmulator  # noqa: E402

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def timed(call, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def ms(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000


def role_runtime(campaign: str):
    """personalize-runtime signed by a session of a role allowed GetRecommendations."""
    iam = boto3.client("iam")
    name = f"bench-iam-{os.getpid()}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    allow = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "personalize:GetRecommendations", "Resource": campaign}
        ],
    }
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(allow))
    creds = boto3.client("sts").assume_role(RoleArn=arn, RoleSessionName="bench")["Credentials"]
    return boto3.client(
        "personalize-runtime",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    with ThreadedEmulator() as emulator:
        os.environ.update(
            AWS_ENDPOINT_URL=emulator.url,
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            AWS_DEFAULT_REGION="us-east-1",
        )
        from test_personalize_support import (
            campaign_for,
            clients,
            group_with_data,
            trained_version,
        )

        personalize, owner_runtime, _ = clients()
        interactions, _ = generate(n_users=300, n_items=100, seed=5)
        group = group_with_data(personalize, interactions)["group"]
        _, version = trained_version(personalize, group, "aws-user-personalization")
        campaign = campaign_for(personalize, version)
        runtime = role_runtime(campaign)
        users = [str(u) for u in interactions.USER_ID.unique()[:50]]

        def call(client):
            k = iter(range(10**9))
            return lambda: client.get_recommendations(
                campaignArn=campaign, userId=users[next(k) % len(users)]
            )

        for client in (runtime, owner_runtime):
            timed(call(client), 20)  # warm up connections and caches
        rows = {}
        os.environ.pop(ENV_IAM, None)
        rows["role, IAM on"] = timed(call(runtime), args.calls)
        rows["owner (not checked)"] = timed(call(owner_runtime), args.calls)
        os.environ[ENV_IAM] = "off"
        rows["role, IAM off"] = timed(call(runtime), args.calls)
        os.environ.pop(ENV_IAM, None)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{emulator.url}/_emulator/health") as answer:
            health = json.loads(answer.read())
    print(f"get_recommendations through boto3, {args.calls} calls each")
    print(f"{'caller':<22}{'p50 ms':>9}{'p99 ms':>9}")
    for name, values in rows.items():
        print(f"{name:<22}{ms(values, 50):>9.2f}{ms(values, 99):>9.2f}")
    cost = statistics.median(rows["role, IAM on"]) - statistics.median(rows["role, IAM off"])
    print(f"evaluator cost on p50: {cost * 1000:.2f} ms")
    print(f"health: {health['iam']}")


if __name__ == "__main__":
    main()
