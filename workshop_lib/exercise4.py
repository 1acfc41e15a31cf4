"""The steps of exercise 4, one call per notebook cell, each returning something to show.

Segment -> (Amazon Personalize destination) -> Lambda -> Personalize event tracker; the function
asks for fresh recommendations and writes them back onto the user's Segment profile as the
`recommended_products` trait, which the Profile API returns.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from . import deploy, personalize, segment, stack
from .exercise2.common import campaign_arn, filter_arn, group_arn, interactions
from .exercise2.datasets import catalogue
from .exercise2.serving import pick_users
from .runner import CELL_TIMEOUT_SECONDS
from .waiting import Watch, wait_all

FUNCTION_SUFFIX = "segment-destination"  # the function and its execution role
SEGMENT_ROLE_SUFFIX = "segment-invoke"  # the role Segment assumes to invoke the function
TRACKER_SUFFIX = "event-tracker"
MODULE = "segment_personalize_destination"
LIVE_SOURCE = "website-prod"
PERSONAS_SOURCE = "personas-event-source"
SPACE = "workshop"
TRAIT = "recommended_products"
# Segment's AWS account assumes this role's trust in the Personalize destination's docs
SEGMENT_PRINCIPAL = "arn:aws:iam::595280932656:role/customer-personalize-prod-destination-access"
LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TESTER_SESSION = "segment-event-tester"


class MissingExercise(RuntimeError):
    """Something notebook 02 creates is not there."""


def _wait_seconds(ws: Any, aws_seconds: float) -> float:
    return min(aws_seconds, 0.8 * CELL_TIMEOUT_SECONDS[ws.target])


def _status(ws: Any, arn: str) -> str | None:
    try:
        return personalize.describe(ws.client("personalize"), arn)["status"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        return None


def check_exercise2(ws: Any) -> pd.DataFrame:
    """The dataset group and campaign of notebook 02, ACTIVE; else a readable error."""
    rows = {"dataset group": group_arn(ws), "campaign": campaign_arn(ws, "user-personalization")}
    rows["filter"] = filter_arn(ws)
    table = [(kind, arn.split("/", 1)[1], _status(ws, arn)) for kind, arn in rows.items()]
    missing = [f"{kind} {name}" for kind, name, status in table[:2] if status != "ACTIVE"]
    if missing:
        raise MissingExercise(
            f"Not ready: {', '.join(missing)}. Run notebook 02 "
            "(02_personalize_train_and_deploy.ipynb) first: it trains the model and deploys the "
            "campaign that this notebook updates in real time."
        )
    return pd.DataFrame(table, columns=["resource", "name", "status"]).fillna("not created")


def create_tracker(ws: Any) -> pd.DataFrame:
    """The event tracker of the dataset group (get-or-create), once ACTIVE."""
    client = ws.client("personalize")
    arn, _ = personalize.get_or_create(
        client, "event-tracker", name=ws.name(TRACKER_SUFFIX), datasetGroupArn=group_arn(ws)
    )
    label = f"event tracker {ws.name(TRACKER_SUFFIX)}"  # its ARN ends in a random id
    watch = Watch(label, lambda: personalize.describe(client, arn))
    wait_all([watch], timeout=_wait_seconds(ws, 1800))
    tracker = personalize.describe(client, arn)
    return pd.DataFrame(
        [(tracker["name"], tracker["status"], tracker["trackingId"])],
        columns=["event tracker", "status", "trackingId"],
    )


def tracking_id(ws: Any) -> str:
    tracker = personalize.find(
        ws.client("personalize"), "event-tracker", ws.name(TRACKER_SUFFIX), group_arn(ws)
    )
    if tracker is None:
        raise MissingExercise("No event tracker yet: run the cell with create_tracker(ws).")
    return personalize.describe(ws.client("personalize"), tracker["eventTrackerArn"])["trackingId"]


def _write_key(ws: Any, source: str, given: str) -> str:
    if ws.target == "local":
        return segment.SegmentWorkspace(ws).create_source(source)["writeKeys"][0]
    return given


def deploy_destination(ws: Any, personas_write_key: str = "") -> Settings:
    """The function's role (PutEvents on the tracker, GetRecommendations on the campaign) and
    the function with its configuration; returns the configuration (write key hidden)."""
    tracker = personalize.find(
        ws.client("personalize"), "event-tracker", ws.name(TRACKER_SUFFIX), group_arn(ws)
    )
    if tracker is None:
        raise MissingExercise("No event tracker yet: run the cell with create_tracker(ws).")
    campaign, filter_ = campaign_arn(ws, "user-personalization"), filter_arn(ws)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "personalize:PutEvents",
                "Resource": tracker["eventTrackerArn"],
            },
            {
                "Effect": "Allow",
                "Action": "personalize:GetRecommendations",
                "Resource": [campaign, filter_],
            },
        ],
    }
    role = ws.roles.get(FUNCTION_SUFFIX) or deploy.ensure_role(
        ws.client("iam"), ws.name(FUNCTION_SUFFIX), "lambda.amazonaws.com", [LAMBDA_BASIC], policy
    )
    environment = {
        "PERSONALIZE_TRACKING_ID": tracking_id(ws),
        "PERSONALIZE_CAMPAIGN_ARN": campaign,
        "SEGMENT_WRITE_KEY": _write_key(ws, PERSONAS_SOURCE, personas_write_key),
        "SEGMENT_HOST": segment.tracking_host(ws),
        "RECOMMENDED_COUNT": "10",
    }
    if _status(ws, filter_) == "ACTIVE":
        environment["PERSONALIZE_FILTER_ARN"] = filter_
    config = deploy.deploy_function(
        ws.client("lambda"), ws.name(FUNCTION_SUFFIX), MODULE, role, environment, timeout=10
    )
    shown = {k: _shown(k, v) for k, v in environment.items()}
    rows = [
        ("function", config["FunctionName"]),
        ("handler", config["Handler"]),
        ("runtime", config["Runtime"]),
        ("timeout", f"{config['Timeout']} s"),
        ("role", config["Role"].rsplit("/", 1)[-1]),
        *((f"env {k}", v) for k, v in sorted(shown.items())),
    ]
    return Settings(dict(rows))


@dataclass(frozen=True)
class Settings:
    """Settings shown one per line, left-aligned: a value's width (an emulator URL's port)
    does not shift the others, so the stored output stays comparable."""

    values: dict[str, str]

    def __repr__(self) -> str:
        width = max(map(len, self.values))
        return "\n".join(f"{k:<{width}}  {v}" for k, v in self.values.items())

    def _repr_html_(self) -> str:
        return pd.DataFrame(self.values.items(), columns=["setting", "value"]).to_html(index=False)


def _shown(name: str, value: str) -> str:
    """A setting as the notebook shows it: no secret, ARNs without account and region."""
    if name == "SEGMENT_WRITE_KEY":
        return "(set)" if value else "(none: no traits are written back)"
    return value.split(":", 5)[-1] if value.startswith("arn:") else value


def _segment_role(ws: Any, external_id: str) -> str:
    """The role Segment assumes (with the external id) to invoke the function: the setup/
    stack's (made for the workspace id it was given), else one made here."""
    if ws.roles.get(SEGMENT_ROLE_SUFFIX):
        return ws.roles[SEGMENT_ROLE_SUFFIX]
    if ws.stack:  # its LearnerPolicy may create no role: the stack must hold this one
        raise MissingExercise(
            f"The stack {ws.stack} has no role for Segment: it was deployed without "
            "SegmentWorkspaceId. Update the stack with your workspace id (Segment: Settings > "
            "General), then run this cell again."
        )
    function_arn = ws.client("lambda").get_function(FunctionName=ws.name(FUNCTION_SUFFIX))[
        "Configuration"
    ]["FunctionArn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": SEGMENT_PRINCIPAL},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }
    invoke = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": function_arn}
        ],
    }
    name = ws.name(SEGMENT_ROLE_SUFFIX)
    return deploy.ensure_role(ws.client("iam"), name, "", inline_policy=invoke, trust=trust)


def _stack_workspace_id(ws: Any) -> str:
    """The SegmentWorkspaceId the setup/ stack was deployed with ("" without a stack)."""
    if not ws.stack:
        return ""
    info = stack.read(ws.client("cloudformation"), ws.stack)
    return info.parameters.get("SegmentWorkspaceId", "")


def connect_segment(ws: Any, segment_workspace_id: str = "") -> pd.DataFrame | Settings:
    """Local: the website-prod source -> Amazon Personalize destination (through the role
    Segment assumes), and a Unify space fed by the personas source. AWS: the role, and the
    values to type into Segment's app."""
    if ws.target != "local":
        if ws.roles.get(SEGMENT_ROLE_SUFFIX):  # the stack's role trusts its workspace id only
            segment_workspace_id = _stack_workspace_id(ws)
        if not segment_workspace_id:
            print("Set segment_workspace_id (Segment: Settings > General) to create the role.")
            return pd.DataFrame()
        role = _segment_role(ws, segment_workspace_id)
        function = ws.client("lambda").get_function(FunctionName=ws.name(FUNCTION_SUFFIX))
        values = {
            "Lambda": function["Configuration"]["FunctionArn"],
            "Role Address": role,
            "External ID": segment_workspace_id,
            "Region": ws.region,
        }
        return Settings(values)
    workspace = segment.SegmentWorkspace(ws)
    sources = workspace.create_workshop_sources()
    live = sources[LIVE_SOURCE]
    role = _segment_role(ws, live["workspaceId"])
    workspace.connect_personalize(
        live["id"],
        ws.name(FUNCTION_SUFFIX),
        ws.region,
        roleAddress=role,
        externalId=live["workspaceId"],
        logType="Tail",
    )
    space, _ = workspace.create_space(SPACE)
    workspace.connect_space(space["id"], sources[PERSONAS_SOURCE]["id"])
    table = pd.DataFrame(workspace.overview())
    table = table[table["source"].isin([LIVE_SOURCE, PERSONAS_SOURCE])]
    table["unify space"] = [SPACE if s == PERSONAS_SOURCE else "" for s in table["source"]]
    return table[["source", "destination", "target", "unify space"]].reset_index(drop=True)


def tester_event(ws: Any) -> dict:
    """A Segment-format track call, as Segment's event tester sends it (anonymous session)."""
    products = catalogue(ws)
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "anonymousId": TESTER_SESSION,
        "channel": "server",
        "context": {"library": {"name": "unknown", "version": "unknown"}},
        "event": "Product Viewed",
        "integrations": {},
        "messageId": f"api-tester-{uuid.uuid4()}",
        "properties": {"sku": products.index[0]},
        "receivedAt": now,
        "timestamp": now,
        "type": "track",
        "version": 2,
    }


def test_invoke(ws: Any) -> dict:
    """Invoke the function directly with a Segment event; returns what it answered."""
    reply = ws.client("lambda").invoke(
        FunctionName=ws.name(FUNCTION_SUFFIX), Payload=json.dumps(tester_event(ws)).encode()
    )
    body = json.loads(reply["Payload"].read())
    if reply.get("FunctionError"):
        raise RuntimeError(f"The function failed: {body}")
    return {k: body[k] for k in ("status", "event", "itemId", "sessionId", "userId")}


# ---------------------------------------------------------------- the demo


def pick_shopper(ws: Any) -> tuple[str, str, pd.DataFrame]:
    """(user, a category they never touched, their interactions by category)."""
    frame, products = interactions(ws), catalogue(ws)
    user = pick_users(frame, products, count=1)[0]
    mine = frame[frame["USER_ID"] == user].join(products["CATEGORY_L1"], on="ITEM_ID")
    shares = mine["CATEGORY_L1"].value_counts()
    sizes = products.groupby("CATEGORY_L1").size()
    untouched = sizes.drop(shares.index, errors="ignore")
    new = untouched.sort_values(ascending=False).index[0] if len(untouched) else sizes.index[0]
    table = shares.rename("interactions").to_frame()
    table.index.name = "category"
    return user, new, table


def recommendations(ws: Any, user: str, n: int = 10) -> pd.DataFrame:
    """The user's recommendations (through the exclude-purchased filter if it exists), as the
    destination function asks for them."""
    params: dict[str, Any] = {
        "campaignArn": campaign_arn(ws, "user-personalization"),
        "userId": user,
        "numResults": n,
    }
    if _status(ws, filter_arn(ws)) == "ACTIVE":
        params["filterArn"] = filter_arn(ws)
    items = ws.client("personalize-runtime").get_recommendations(**params)["itemList"]
    products = catalogue(ws)
    rows = [(i["itemId"], *_describe(products, i["itemId"])) for i in items]
    frame = pd.DataFrame(rows, columns=["item", "product", "category"])
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="#")
    return frame


def _describe(products: pd.DataFrame, item: str) -> tuple[str, str]:
    if item not in products.index:
        return item, "?"
    return str(products.loc[item, "NAME"]), str(products.loc[item, "CATEGORY_L1"])


def _destination_id(ws: Any) -> str:
    workspace = segment.SegmentWorkspace(ws)
    source = workspace.create_source(LIVE_SOURCE)
    for destination in workspace.destinations(source["id"]):
        if destination["metadata"]["slug"] == "amazon-personalize":
            return destination["id"]
    raise MissingExercise("No Personalize destination yet: run the cell with connect_segment(ws).")


def browse(
    ws: Any,
    category: str,
    user: str | None = None,
    anonymous_id: str | None = None,
    count: int = 8,
    write_key: str = "",
) -> pd.DataFrame:
    """A short browsing session through the real Segment client: `count` product views in
    `category`; on the local target, waits until the destination delivered every event."""
    products = catalogue(ws)
    pool = products[products["CATEGORY_L1"] == category].sort_index()
    chosen = pool.iloc[:: max(1, len(pool) // count)].head(count)  # spread over the brands
    key = _write_key(ws, LIVE_SOURCE, write_key)
    if not key:
        print("No segment_write_key given: the live part is skipped (see the markdown above).")
        return pd.DataFrame()
    client = segment.analytics_client(key, ws)
    session = anonymous_id or f"browser-{user}"
    for item, row in chosen.iterrows():
        client.track(
            user_id=user,
            anonymous_id=session,
            event="Product Viewed",
            properties={"sku": item, "name": row["NAME"], "category": category},
            message_id=str(uuid.uuid4()),  # a new visit each run (Segment drops repeated ids)
            timestamp=datetime.now(UTC),
        )
    client.flush()
    client.shutdown()
    if ws.target == "local":
        workspace = segment.SegmentWorkspace(ws)
        result = workspace.wait_for_deliveries(_destination_id(ws), timeout=_wait_seconds(ws, 60))
        if result["pending"]:
            print(f"{result['pending']} events are still on their way to the function.")
    else:
        time.sleep(10)  # Segment delivers within seconds
    sent = chosen[["NAME", "CATEGORY_L1"]].rename(
        columns={"NAME": "product", "CATEGORY_L1": "category"}
    )
    sent.index.name = "viewed"
    return sent


def side_by_side(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Two recommendation lists next to each other, new entries marked."""
    rows = []
    for k in range(max(len(before), len(after))):
        b = before.iloc[k] if k < len(before) else None
        a = after.iloc[k] if k < len(after) else None
        is_new = a is not None and a["item"] not in set(before["item"])
        rows.append(
            (
                *(b[["product", "category"]] if b is not None else ("", "")),
                *(a[["product", "category"]] if a is not None else ("", "")),
                "new" if is_new else "",
            )
        )
    columns = pd.MultiIndex.from_tuples(
        [
            ("before", "product"),
            ("before", "category"),
            ("after", "product"),
            ("after", "category"),
            ("after", ""),
        ]
    )
    return pd.DataFrame(rows, columns=columns, index=pd.RangeIndex(1, len(rows) + 1, name="#"))


def category_shares(before: pd.DataFrame, after: pd.DataFrame, title: str):
    """A bar chart of the categories' shares of the recommendations, before and after."""
    import matplotlib.pyplot as plt

    shares = pd.DataFrame(
        {
            "before": before["category"].value_counts(normalize=True),
            "after": after["category"].value_counts(normalize=True),
        }
    ).fillna(0.0)
    shares = shares.sort_index()
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(shares) + 1.4))
    y = range(len(shares))
    ax.barh([i + 0.2 for i in y], shares["before"], height=0.4, label="before", color="#9db9e3")
    ax.barh([i - 0.2 for i in y], shares["after"], height=0.4, label="after", color="#3b7dd8")
    ax.set_yticks(list(y), shares.index)
    ax.set_xlabel("share of the recommendations")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig


def profile_trait(ws: Any, user: str, space_id: str = "", access_token: str = "") -> pd.DataFrame:
    """The user's `recommended_products` trait read back through the Profile API."""
    if ws.target == "local":
        space, access_token = segment.SegmentWorkspace(ws).create_space(SPACE)
        space_id = space["id"]
    elif not (space_id and access_token):
        print("Set profile_space_id and profile_access_token to read the profile (see above).")
        return pd.DataFrame()
    traits = segment.profile_traits(space_id, access_token, user, ws)
    items = traits.get(TRAIT, [])
    products = catalogue(ws)
    frame = pd.DataFrame(
        [(i, *_describe(products, i)) for i in items], columns=["item", "product", "category"]
    )
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="#")
    return frame


def delivery_log(ws: Any, limit: int = 10) -> pd.DataFrame:
    """The destination's latest deliveries (newest first) and what the function answered."""
    if ws.target != "local":
        print("On AWS: Segment app > Connections > the destination > Event Delivery.")
        return pd.DataFrame()
    entries = segment.SegmentWorkspace(ws).deliveries(_destination_id(ws), limit)["deliveries"]
    rows = []
    for e in entries:
        answer = json.loads(e.get("response") or "{}")
        rows.append(
            (
                e["type"],
                e.get("event") or "",
                e.get("userId") or "",
                e["status"],
                e["attempts"],
                answer.get("status", ""),
                answer.get("itemId", ""),
                e.get("error") or "",
            )
        )
    return pd.DataFrame(
        rows,
        columns=["type", "event", "userId", "delivery", "attempts", "function", "itemId", "error"],
    )


def created(ws: Any) -> pd.DataFrame:
    """What this notebook added to the workshop (notebook 05 removes it)."""
    rows = [
        ("Personalize event tracker", ws.name(TRACKER_SUFFIX)),
        ("Lambda function", ws.name(FUNCTION_SUFFIX)),
        ("IAM role (the function's)", ws.name(FUNCTION_SUFFIX)),
        ("IAM role (Segment assumes it)", ws.name(SEGMENT_ROLE_SUFFIX)),
    ]
    if ws.target == "local":
        rows += [
            ("Segment destination", f"{LIVE_SOURCE} -> Amazon Personalize"),
            ("Segment Unify space", f"{SPACE} (fed by {PERSONAS_SOURCE})"),
        ]
    return pd.DataFrame(rows, columns=["what", "name"])


def new_visitor() -> str:
    """An anonymous id never seen before (a new browser), so every run starts cold."""
    return f"visitor-{uuid.uuid4()}"
