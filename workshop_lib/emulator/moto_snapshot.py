"""moto's backends as state to save: every BackendDict in use, by the module that holds it.

moto keeps each service's data in plain Python objects in module-level `BackendDict`s
(account -> region -> backend). A snapshot pickles the backends of those in use; a restore puts
them back into the same dicts. IAM's AWS managed policies (1,000+ documents, ~20 MB) are saved
as references and taken from the fresh IAM backend at restore, unless a role uses one (its
attachment count is state then).
"""

from __future__ import annotations

import importlib
import io
import pickle
from typing import Any

from .persistence import dispatch_table


def _backend_dicts() -> list[Any]:
    from moto.core.base_backend import BackendDict

    return list(BackendDict._instances)


def _location(backend_dict: Any) -> tuple[str, str]:
    """(module, attribute) naming a BackendDict, so a restore finds the same dict."""
    module = importlib.import_module(backend_dict.backend.__module__)
    for name, value in vars(module).items():
        if value is backend_dict:
            return module.__name__, name
    raise LookupError(f"no module attribute holds moto's {backend_dict.service_name} backends")


def aws_managed_policy(account: str, partition: str, arn: str) -> Any:
    """At restore: the fresh IAM backend's copy of an AWS managed policy no one had attached."""
    from moto.iam.models import iam_backends

    return iam_backends[account][partition].managed_policies[arn]


def _reduce_aws_policy(policy: Any) -> Any:
    if policy.attachment_count == 0:
        return aws_managed_policy, (policy.account_id, policy.partition, policy.arn)
    return object.__reduce_ex__(policy, pickle.HIGHEST_PROTOCOL)  # in use: saved whole


def snapshot() -> bytes:
    """moto's state: {(module, attribute): {account: {region: backend}}}, pickled."""
    state = {
        _location(bd): {account: dict(regions) for account, regions in bd.items()}
        for bd in _backend_dicts()
    }
    from moto.iam.models import AWSManagedPolicy

    table = dispatch_table()
    table[AWSManagedPolicy] = _reduce_aws_policy  # by type: no Python call for other objects
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = table
    pickler.dump(state)
    return buffer.getvalue()


def restore(data: bytes) -> None:
    state = pickle.loads(data)
    for (module, attribute), accounts in state.items():
        backend_dict = getattr(importlib.import_module(module), attribute)
        for account, regions in accounts.items():
            per_account = backend_dict[account]  # creates and registers it
            for region, backend in regions.items():
                dict.__setitem__(per_account, region, backend)


def counts() -> dict[str, int]:
    """What a learner recognises: buckets, objects, functions, APIs, Glue tables and jobs."""
    from .config import LOCAL_ACCOUNT_ID

    out: dict[str, int] = {}

    def add(key: str, module: str, attribute: str, count) -> None:
        backend_dict = getattr(importlib.import_module(module), attribute)
        if LOCAL_ACCOUNT_ID in dict.keys(backend_dict):
            total = sum(count(b) for b in dict.values(backend_dict[LOCAL_ACCOUNT_ID]))
            if total:
                out[key] = out.get(key, 0) + total

    add("buckets", "moto.s3.models", "s3_backends", lambda b: len(b.buckets))
    add(
        "objects",
        "moto.s3.models",
        "s3_backends",
        lambda b: sum(len(bucket.keys) for bucket in b.buckets.values()),
    )
    add(
        "tables",
        "moto.glue.models",
        "glue_backends",
        lambda b: sum(len(db.tables) for db in b.databases.values()),
    )
    add("Glue jobs", "moto.glue.models", "glue_backends", lambda b: len(b.jobs))
    add("functions", "moto.awslambda.models", "lambda_backends", lambda b: len(b.list_functions()))
    add("APIs", "moto.apigateway.models", "apigateway_backends", lambda b: len(b.apis))
    add("APIs", "moto.apigatewayv2.models", "apigatewayv2_backends", lambda b: len(b.apis))
    return out
