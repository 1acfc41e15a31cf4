"""moto's CloudFormation, completed where setup/workshop-stack.yaml needs it.

Why: the notebooks on the local target should find the stack's bucket and roles as they are on
AWS (the same bucket policy, public access block, ownership and lifecycle settings, and inline
policies that read back as JSON), and deleting the stack should leave nothing behind.

What moto 5.2.5 lacks, each silently (the stack still reaches CREATE_COMPLETE):
1. `AWS::S3::BucketPolicy` is no resource type of moto's: it is skipped with a UserWarning.
2. `AWS::S3::Bucket` applies BucketEncryption and Tags only; PublicAccessBlockConfiguration,
   OwnershipControls and LifecycleConfiguration are dropped, on create and on update.
3. `AWS::IAM::ManagedPolicy` has no delete (delete_stack leaves the policy behind) and no
   update (an update drops the policy from the stack's resources, so it also outlives the stack).
4. `AWS::IAM::Role` stores each inline policy of `Policies` as a Python dict, so GetRolePolicy
   answers with its repr ({'Version': ...}), which no JSON parser reads; an update ignores
   `Policies`.
And one that item 1 would expose: moto checks a bucket policy on every object request, and takes
every condition there as holding (it evaluates StringEquals only, with no request values for S3),
so the stack's "deny if aws:SecureTransport is false" statement denies every GetObject and
PutObject in the emulator (403), where AWS denies only plain-HTTP callers. And moto's
PutBucketPolicy stores any bytes, after which every object request of the bucket fails (500):
S3 refuses with MalformedPolicy, and so does this module.

What this module does, through moto's own extension points, in-process:
1. `BucketPolicy`, a `CloudFormationModel` subclass: moto builds its map of resource types from
   the subclasses of that class, so defining it registers the type. It puts the document on the
   bucket through moto's S3 backend, replaces it on update and deletes it with the stack (or
   with the resource); Ref is the bucket's name, as on AWS.
2. The bucket's create and update also apply the three properties through the S3 backend (an
   update that drops one removes that setting, as on AWS).
3. ManagedPolicy gets CloudFormation's delete (detach from every user, group and role, then
   delete) and update (a new default version for a new document, pruning the oldest version at
   IAM's limit of 5; a new policy for a new name, path or description; Roles/Users/Groups
   attached and detached as the template's lists change).
4. The role's inline policies are stored as JSON, and an update puts the template's policies and
   deletes the ones it no longer lists.
5. A bucket policy statement applies only when its conditions hold for the request: the emulator
   stands in for AWS's HTTPS endpoints (clients use plain HTTP only because it is 127.0.0.1), so
   aws:SecureTransport is "true". A condition on another key does not hold (an ...IfExists one
   does), nor one with an operator other than Bool: that statement neither grants nor denies,
   so the emulator never denies on a guess (and it checks no identity policies anyway).
A property, lifecycle rule field or condition that this module does not know is ignored as moto
ignored it before, and a setting S3 would refuse is logged and skipped: a stack never fails here.

When: importing this module registers BucketPolicy (moto reads its type map when it first parses
a template). `install(dispatcher)` wraps moto's dispatcher so that the first S3 or CloudFormation
request applies 2-5, once per process (moto's state is process-wide): importing moto's S3 and
IAM models at start-up would add 30-50 ms to the emulator's ~0.27 s cold start.
"""

from __future__ import annotations

import inspect
import json
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

from moto.core.common_models import CloudFormationModel  # moto.server has imported it already

log = logging.getLogger(__name__)

TRIGGERS = frozenset({"s3", "cloudformation"})  # the moto apps that need the fixes
REQUEST_CONTEXT = {"aws:securetransport": "true"}  # condition keys are case-insensitive
PUBLIC_ACCESS_FLAGS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)
POLICY_VERSION_LIMIT = 5  # IAM keeps at most 5 versions of a managed policy

_lock = threading.Lock()
_applied = False


def install(dispatcher: Any) -> None:
    """Apply the fixes when moto's `DomainDispatcherApplication` first builds its s3 or
    cloudformation app (it builds one app per service, on that service's first request)."""
    create_app = dispatcher.create_app

    def create_app_with_fixes(service: str) -> Any:
        if service in TRIGGERS:
            apply()
        return create_app(service)

    dispatcher.create_app = create_app_with_fixes


def apply() -> None:
    """Patch moto's S3 and IAM models (once per process: moto's state is process-wide)."""
    global _applied
    with _lock:
        if _applied:
            return
        from moto.iam.models import ManagedPolicy, Role
        from moto.s3.models import FakeBucket, S3Backend

        for action in ("create", "update"):
            _after(FakeBucket, f"{action}_from_cloudformation_json", _bucket_settings)
            _after(Role, f"{action}_from_cloudformation_json", _role_policies)
        _after(ManagedPolicy, "create_from_cloudformation_json", _policy_entities)
        FakeBucket.get_permission = _bucket_permission
        _before_put_bucket_policy(S3Backend)
        ManagedPolicy.update_from_cloudformation_json = classmethod(_update_policy)
        ManagedPolicy.delete_from_cloudformation_json = classmethod(_delete_policy)
        parsing = sys.modules.get("moto.cloudformation.parsing")
        if parsing is not None:  # its cached type map predates BucketPolicy
            for cached in (
                parsing.get_model_list,
                parsing.get_model_map,
                parsing.get_name_type_map,
            ):
                cached.cache_clear()
        _applied = True


def _after(cls: type, name: str, fix: Callable[[Any, dict[str, Any]], None]) -> None:
    """Make the classmethod `name` of `cls` run moto's, then `fix(resource, arguments)`:
    the resource moto made and moto's arguments by parameter name (moto passes them either way)."""
    moto_method = getattr(cls, name)
    signature = inspect.signature(moto_method)

    def wrapped(klass: type, *args: Any, **kwargs: Any) -> Any:
        resource = moto_method.__func__(klass, *args, **kwargs)
        fix(resource, signature.bind(*args, **kwargs).arguments)
        return resource

    setattr(cls, name, classmethod(wrapped))


def _backends(account_id: str, region_name: str) -> tuple[Any, Any]:
    from moto.iam.models import iam_backends
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    partition = get_partition(region_name)
    return s3_backends[account_id][partition], iam_backends[account_id][partition]


def _compact(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document, separators=(",", ":"))


# --- 1. AWS::S3::BucketPolicy


class BucketPolicy(CloudFormationModel):
    """AWS::S3::BucketPolicy: the bucket's policy, kept in moto's S3 backend."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""  # no name property

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False  # Ref only

    @property
    def physical_resource_id(self) -> str:
        return self.bucket  # what Ref answers on AWS

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **_
    ) -> BucketPolicy:
        properties = cloudformation_json["Properties"]
        s3, _iam = _backends(account_id, region_name)
        s3.put_bucket_policy(properties["Bucket"], _compact(properties["PolicyDocument"]).encode())
        return cls(properties["Bucket"])

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls,
        original_resource: BucketPolicy,
        new_resource_name: str,
        cloudformation_json: dict,
        account_id: str,
        region_name: str,
    ) -> BucketPolicy:
        policy = cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )
        if policy.bucket != original_resource.bucket:  # a new Bucket replaces the resource
            cls.delete_from_cloudformation_json(
                original_resource.bucket, cloudformation_json, account_id, region_name
            )
        return policy

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> None:
        s3, _iam = _backends(account_id, region_name)
        if resource_name in s3.buckets:  # the stack may have deleted the bucket first
            s3.delete_bucket_policy(resource_name)


# --- 2. AWS::S3::Bucket: PublicAccessBlockConfiguration, OwnershipControls, LifecycleConfiguration


def _bucket_settings(bucket: Any, arguments: dict[str, Any]) -> None:
    """Apply the three properties (on update, one the template no longer has is removed)."""
    properties = arguments["cloudformation_json"].get("Properties", {})
    s3, _iam = _backends(arguments["account_id"], arguments["region_name"])
    name, updating = bucket.name, "original_resource" in arguments
    settings = {  # property: (put its value, remove the setting)
        "PublicAccessBlockConfiguration": (
            lambda value: s3.put_public_access_block(
                name, {flag: value.get(flag, False) for flag in PUBLIC_ACCESS_FLAGS}
            ),
            lambda: s3.delete_public_access_block(name),
        ),
        "OwnershipControls": (
            lambda value: s3.put_bucket_ownership_controls(
                name, value["Rules"][0]["ObjectOwnership"]
            ),
            lambda: s3.delete_bucket_ownership_controls(name),
        ),
        "LifecycleConfiguration": (
            lambda value: s3.put_bucket_lifecycle_configuration(
                name, [_lifecycle_rule(rule) for rule in value["Rules"]]
            ),
            lambda: s3.delete_bucket_lifecycle(name),
        ),
    }
    for prop, (put, remove) in settings.items():
        try:
            if prop in properties:
                put(properties[prop])
            elif updating:
                remove()
        except Exception as exc:  # AWS would fail the stack; moto ignored it: log, go on
            log.warning("AWS::S3::Bucket %s: %s not applied: %r", name, prop, exc)


def _lifecycle_rule(rule: dict) -> dict:
    """A CloudFormation lifecycle rule as the S3 API (and moto's backend) spells it."""
    tags = [{"Key": t["Key"], "Value": t["Value"]} for t in rule.get("TagFilters", [])]
    prefix = rule.get("Prefix", "")
    if tags and (prefix or len(tags) > 1):
        lc_filter: dict = {"And": {"Prefix": prefix, "Tag": tags}}
    else:
        lc_filter = {"Tag": tags[0]} if tags else {"Prefix": prefix}
    api: dict[str, Any] = {"ID": rule.get("Id"), "Status": rule["Status"], "Filter": lc_filter}
    expiration = {
        key: rule[cfn]
        for key, cfn in [
            ("Days", "ExpirationInDays"),
            ("Date", "ExpirationDate"),
            ("ExpiredObjectDeleteMarker", "ExpiredObjectDeleteMarker"),
        ]
        if cfn in rule
    }
    if expiration:
        api["Expiration"] = expiration
    if "Transitions" in rule:
        api["Transition"] = [
            {
                "Days": t.get("TransitionInDays"),
                "Date": t.get("TransitionDate"),
                "StorageClass": t["StorageClass"],
            }
            for t in rule["Transitions"]
        ]
    noncurrent = rule.get("NoncurrentVersionExpiration")
    if noncurrent or "NoncurrentVersionExpirationInDays" in rule:
        days = (noncurrent or {}).get(
            "NoncurrentDays", rule.get("NoncurrentVersionExpirationInDays")
        )
        api["NoncurrentVersionExpiration"] = {"NoncurrentDays": days}
    if "AbortIncompleteMultipartUpload" in rule:
        api["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    return api


# --- 3. AWS::IAM::ManagedPolicy: update and delete


def _entities(properties: dict) -> set[tuple[str, str]]:
    """The (kind, name) pairs the template attaches the policy to."""
    kinds = {"Roles": "role", "Users": "user", "Groups": "group"}
    return {(kind, name) for prop, kind in kinds.items() for name in properties.get(prop, [])}


def _policy_entities(policy: Any, arguments: dict[str, Any]) -> None:
    policy.stack_entities = _entities(arguments["cloudformation_json"].get("Properties", {}))


def _update_policy(
    cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
):
    policy, properties = original_resource, cloudformation_json.get("Properties", {})
    _s3, iam = _backends(account_id, region_name)
    name = properties.get("ManagedPolicyName", policy.name)
    identity = (name, properties.get("Path") or "/", properties.get("Description") or "")
    if identity != (policy.name, policy.path, policy.description):  # a replacement
        new_name = properties.get("ManagedPolicyName", new_resource_name)
        new = cls.create_from_cloudformation_json(
            new_name, cloudformation_json, account_id, region_name
        )
        cls.delete_from_cloudformation_json(
            policy.arn, cloudformation_json, account_id, region_name
        )
        return new
    document = _compact(properties.get("PolicyDocument"))
    current = iam.get_policy_version(policy.arn, policy.default_version_id).document
    if json.loads(document) != json.loads(current):
        if len(policy.versions) >= POLICY_VERSION_LIMIT:
            oldest = next(v for v in policy.versions if not v.is_default)
            iam.delete_policy_version(policy.arn, oldest.version_id)
        iam.create_policy_version(policy.arn, document, set_as_default=True)
    before, after = getattr(policy, "stack_entities", set()), _entities(properties)
    for kind, entity in sorted(before - after):
        getattr(iam, f"detach_{kind}_policy")(policy.arn, entity)
    for kind, entity in sorted(after - before):
        getattr(iam, f"attach_{kind}_policy")(policy.arn, entity)
    policy.stack_entities = after
    return policy


def _delete_policy(cls, resource_name, cloudformation_json, account_id, region_name):
    """As CloudFormation does: detach from every user, group and role, then delete."""
    _s3, iam = _backends(account_id, region_name)
    policy = iam.managed_policies.get(resource_name)  # the physical id is the ARN
    if policy is None:
        return
    for entity in [*iam.roles.values(), *iam.users.values(), *iam.groups.values()]:
        if resource_name in entity.managed_policies:
            policy.detach_from(entity)
    iam.delete_policy(resource_name)


# --- 4. AWS::IAM::Role: inline policies as JSON, and updated


def _role_policies(role: Any, arguments: dict[str, Any]) -> None:
    """The template's inline policies as JSON; on update, the ones it dropped are deleted."""
    policies = {
        p["PolicyName"]: _compact(p["PolicyDocument"])
        for p in arguments["cloudformation_json"].get("Properties", {}).get("Policies", [])
    }
    before = getattr(arguments.get("original_resource"), "stack_policy_names", set())
    for dropped in before - set(policies):
        role.policies.pop(dropped, None)
    role.policies.update(policies)
    role.stack_policy_names = set(policies)


# --- 5. Bucket policies: conditions


def _bucket_permission(bucket: Any, action: str, resource: str) -> Any:
    """moto's FakeBucket.get_permission, with only the statements whose conditions hold."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if bucket.policy is None:
        return PermissionResult.NEUTRAL
    statements = json.loads(bucket.policy).get("Statement", [])
    applicable = [
        {key: value for key, value in statement.items() if key != "Condition"}
        for statement in (statements if isinstance(statements, list) else [statements])
        if _conditions_hold(statement.get("Condition") or {})
    ]
    return IAMPolicy(json.dumps({"Statement": applicable})).is_action_permitted(action, resource)


def _before_put_bucket_policy(backend_class: Any) -> None:
    """moto stores any bytes as a bucket policy, and every later object request of the bucket
    then fails on it (500); S3 refuses a policy that is not a JSON object with statements."""
    from moto.s3.exceptions import S3ClientError

    put = backend_class.put_bucket_policy

    def checked(self: Any, bucket_name: str, policy: bytes) -> None:
        try:
            document = json.loads(policy)
        except (ValueError, UnicodeDecodeError):
            document = None
        if not isinstance(document, dict):
            raise S3ClientError(
                "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'"
            )
        statements = document.get("Statement")
        statements = statements if isinstance(statements, list) else [statements]
        if not all(isinstance(s, dict) for s in statements):
            raise S3ClientError("MalformedPolicy", "Missing required field Statement")
        put(self, bucket_name, policy)

    backend_class.put_bucket_policy = checked


def _conditions_hold(condition: dict) -> bool:
    for operator, tests in condition.items():
        if_exists = operator.endswith("IfExists")
        for key, expected in tests.items():
            actual = REQUEST_CONTEXT.get(key.lower())
            if actual is None:
                if if_exists:
                    continue
                return False
            if operator.removesuffix("IfExists") != "Bool":
                return False
            values = expected if isinstance(expected, list) else [expected]
            if actual not in [str(v).lower() for v in values]:
                return False
    return True
