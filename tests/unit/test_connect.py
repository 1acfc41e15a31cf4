"""connect() on both targets; the aws target without any network (botocore Stubber)."""

from __future__ import annotations

import os

import boto3
import pytest
from botocore.stub import Stubber

import workshop_lib
from workshop_lib import connection as connect_module
from workshop_lib.emulator import process

SECRET = "wJalrXUtnFEMI/K7MDENG/notARealSecretKeyEXAMPLE"
ACCOUNT = "210987654321"


@pytest.fixture
def clean_environ():
    """connect() edits os.environ on purpose; give each test a clean copy and restore it."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
    boto3.DEFAULT_SESSION = None


def test_local_starts_or_reuses_the_emulator_and_sets_the_environment(clean_environ, capsys):
    ws = workshop_lib.connect(target="local")
    port = int(os.environ["WORKSHOP_EMULATOR_PORT"])
    assert ws.target == "local" and ws.region == "us-east-1"
    assert ws.account_id == "123456789012"
    assert ws.endpoint_url == f"http://127.0.0.1:{port}"
    assert ws.bucket == "segment-personalize-123456789012-us-east-1"
    assert os.environ["AWS_ENDPOINT_URL"] == ws.endpoint_url
    pid = process.status(port).pid

    again = workshop_lib.connect(target="local", region="eu-west-1", prefix="class-7")
    assert "already running" in capsys.readouterr().out
    assert process.status(port).pid == pid  # the same emulator, so kernels share its state
    assert again.bucket == "class-7-personalize-123456789012-eu-west-1"
    # plain boto3 now reaches the emulator through the environment alone
    assert boto3.client("sts").get_caller_identity()["Account"] == "123456789012"
    assert boto3.client("s3").meta.region_name == "eu-west-1"


def test_local_ignores_a_profile_that_would_shadow_the_placeholders(clean_environ):
    os.environ["AWS_PROFILE"] = "does-not-exist"
    ws = workshop_lib.connect(target="local")
    assert ws.account_id == "123456789012"


def _stub_identity(monkeypatch, respond):
    def fake_sts(session):
        client = session.client("sts")
        stubber = Stubber(client)
        respond(stubber)
        stubber.activate()
        return client

    monkeypatch.setattr(connect_module, "_sts_client", fake_sts)


def test_aws_uses_the_credential_chain_and_sts(clean_environ, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    arn = f"arn:aws:iam::{ACCOUNT}:user/alice"
    _stub_identity(
        monkeypatch,
        lambda s: s.add_response(
            "get_caller_identity", {"Account": ACCOUNT, "Arn": arn, "UserId": "AIDEXAMPLE"}
        ),
    )
    ws = workshop_lib.connect(target="aws", region="eu-west-1")
    assert (ws.target, ws.region, ws.account_id, ws.caller_arn) == (
        "aws",
        "eu-west-1",
        ACCOUNT,
        arn,
    )
    assert ws.bucket == f"segment-personalize-{ACCOUNT}-eu-west-1"
    assert ws.endpoint_url is None
    assert os.environ["AWS_REGION"] == "eu-west-1"
    shown = capsys.readouterr().out + repr(ws) + ws.describe()
    assert SECRET not in shown and "AKIDEXAMPLE" not in shown


def test_aws_after_local_drops_the_emulator_settings(clean_environ, monkeypatch):
    workshop_lib.connect(target="local")
    os.environ["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE"  # the learner exports real credentials
    os.environ["AWS_SECRET_ACCESS_KEY"] = SECRET
    _stub_identity(
        monkeypatch,
        lambda s: s.add_response(
            "get_caller_identity",
            {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/bob", "UserId": "AIDEXAMPLE"},
        ),
    )
    ws = workshop_lib.connect(target="aws", region="us-west-2")
    assert "AWS_ENDPOINT_URL" not in os.environ
    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIDEXAMPLE"  # the learner's value stays
    assert ws.account_id == ACCOUNT


def test_local_polls_athena_faster_and_aws_restores_awswranglers_default(
    clean_environ, monkeypatch
):
    """awswrangler waits 1 s between polls of an Athena query by default; the emulator answers
    in a fraction of that, so connect() shortens the wait on the local target only."""
    import awswrangler as wr

    workshop_lib.connect(target="local")  # awswrangler imported before: its config is set
    assert os.environ["WR_ATHENA_QUERY_WAIT_POLLING_DELAY"] == "0.1"  # later imports read it
    assert wr.config.athena_query_wait_polling_delay == 0.1
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    identity = {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/c", "UserId": "AID"}
    _stub_identity(monkeypatch, lambda s: s.add_response("get_caller_identity", identity))
    workshop_lib.connect(target="aws", region="us-west-2")
    assert "WR_ATHENA_QUERY_WAIT_POLLING_DELAY" not in os.environ
    with pytest.raises(AttributeError, match="not configured"):
        wr.config.athena_query_wait_polling_delay  # noqa: B018 - back to awswrangler's own


def test_aws_without_region_says_what_to_set(clean_environ):
    with pytest.raises(workshop_lib.WorkshopConfigError, match=r"No AWS region is set.*AWS_REGION"):
        workshop_lib.connect(target="aws")


def test_aws_without_credentials_says_what_to_do(clean_environ):
    with pytest.raises(workshop_lib.WorkshopConfigError, match="No AWS credentials were found"):
        workshop_lib.connect(target="aws", region="us-east-1")


def test_aws_rejected_credentials_are_one_readable_message(clean_environ, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    _stub_identity(
        monkeypatch,
        lambda s: s.add_client_error(
            "get_caller_identity",
            "ExpiredToken",
            "The security token included in the request is expired",
            http_status_code=403,
        ),
    )
    with pytest.raises(workshop_lib.WorkshopConfigError) as err:
        workshop_lib.connect(target="aws", region="us-east-1")
    assert "ExpiredToken" in str(err.value) and "Refresh them" in str(err.value)
    assert SECRET not in str(err.value)


def test_aws_in_a_region_without_personalize_says_which_regions_have_it(clean_environ, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    with pytest.raises(workshop_lib.WorkshopConfigError) as err:
        workshop_lib.connect(target="aws", region="sa-east-1")  # no STS call is needed
    assert "Amazon Personalize is not available in sa-east-1" in str(err.value)
    assert "eu-west-1" in str(err.value) and "us-east-1" in str(err.value)


def test_aws_sets_the_target_for_helpers_and_subprocesses(clean_environ, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.delenv("WORKSHOP_TARGET", raising=False)
    _stub_identity(
        monkeypatch,
        lambda s: s.add_response(
            "get_caller_identity",
            {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/c", "UserId": "AIDEXAMPLE"},
        ),
    )
    workshop_lib.connect(target="aws", region="us-east-1")
    assert os.environ["WORKSHOP_TARGET"] == "aws"
    from workshop_lib.waiting import default_poll_seconds

    assert default_poll_seconds() == 30.0  # not the emulator's 1 s
