"""Providers plug into the routing table without touching the core."""

from __future__ import annotations

import json

import boto3
import botocore.config
import botocore.exceptions
import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response

from workshop_lib.emulator.app import EmulatorApp
from workshop_lib.emulator.errors import aws_error
from workshop_lib.emulator.providers import Provider, Route
from workshop_lib.emulator.server import ThreadedEmulator


class FakePersonalize(Provider):
    def __init__(self, app):
        super().__init__(
            app, name="fake-personalize", description="test double", services=["personalize"]
        )
        self.calls: list[str] = []

    def routes(self):
        return [
            Route(self.create, service="personalize", operations=frozenset({"CreateDatasetGroup"})),
            Route(self.broken, service="personalize", operations=frozenset({"DeleteDatasetGroup"})),
            Route(self.hello, path_prefix="/_fake/"),
        ]

    def create(self, request):
        body = request.json()
        self.calls.append(body["name"])
        if body["name"] == "taken":
            return aws_error("personalize", "ResourceAlreadyExistsException", "taken", 400)
        arn = f"arn:aws:personalize:{request.region}:123456789012:dataset-group/{body['name']}"
        return Response(
            json.dumps({"datasetGroupArn": arn}), 200, content_type="application/x-amz-json-1.1"
        )

    def broken(self, request):
        raise RuntimeError("provider bug")

    def hello(self, request):
        return Response("hi", 200)

    def reset(self):
        self.calls.clear()


@pytest.fixture(scope="module")
def fake_env():
    with ThreadedEmulator(app=EmulatorApp([FakePersonalize])) as emu:
        yield emu


@pytest.fixture
def personalize(fake_env, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", fake_env.url)
    return boto3.client(
        "personalize",
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_claimed_operation_goes_to_the_provider(personalize, fake_env):
    arn = personalize.create_dataset_group(name="shop")["datasetGroupArn"]
    assert arn == "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop"
    assert fake_env.app.providers[0].calls == ["shop"]


def test_provider_errors_reach_botocore_as_the_service_sends_them(personalize):
    with pytest.raises(personalize.exceptions.ResourceAlreadyExistsException):
        personalize.create_dataset_group(name="taken")


def test_unclaimed_operations_of_the_same_service_still_reach_moto(personalize):
    schema = personalize.create_schema(
        name="s",
        schema=json.dumps(
            {
                "type": "record",
                "name": "Interactions",
                "namespace": "com.amazonaws.personalize.schema",
                "fields": [{"name": "USER_ID", "type": "string"}],
                "version": "1.0",
            }
        ),
    )
    assert schema["schemaArn"].endswith(":schema/s")


def test_a_provider_bug_is_an_aws_shaped_500(personalize):
    client = boto3.client(
        "personalize",
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.delete_dataset_group(
            datasetGroupArn="arn:aws:personalize:eu-west-1:123456789012:dataset-group/x"
        )
    assert err.value.response["Error"]["Code"] == "InternalFailure"
    assert "provider bug" in err.value.response["Error"]["Message"]


def test_path_routes_health_and_reset():
    app = EmulatorApp([FakePersonalize])
    client = Client(app)
    assert client.get("/_fake/anything").get_data() == b"hi"
    providers = client.get("/_emulator/health").get_json()["providers"]
    assert [(p["name"], p["state"]) for p in providers] == [
        ("moto", "ready"),
        ("fake-personalize", "ready"),
    ]
    app.providers[0].calls.append("x")
    assert client.post("/_emulator/reset").status_code == 200
    assert app.providers[0].calls == []


def test_providers_are_discovered_from_their_modules(tmp_path, monkeypatch):
    from workshop_lib.emulator import providers

    package = tmp_path / "extra"
    package.mkdir()
    (package / "zz_fake.py").write_text(
        "from workshop_lib.emulator.providers import Provider\n"
        "class Fake(Provider):\n    pass\n"
        "PROVIDERS = [Fake]\n"
    )
    monkeypatch.setattr(providers, "__path__", [*providers.__path__, str(package)])
    assert [cls.__name__ for cls in providers.provider_classes()][-1] == "Fake"


def test_subprocess_environment_points_at_the_emulator(emulator):
    env = emulator.app.client_environment("eu-west-1")
    assert env["AWS_ENDPOINT_URL"] == emulator.url and env["AWS_REGION"] == "eu-west-1"
    assert emulator.app.client("sts").get_caller_identity()["Account"] == "123456789012"
