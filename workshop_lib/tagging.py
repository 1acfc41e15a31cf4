"""Tag everything the kit creates, in one place instead of at every create call.

Workshop.client() registers `add_tags` on each client: before any Create* call whose API takes
tags (Personalize, Lambda, IAM, Glue, API Gateway...), it adds the workshop's tags in the shape
that API expects, unless the caller passed tags itself. So a new create step cannot forget them,
and cleanup (or the Tag Editor in the AWS console) can find every resource by tag as well as by
name prefix. S3 buckets take no tags at creation: notebook 01 tags its bucket (put_bucket_tagging).
"""

from __future__ import annotations

from typing import Any

PROJECT = "segment-personalize-workshop"
PROJECT_KEY = "Project"
PREFIX_KEY = "WorkshopPrefix"
_MEMBERS = ("tags", "Tags")


def workshop_tags(prefix: str) -> dict[str, str]:
    return {PROJECT_KEY: PROJECT, PREFIX_KEY: prefix}


def shaped(shape: Any, tags: dict[str, str]) -> Any:
    """The tags as this API's member wants them: a map, or a list of key/value structures
    (Key/Value in IAM, tagKey/tagValue in Personalize)."""
    if shape.type_name == "map":
        return dict(tags)
    key, value = list(shape.member.members)[:2]
    return [{key: k, value: v} for k, v in tags.items()]


def add_tags(client: Any, tags: dict[str, str]) -> None:
    """Make every Create* call of this client carry `tags` (explicit tags win)."""
    model = client.meta.service_model

    def before_create(params: dict, model: Any, **_: Any) -> None:
        shape = model.input_shape
        member = next((m for m in _MEMBERS if shape and m in shape.members), None)
        if member and member not in params:
            params[member] = shaped(shape.members[member], tags)

    event = f"provide-client-params.{model.service_id.hyphenize()}"
    for operation in model.operation_names:
        if operation.startswith("Create"):
            client.meta.events.register(f"{event}.{operation}", before_create)
