"""Exercise 2, getting data in: access, dataset group, schemas, datasets, imports, put_items."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from .. import deploy, personalize
from .common import (
    CATALOGUE_KEY,
    DATASET_TYPES,
    INTERACTIONS_KEY,
    ROLE_SUFFIX,
    Listing,
    MissingStep,
    arn,
    dataset_arn,
    group_arn,
    interactions,
    names,
    read_csv,
    require,
    status_table,
    wait,
)

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
BUCKET_POLICY_SID = "PersonalizeS3Access"
# A capsule collection released on the last day of the data: items without interactions yet,
# sent one by one through the SDK (put_items) instead of a bulk import. CREATION_TIMESTAMP is
# set at put time to that day, so the items count as new whatever the data's dates.
NEW_ITEMS = [
    {
        "ITEM_ID": "northpeak-summit-navy-parka",
        "NAME": "Northpeak Summit Navy Parka",
        "CATEGORY_L1": "outerwear",
        "CATEGORY_L2": "parka",
        "BRAND": "northpeak",
        "PRICE_TIER": "premium",
        "PRICE": 289.99,
    },
    {
        "ITEM_ID": "stride-aero-white-running-shoe",
        "NAME": "Stride Aero White Running Shoe",
        "CATEGORY_L1": "footwear",
        "CATEGORY_L2": "running-shoe",
        "BRAND": "stride",
        "PRICE_TIER": "mid",
        "PRICE": 119.99,
    },
    {
        "ITEM_ID": "loop-merino-grey-wool-socks",
        "NAME": "Loop Merino Grey Wool Socks",
        "CATEGORY_L1": "socks",
        "CATEGORY_L2": "wool-socks",
        "BRAND": "loop",
        "PRICE_TIER": "mid",
        "PRICE": 18.99,
    },
]


def catalogue(ws: Any) -> pd.DataFrame:
    """Products by ITEM_ID: the imported catalogue plus the items put one by one."""
    frame = pd.concat([read_csv(ws, CATALOGUE_KEY), pd.DataFrame(NEW_ITEMS)])
    return frame.drop_duplicates("ITEM_ID", keep="last").set_index("ITEM_ID")


def check_inputs(ws: Any) -> pd.DataFrame:
    """What exercise 1 left in S3, per event type (a readable error if it is not there)."""
    frame = interactions(ws)
    products = read_csv(ws, CATALOGUE_KEY)
    table = frame.groupby("EVENT_TYPE").agg(
        interactions=("USER_ID", "size"), users=("USER_ID", "nunique"), items=("ITEM_ID", "nunique")
    )
    table.loc["all"] = [len(frame), frame["USER_ID"].nunique(), frame["ITEM_ID"].nunique()]
    print(
        f"s3://{ws.bucket}/{INTERACTIONS_KEY}: {len(frame):,} interactions\n"
        f"s3://{ws.bucket}/{CATALOGUE_KEY}: {len(products)} products"
    )
    return table.astype(int)


# --- access ----------------------------------------------------------------------------------


def role_name(ws: Any) -> str:
    return ws.name(ROLE_SUFFIX)


def role_arn(ws: Any) -> str:
    """The role import and batch jobs run with (the stack's, or created by grant_access)."""
    if ws.roles.get(ROLE_SUFFIX):
        return ws.roles[ROLE_SUFFIX]
    try:
        return ws.client("iam").get_role(RoleName=role_name(ws))["Role"]["Arn"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchEntity":
            raise
        raise MissingStep(
            f"The IAM role {role_name(ws)} does not exist yet: run the cell that calls "
            "grant_access() first."
        ) from None


def _role_exists(iam: Any, name: str) -> bool:
    try:
        iam.get_role(RoleName=name)
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchEntity":
            raise
        return False


def _allow_in_bucket_policy(ws: Any) -> None:
    """Add Personalize's statement to the bucket policy once, keeping the other statements."""
    s3 = ws.client("s3")
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=ws.bucket)["Policy"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchBucketPolicy":
            raise
        policy = {"Version": "2012-10-17", "Statement": []}
    statement = {
        "Sid": BUCKET_POLICY_SID,
        "Effect": "Allow",
        "Principal": {"Service": "personalize.amazonaws.com"},
        "Action": ["s3:GetObject", "s3:ListBucket", "s3:PutObject"],
        "Resource": [f"arn:aws:s3:::{ws.bucket}", f"arn:aws:s3:::{ws.bucket}/*"],
    }
    others = [s for s in policy["Statement"] if s.get("Sid") != BUCKET_POLICY_SID]
    policy["Statement"] = [*others, statement]
    s3.put_bucket_policy(Bucket=ws.bucket, Policy=json.dumps(policy))


def grant_access(ws: Any) -> Listing:
    """A role Personalize assumes to read the bucket (imports) and write to it (batch jobs),
    and the bucket-policy statement that lets the service in. With the setup/ stack both
    exist already: the stack made them, and the notebook needs no IAM rights."""
    read_csv(ws, INTERACTIONS_KEY)  # the bucket and exercise 1's output must exist
    if ws.roles.get(ROLE_SUFFIX):
        rows = [
            ("IAM role", ws.roles[ROLE_SUFFIX], f"from the stack {ws.stack}"),
            ("bucket policy", BUCKET_POLICY_SID, f"from the stack {ws.stack}"),
        ]
        return Listing(pd.DataFrame(rows, columns=["what", "name", "allows"]))
    bucket = f"arn:aws:s3:::{ws.bucket}"
    access = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket},
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"{bucket}/*",
            },
        ],
    }
    iam, name = ws.client("iam"), role_name(ws)
    is_new = not _role_exists(iam, name)
    role = deploy.ensure_role(iam, name, "personalize.amazonaws.com", inline_policy=access)
    _allow_in_bucket_policy(ws)
    if is_new and ws.target == "aws":
        time.sleep(15)  # a new role takes a few seconds before a service can assume it
    rows = [
        ("IAM role", role, "personalize.amazonaws.com may assume it"),
        ("its policy", f"{name}-policy", f"list, read and write s3://{ws.bucket}/"),
        ("bucket policy", BUCKET_POLICY_SID, "personalize.amazonaws.com may list, read, write"),
    ]
    return Listing(pd.DataFrame(rows, columns=["what", "name", "allows"]))


# --- dataset group, schemas, datasets ----------------------------------------------------------


def create_dataset_group(ws: Any) -> pd.DataFrame:
    """The container of datasets, models, campaigns and filters (Custom: no domain)."""
    client = ws.client("personalize")
    group, _ = personalize.get_or_create(client, "dataset-group", name=names(ws)["dataset group"])
    wait(ws, {"dataset group": group}, "dataset group", 900)
    return status_table(ws, {"dataset group": group})


def schema(dataset_type: str) -> dict:
    """The Avro schema of a dataset type (workshop_lib/schemas/<type>.json)."""
    return json.loads((SCHEMAS_DIR / f"{dataset_type.lower()}.json").read_text())


def schema_text(dataset_type: str) -> str:
    """The schema as Personalize receives it, one field per line."""
    body = schema(dataset_type)
    head = json.dumps({k: v for k, v in body.items() if k != "fields"})[:-1]
    fields = ",\n".join(f"    {json.dumps(f)}" for f in body["fields"])
    return f'{head}, "fields": [\n{fields}\n]}}'


def create_schemas(ws: Any) -> pd.DataFrame:
    """Register both schemas (immutable once created), print them, list their fields."""
    client = ws.client("personalize")
    rows = []
    for dataset_type in DATASET_TYPES:
        name = names(ws)[f"{dataset_type} schema"]
        body = schema(dataset_type)
        personalize.get_or_create(client, "schema", name=name, schema=json.dumps(body))
        print(f"{name}:\n{schema_text(dataset_type)}\n")
        for field in body["fields"]:
            flags = [flag for flag in ("categorical", "textual") if field.get(flag)]
            rows.append((dataset_type, field["name"], field["type"], ", ".join(flags)))
    return pd.DataFrame(rows, columns=["dataset", "field", "type", "flags"])


def create_datasets(ws: Any) -> pd.DataFrame:
    """An Interactions and an Items dataset in the group, each with its schema."""
    client = ws.client("personalize")
    group = require(ws, group_arn(ws), "create_dataset_group")["datasetGroupArn"]
    made = {}
    for dataset_type in DATASET_TYPES:
        made[f"{dataset_type} dataset"], _ = personalize.get_or_create(
            client,
            "dataset",
            name=names(ws)[f"{dataset_type} dataset"],
            schemaArn=arn(ws, "schema", names(ws)[f"{dataset_type} schema"]),
            datasetGroupArn=group,
            datasetType=dataset_type,
        )
    wait(ws, made, "datasets", 900)
    return status_table(ws, made)


# --- loading data ---------------------------------------------------------------------------


def _import_job(ws: Any, dataset_type: str, key: str) -> str:
    """The import job that already loaded this dataset, else a new one.

    Import jobs cannot be deleted and their names stay taken, so a job is matched by dataset
    (created after the dataset and not failed) and a new one gets a time-stamped name.
    """
    client = ws.client("personalize")
    dataset = require(ws, dataset_arn(ws, dataset_type), "create_datasets")
    pages = client.get_paginator("list_dataset_import_jobs").paginate(
        datasetArn=dataset["datasetArn"]
    )
    jobs = [job for page in pages for job in page["datasetImportJobs"]]
    for job in sorted(jobs, key=lambda j: j["creationDateTime"], reverse=True):
        if job["creationDateTime"] >= dataset["creationDateTime"] and "FAILED" not in job["status"]:
            return job["datasetImportJobArn"]
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    return client.create_dataset_import_job(
        jobName=ws.name(f"{dataset_type.lower()}-{stamp}"),
        datasetArn=dataset["datasetArn"],
        dataSource={"dataLocation": f"s3://{ws.bucket}/{key}"},
        roleArn=role_arn(ws),
        importMode="FULL",
    )["datasetImportJobArn"]


def import_data(ws: Any) -> pd.DataFrame:
    """Bulk-import both CSVs from S3; the two jobs run at the same time."""
    sources = {"Interactions": INTERACTIONS_KEY, "Items": CATALOGUE_KEY}
    for key in sources.values():
        read_csv(ws, key)  # a readable error if notebook 01 has not run
    jobs = {f"{t} import": _import_job(ws, t, key) for t, key in sources.items()}
    wait(ws, jobs, "imports", 3 * 3600)
    rows = [(f"{t} dataset", key, "FULL") for t, key in sources.items()]
    return pd.DataFrame(rows, columns=["imported into", f"from s3://{ws.bucket}/", "mode"])


def camel(column: str) -> str:
    """CATEGORY_L1 -> categoryL1: how put_items and put_events name schema columns."""
    head, *rest = column.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


def put_new_items(ws: Any) -> pd.DataFrame:
    """put_items: records one by one (up to 10 per call), as a product system would send them;
    `properties` is a JSON string keyed by the camelCase names of the schema's columns."""
    dataset = require(ws, dataset_arn(ws, "Items"), "create_datasets")["datasetArn"]
    newest = int(interactions(ws)["TIMESTAMP"].max())
    released = newest - newest % 86400  # 00:00 UTC of the data's last day
    items = [
        {
            "itemId": item["ITEM_ID"],
            "properties": json.dumps(
                {camel(k): v for k, v in item.items() if k != "ITEM_ID"}
                | {"creationTimestamp": released}
            ),
        }
        for item in NEW_ITEMS
    ]
    ws.client("personalize-events").put_items(datasetArn=dataset, items=items)
    keys = ", ".join(json.loads(items[0]["properties"]))
    print(
        f"put_items sent {len(items)} items, e.g. itemId {items[0]['itemId']!r} with properties "
        f"{keys}\n(creationTimestamp: the last day of the interactions, so they count as new)"
    )
    return pd.DataFrame(NEW_ITEMS)
