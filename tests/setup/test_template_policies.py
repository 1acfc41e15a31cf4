"""Least privilege in setup/workshop-stack.yaml, statement by statement.

Every wildcard ("*") in an Allow statement's Action or Resource must be listed in ALLOWED with
the reason it cannot be narrower; an entry that no longer matches fails too, so the reasons stay
true. Service-wide actions (s3:*, iam:* ...) are never allowed.
"""

from __future__ import annotations

import re

import pytest
from stack_template import (
    CONTRACT_OUTPUTS,
    as_list,
    render,
    resources,
    statements,
    template,
)

LOG_GROUP = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
PERSONALIZE = "arn:${AWS::Partition}:personalize:${AWS::Region}:${AWS::AccountId}:"
GLUE = "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:"
OBJECTS = "${DataBucket.Arn}/"

OBJECT_KEYS = (
    "object ARNs name keys, and the kit's keys under this folder are chosen at run time "
    "(Segment's files, Athena's query ids, batch output): the folder is the narrowest scope"
)
NO_RESOURCE_LEVEL = (
    "the action supports no resource-level permissions (the Service Authorization Reference "
    "lists no resource type for it), so IAM accepts only '*'"
)
LOG_STREAMS = "log stream names are generated (Glue: the run id; Lambda: date and container id)"

ALLOWED: dict[tuple[str, str, str], str] = {}


def objects(*folders: str) -> list[str]:
    return [f"{OBJECTS}{folder}/*" for folder in folders]


KIT_FOLDERS = (
    "segment-logs",
    "catalogue",
    "transformed",
    "glue-scripts",
    "athena-results",
    "batch",
)


def _allow(reason: str, resource: str, sid: str, *values: str) -> None:
    for value in values:
        ALLOWED[(resource, sid, value)] = reason


_allow(
    "Personalize's service principal needs this bucket-policy statement besides its role (the "
    "statement Personalize documents, the Sid exercise 2 writes); aws:SourceAccount pins it to "
    "this account, and PersonalizeRole narrows it to transformed/, catalogue/ and batch/",
    "DataBucketPolicy",
    "PersonalizeS3Access",
    f"{OBJECTS}*",
)
_allow(OBJECT_KEYS, "GlueJobRole", "ReadLogsAndScript", *objects("segment-logs", "glue-scripts"))
_allow(OBJECT_KEYS, "GlueJobRole", "WriteInteractions", *objects("transformed"))
_allow(
    LOG_STREAMS,
    "GlueJobRole",
    "WriteJobLogStreams",
    f"{LOG_GROUP}/aws-glue/python-jobs/output:log-stream:*",
    f"{LOG_GROUP}/aws-glue/python-jobs/error:log-stream:*",
)
_allow(
    OBJECT_KEYS,
    "PersonalizeRole",
    "ReadImportsAndBatchInput",
    *objects("transformed", "catalogue", "batch/input"),
)
_allow(OBJECT_KEYS, "PersonalizeRole", "WriteBatchOutput", *objects("batch/output"))
for role, function in (
    ("RecommendationsApiRole", "recommendations-api"),
    ("SegmentDestinationRole", "segment-destination"),
):
    _allow(
        LOG_STREAMS,
        role,
        "WriteItsLogStreams",
        f"{LOG_GROUP}/aws/lambda/${{Prefix}}-{function}:log-stream:*",
    )
_allow(
    "personalize:PutEvents supports no resource-level permissions (the request names a "
    "tracking id, not an ARN; tracker ARNs carry a generated id anyway)",
    "SegmentDestinationRole",
    "SendEvents",
    "*",
)
_allow(OBJECT_KEYS, "SegmentS3Role", "WriteSegmentLogs", *objects("segment-logs"))
_allow(NO_RESOURCE_LEVEL + " (sts:GetCallerIdentity)", "LearnerPolicy", "WhoAmI", "*")
_allow(
    NO_RESOURCE_LEVEL + " (tag:GetResources; cleanup.tagged filters by the prefix's tag)",
    "LearnerPolicy",
    "FindTaggedResources",
    "*",
)
_allow(
    "the 'Your turn' tasks of notebook 02: learners name their own solutions (and their versions' "
    "ids are generated) under the prefix",
    "LearnerPolicy",
    "PersonalizeLearnersSolutions",
    f"{PERSONALIZE}solution/${{Prefix}}-*",
    f"{PERSONALIZE}solution/${{Prefix}}-*/*",
)
_allow(
    "the 'Your turn' tasks of notebook 02: learners name their own filters under the prefix",
    "LearnerPolicy",
    "PersonalizeLearnersFilters",
    f"{PERSONALIZE}filter/${{Prefix}}-*",
)
_allow(OBJECT_KEYS, "LearnerPolicy", "ReadKitObjects", *objects(*KIT_FOLDERS))
_allow(
    OBJECT_KEYS,
    "LearnerPolicy",
    "WriteKitObjects",
    *objects("segment-logs", "catalogue", "glue-scripts", "athena-results", "batch/input"),
)
_allow(OBJECT_KEYS, "LearnerPolicy", "DeleteKitObjects", *objects(*KIT_FOLDERS))
_allow(
    "glue:DeleteDatabase is authorized against every table and function of the database; the "
    "database is the kit's own (<prefix with _>), its tables are deleted just before",
    "LearnerPolicy",
    "DeleteWorkshopDatabase",
    f"{GLUE}table/${{Database}}/*",
    f"{GLUE}userDefinedFunction/${{Database}}/*",
)
_allow(
    NO_RESOURCE_LEVEL + " (glue:ListJobs, for the cleanup)", "LearnerPolicy", "ListGlueJobs", "*"
)
_allow(
    LOG_STREAMS + "; the group is shared by every Python shell job of the account",
    "LearnerPolicy",
    "ReadGlueJobOutput",
    f"{LOG_GROUP}/aws-glue/python-jobs/output:log-stream:*",
)
_allow(NO_RESOURCE_LEVEL + " (lambda:ListFunctions)", "LearnerPolicy", "ListFunctions", "*")
_allow(
    "CloudWatch Logs authorizes group actions against the group ARN with ':*' appended as well "
    "(the form DescribeLogGroups returns); only the kit's two functions' groups",
    "LearnerPolicy",
    "FunctionLogs",
    f"{LOG_GROUP}/aws/lambda/${{Prefix}}-recommendations-api:*",
    f"{LOG_GROUP}/aws/lambda/${{Prefix}}-segment-destination:*",
)
_allow(NO_RESOURCE_LEVEL + " (logs:DescribeLogGroups)", "LearnerPolicy", "ListLogGroups", "*")
_allow(
    "API Gateway authorizes /apis/<api-id>/..., and the id is generated when the API is "
    "created (the kit finds its API by name)",
    "LearnerPolicy",
    "HttpApiParts",
    "arn:${AWS::Partition}:apigateway:${AWS::Region}::/apis/*",
)
_allow(
    "tags given on create are authorized as apigateway:POST on the new resource's tags, "
    "/tags/<URL-encoded ARN>, and that ARN holds the generated API id (exercise 3 tags its "
    "HTTP API and stage); only HTTP APIs of this region",
    "LearnerPolicy",
    "TagHttpApisOnCreate",
    "arn:${AWS::Partition}:apigateway:${AWS::Region}::/tags/"
    "arn%3A${AWS::Partition}%3Aapigateway%3A${AWS::Region}%3A%3A%2Fapis%2F*",
)
_allow(
    "import jobs cannot be deleted and their names stay taken, so exercise 2 time-stamps them "
    "(<prefix>-interactions-<YYYYmmddHHMMSS>)",
    "LearnerPolicy",
    "PersonalizeImportJobs",
    f"{PERSONALIZE}dataset-import-job/${{Prefix}}-interactions-*",
    f"{PERSONALIZE}dataset-import-job/${{Prefix}}-items-*",
)
_allow(
    "solution version ARNs are solution/<name>/<generated id>",
    "LearnerPolicy",
    "PersonalizeSolutions",
    *(
        f"{PERSONALIZE}solution/${{Prefix}}-{name}/*"
        for name in ("user-personalization", "similar-items", "popularity-count")
    ),
)
_allow(
    "event tracker ARNs carry a generated id, not the tracker's name",
    "LearnerPolicy",
    "PersonalizeEventTrackers",
    f"{PERSONALIZE}event-tracker/*",
)
_allow(
    "batch jobs cannot be deleted; exercise 2 names each after the solution version's "
    "generated id (<prefix>-batch-<id>)",
    "LearnerPolicy",
    "PersonalizeBatchJobs",
    f"{PERSONALIZE}batch-inference-job/${{Prefix}}-batch-*",
)
_allow(
    NO_RESOURCE_LEVEL + " (personalize:List*, each named)", "LearnerPolicy", "PersonalizeLists", "*"
)
_allow(
    "SageMaker names the streams <instance name>/jupyter.log, /LifecycleConfigOnStart ...",
    "NotebookRole",
    "NotebookLogStreams",
    f"{LOG_GROUP}/aws/sagemaker/NotebookInstances:log-stream:${{Prefix}}-notebook/*",
)

SERVICE_WIDE = re.compile(r"^([a-z0-9-]+:)?\*$")


def _wildcards() -> set[tuple[str, str, str]]:
    return {
        (s.resource, s.sid, value)
        for s in statements()
        if s.allows
        for key in ("Action", "Resource")
        for value in s.values(key)
        if "*" in value
    }


def test_every_wildcard_is_listed_with_its_reason():
    unlisted = sorted(_wildcards() - ALLOWED.keys())
    assert not unlisted, "wildcards without a reason in ALLOWED:\n" + "\n".join(
        f"  {resource}/{sid}: {value}" for resource, sid, value in unlisted
    )


def test_every_listed_wildcard_is_still_in_the_template():
    stale = sorted(ALLOWED.keys() - _wildcards())
    assert not stale, "ALLOWED entries that match nothing (remove them):\n" + "\n".join(
        f"  {resource}/{sid}: {value} ({ALLOWED[(resource, sid, value)]})"
        for resource, sid, value in stale
    )


def test_no_service_wide_action_is_allowed():
    found = [
        f"{s.where}: {action}"
        for s in statements()
        if s.allows
        for action in s.values("Action")
        if SERVICE_WIDE.match(action) or "*" in action
    ]
    assert not found, found
    for forbidden in ("iam:*", "s3:*", "personalize:*"):
        assert not any(forbidden in s.values("Action") for s in statements() if s.allows)


def test_allow_statements_name_what_they_allow():
    """No NotAction/NotResource (they allow everything else), no "*" principal, and a Sid on
    every permission statement (the allowlist is keyed by it)."""
    for s in statements():
        if not s.allows:
            continue
        assert "NotAction" not in s.body and "NotResource" not in s.body, s.where
        principals = s.body.get("Principal", {})
        assert principals != "*", s.where
        for value in render(list(principals.values()) if isinstance(principals, dict) else []):
            assert "*" not in value, s.where
        if s.document != "trust":
            assert "Sid" in s.body, s.where
    sids = [(s.resource, s.document, s.sid) for s in statements()]
    assert len(sids) == len(set(sids)), "a Sid is used twice in one policy document"


ROLES = resources("AWS::IAM::Role")


@pytest.mark.parametrize("role", sorted(ROLES))
def test_roles_are_on_the_stack_path_without_a_fixed_name(role):
    """The kit's cleanup leaves roles on /workshop-stack/ to the stack; no RoleName, so the
    stack deploys with CAPABILITY_IAM (not _NAMED_IAM) and twice in one account."""
    props = ROLES[role]["Properties"]
    assert props["Path"] == "/workshop-stack/"
    assert "RoleName" not in props
    assert resources("AWS::IAM::ManagedPolicy")["LearnerPolicy"]["Properties"]["Path"] == (
        "/workshop-stack/"
    )


def test_no_aws_managed_policy_is_attached():
    own_policies = set(resources("AWS::IAM::ManagedPolicy"))
    for name, body in ROLES.items():
        for arn in as_list(body["Properties"].get("ManagedPolicyArns", [])):
            assert isinstance(arn, dict) and arn.get("Ref") in own_policies, (name, arn)
    assert ":aws:policy/" not in repr(template()), "an AWS managed policy ARN is in the template"


SEGMENT_ACCOUNT = "arn:aws:iam::595280932656:role/"  # Segment's AWS account
SEGMENT_PRINCIPALS = {
    "SegmentInvokeRole": f"{SEGMENT_ACCOUNT}customer-personalize-prod-destination-access",
    "SegmentS3Role": f"{SEGMENT_ACCOUNT}segment-s3-integration-production-access",
}


@pytest.mark.parametrize("role", sorted(SEGMENT_PRINCIPALS))
def test_segment_roles_trust_segment_with_the_workspace_id(role):
    body = ROLES[role]
    assert body["Condition"] == "HasSegmentWorkspace"
    (trust,) = body["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": SEGMENT_PRINCIPALS[role]}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "SegmentWorkspaceId"}}}


@pytest.mark.parametrize(
    ("role", "service"),
    [
        ("GlueJobRole", "glue.amazonaws.com"),
        ("PersonalizeRole", "personalize.amazonaws.com"),
        ("RecommendationsApiRole", "lambda.amazonaws.com"),
        ("SegmentDestinationRole", "lambda.amazonaws.com"),
        ("NotebookRole", "sagemaker.amazonaws.com"),
    ],
)
def test_service_roles_trust_only_their_service(role, service):
    (trust,) = ROLES[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": service}
    if role in ("PersonalizeRole", "NotebookRole"):  # against the confused deputy
        assert trust["Condition"] == {
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        }


def test_roles_are_passed_only_to_their_service():
    passed = {}
    for s in statements():
        if s.allows and "iam:PassRole" in s.values("Action"):
            service = s.body["Condition"]["StringEquals"]["iam:PassedToService"]
            for role in s.values("Resource"):
                passed[role] = service
    assert passed == {
        "${GlueJobRole.Arn}": "glue.amazonaws.com",
        "${PersonalizeRole.Arn}": "personalize.amazonaws.com",
        "${RecommendationsApiRole.Arn}": "lambda.amazonaws.com",
        "${SegmentDestinationRole.Arn}": "lambda.amazonaws.com",
    }


def test_the_bucket_blocks_public_access_and_encrypts():
    bucket = resources("AWS::S3::Bucket")["DataBucket"]
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"),
        True,
    )
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "VersioningConfiguration" not in props
    (expiry,) = props["LifecycleConfiguration"]["Rules"]
    assert expiry["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Delete"
    assert props["BucketName"] == {"Fn::Sub": "${Prefix}-${AWS::AccountId}-${AWS::Region}"}


def test_the_bucket_policy_lets_personalize_in_and_refuses_plain_http():
    policy = resources("AWS::S3::BucketPolicy")["DataBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "DataBucket"}
    personalize, tls = policy["PolicyDocument"]["Statement"]
    assert personalize["Sid"] == "PersonalizeS3Access"
    assert personalize["Principal"] == {"Service": "personalize.amazonaws.com"}
    assert sorted(personalize["Action"]) == ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]
    assert render(personalize["Resource"]) == ["${DataBucket.Arn}", "${DataBucket.Arn}/*"]
    assert personalize["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    }
    assert tls["Effect"] == "Deny"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_every_contract_output_exists():
    outputs = template()["Outputs"]
    assert set(outputs) == set(CONTRACT_OUTPUTS)
    for name, condition in CONTRACT_OUTPUTS.items():
        assert outputs[name].get("Condition") == condition, name


def test_parameters_of_the_contract():
    params = template()["Parameters"]
    assert params["Prefix"]["Default"] == "segment-personalize"
    assert params["Prefix"]["AllowedPattern"] == "^[a-z0-9]([a-z0-9-]{0,28}[a-z0-9])?$"
    assert params["SegmentWorkspaceId"]["Default"] == ""
    assert params["CreateNotebookInstance"]["Default"] == "false"
    assert params["NotebookInstanceType"]["Default"] == "ml.t3.medium"
    assert params["KitRepositoryUrl"]["Default"] == ""
    assert params["KitRepositoryBranch"]["Default"] == "main"


@pytest.mark.parametrize(
    "prefix", ["segment-personalize", "a", "ws-2", "x" * 30, "x" * 31, "-a", "a-", "A", "a_b"]
)
def test_prefix_pattern_accepts_what_the_kit_accepts(prefix):
    from workshop_lib.settings import WorkshopConfigError, resolve_prefix

    pattern = template()["Parameters"]["Prefix"]["AllowedPattern"]
    try:
        kit_accepts = resolve_prefix(prefix) == prefix
    except WorkshopConfigError:
        kit_accepts = False
    assert bool(re.fullmatch(pattern, prefix)) == kit_accepts


def _resources_text() -> str:
    return "\n".join(v for s in statements() for v in s.values("Resource"))


def test_policy_names_are_the_kits_names():
    """The exact names in the policies are the ones the kit's code gives its resources, so a
    rename in the code fails here rather than with AccessDenied on AWS."""
    from workshop_lib import cleanup, exercise3, exercise4
    from workshop_lib import exercise2 as common

    text = _resources_text()
    for suffix in (*common.RECIPES, *common.CAMPAIGNS, common.FILTER_SUFFIX):
        assert f"${{Prefix}}-{suffix}" in text, suffix
    for suffix in (exercise3.SUFFIX, exercise4.FUNCTION_SUFFIX):
        assert f"function:${{Prefix}}-{suffix}" in text, suffix
        assert f"/aws/lambda/${{Prefix}}-{suffix}" in text, suffix
    for key in (common.INTERACTIONS_KEY, common.CATALOGUE_KEY, common.BATCH_INPUT_KEY):
        assert f"{OBJECTS}{key.rsplit('/', 1)[0]}/*" in text, key
    assert f"{OBJECTS}{common.BATCH_OUTPUT_PREFIX}*" in text
    for folder in cleanup.KIT_PREFIXES:
        assert f"{OBJECTS}{folder}*" in text, folder
