"""Lambda Invoke really runs the deployed handler, with AWS's responses, errors and logs."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import boto3
import botocore.exceptions
import psutil
import pytest
from compute_helpers import TRUST, deploy, log_messages, unique, zip_source

CONTEXT_HANDLER = """
import os
import boto3

CALLS = 0

def handler(event, context):
    global CALLS
    CALLS += 1
    print("got", event)
    body = boto3.client("s3").get_object(Bucket=event["bucket"], Key="k")["Body"].read()
    return {
        "calls": CALLS,
        "pid": os.getpid(),
        "s3": body.decode(),
        "color": os.environ.get("COLOR"),
        "env_name": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
        "region": os.environ["AWS_REGION"],
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "version": context.function_version,
        "log_group": context.log_group_name,
        "log_stream": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "cwd_has_code": os.path.exists("app.py"),
    }
"""


def invoke(name: str, event: dict | None = None, **kwargs) -> tuple[dict, object]:
    response = boto3.client("lambda").invoke(
        FunctionName=name, Payload=json.dumps(event or {}), **kwargs
    )
    return response, json.loads(response["Payload"].read())


@pytest.fixture
def bucket(aws_env):
    name = unique("lambda-invoke-test")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"from s3")
    return name


def test_handler_runs_with_its_context_environment_and_the_emulator(bucket):
    name = deploy(
        CONTEXT_HANDLER, MemorySize=256, Timeout=7, Environment={"Variables": {"COLOR": "teal"}}
    )
    response, result = invoke(name, {"bucket": bucket})
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert result["s3"] == "from s3"  # boto3 inside the function reached the emulator
    assert result["color"] == "teal" and result["env_name"] == name
    assert result["region"] == "us-east-1"
    assert result["request_id"] == response["ResponseMetadata"]["RequestId"]
    assert result["function_name"] == name
    assert result["arn"] == f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    assert result["memory"] == "256" and result["version"] == "$LATEST"
    assert result["log_group"] == f"/aws/lambda/{name}"
    assert result["log_stream"].endswith(result["log_stream"][-32:])
    assert "/[$LATEST]" in result["log_stream"]
    assert 5000 < result["remaining"] <= 7000
    assert result["cwd_has_code"] is True


def test_the_worker_stays_warm_and_is_replaced_when_configuration_changes(bucket):
    client = boto3.client("lambda")
    name = deploy(CONTEXT_HANDLER, Environment={"Variables": {"COLOR": "red"}})
    first = invoke(name, {"bucket": bucket})[1]
    second = invoke(name, {"bucket": bucket})[1]
    assert (first["calls"], second["calls"]) == (1, 2) and first["pid"] == second["pid"]

    client.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"COLOR": "blue"}}
    )
    third = invoke(name, {"bucket": bucket})[1]
    assert third["calls"] == 1 and third["pid"] != first["pid"] and third["color"] == "blue"
    assert not psutil.pid_exists(first["pid"])  # the outdated worker was stopped

    client.update_function_code(
        FunctionName=name,
        ZipFile=zip_source("def handler(event, context):\n    return 'v2'\n"),
    )
    assert invoke(name)[1] == "v2"


def test_concurrent_calls_get_their_own_workers(aws_env, tmp_path):
    # Each call waits until all three have started: serialised calls would time out instead.
    name = deploy(
        """
        import os, time, pathlib

        def handler(event, context):
            folder = pathlib.Path(event["dir"])
            (folder / context.aws_request_id).touch()
            while len(list(folder.iterdir())) < 3:
                time.sleep(0.01)
            return os.getpid()
        """,
        Timeout=60,
    )
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: invoke(name, {"dir": str(tmp_path)}), range(3)))
    assert all("FunctionError" not in response for response, _ in results)
    assert len({pid for _, pid in results}) == 3


def test_an_exception_is_an_unhandled_function_error(aws_env):
    name = deploy(
        """
        def handler(event, context):
            raise ValueError("boom " + event["what"])
        """
    )
    response, error = invoke(name, {"what": "here"}, LogType="Tail")
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert error["errorMessage"] == "boom here" and error["errorType"] == "ValueError"
    assert error["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert any('app.py", line 3, in handler' in frame for frame in error["stackTrace"])
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "[ERROR] ValueError: boom here\rTraceback (most recent call last):" in tail


def test_a_timeout_ends_the_call_and_the_next_call_gets_a_fresh_worker(aws_env):
    name = deploy(
        """
        import os, time

        def handler(event, context):
            time.sleep(event["sleep"])
            return os.getpid()
        """,
        Timeout=1,
    )
    response, error = invoke(name, {"sleep": 30}, LogType="Tail")
    request_id = response["ResponseMetadata"]["RequestId"]
    assert response["FunctionError"] == "Unhandled"
    assert error == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
    }
    tail = base64.b64decode(response["LogResult"]).decode()
    assert f"{request_id} Task timed out after 1.00 seconds" in tail
    assert "Status: timeout" in tail
    response, pid = invoke(name, {"sleep": 0})
    assert "FunctionError" not in response and psutil.pid_exists(pid)


def test_event_invocations_run_in_the_background_and_dry_runs_do_not_run(bucket):
    name = deploy(
        """
        import boto3

        def handler(event, context):
            boto3.client("s3").put_object(Bucket=event["bucket"], Key=event["key"], Body=b"ran")
        """
    )
    client = boto3.client("lambda")
    event = json.dumps({"bucket": bucket, "key": "event-output"})
    response = client.invoke(FunctionName=name, InvocationType="Event", Payload=event)
    assert response["StatusCode"] == 202 and response["Payload"].read() == b""
    s3 = boto3.client("s3")
    deadline = time.monotonic() + 10
    while "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="event-output"):
        assert time.monotonic() < deadline, "the event invocation never ran"
        time.sleep(0.05)
    assert s3.get_object(Bucket=bucket, Key="event-output")["Body"].read() == b"ran"

    dry = json.dumps({"bucket": bucket, "key": "dry-output"})
    assert (
        client.invoke(FunctionName=name, InvocationType="DryRun", Payload=dry)["StatusCode"] == 204
    )
    assert client.invoke_async(FunctionName=name, InvokeArgs=event)["Status"] == 202
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="dry-output")


def test_every_invocation_writes_start_output_end_and_report_to_cloudwatch(aws_env):
    name = deploy(
        """
        import logging
        print("loading")
        logging.getLogger().setLevel(logging.INFO)

        def handler(event, context):
            print("hello", event["n"])
            logging.info("info line")
            return event["n"]
        """,
        MemorySize=512,
    )
    ids = [invoke(name, {"n": n})[0]["ResponseMetadata"]["RequestId"] for n in (1, 2)]
    messages = log_messages(f"/aws/lambda/{name}", f"REPORT RequestId: {ids[1]}")
    first, second = (messages.index(f"START RequestId: {i} Version: $LATEST") for i in ids)
    assert messages[0].startswith("INIT_START Runtime Version: python:3.12")
    assert messages[1] == "loading"
    assert messages[first + 1] == "hello 1"
    assert messages[first + 2].startswith("[INFO]\t") and messages[first + 2].endswith(
        f"\t{ids[0]}\tinfo line"
    )
    assert messages[first + 3] == f"END RequestId: {ids[0]}"
    report = messages[first + 4]
    assert report.startswith(f"REPORT RequestId: {ids[0]}\tDuration: ")
    assert "\tMemory Size: 512 MB\t" in report and "Init Duration: " in report
    assert messages[second + 1] == "hello 2"
    assert "Init Duration" not in messages[second + 4]  # warm


def test_missing_functions_and_versions_are_resource_not_found(aws_env):
    client = boto3.client("lambda")
    with pytest.raises(client.exceptions.ResourceNotFoundException) as err:
        client.invoke(FunctionName="no-such-function")
    assert err.value.response["Error"]["Message"] == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:no-such-function"
    )
    name = deploy("def handler(event, context):\n    return 1\n")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName=name, Qualifier="7")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName=name, InvocationType="DryRun", Qualifier="7")


def test_qualified_names_arns_and_published_versions_run(aws_env):
    client = boto3.client("lambda")
    name = deploy("def handler(event, context):\n    return context.function_version\n")
    version = client.publish_version(FunctionName=name)["Version"]
    arn = client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    assert invoke(arn)[1] == "$LATEST"
    response, result = invoke(name, Qualifier=version)
    assert result == version and response["ExecutedVersion"] == version


def test_runtimes_the_emulator_cannot_run_are_a_clear_error(aws_env):
    client = boto3.client("lambda")
    name = deploy("exports.handler = async () => 1;", Runtime="nodejs20.x", Handler="app.handler")
    with pytest.raises(client.exceptions.InvalidRuntimeException) as err:
        client.invoke(FunctionName=name)
    assert "Python" in err.value.response["Error"]["Message"] and "nodejs20.x" in str(err.value)


def test_init_errors_exits_and_bad_payloads_answer_as_aws(aws_env):
    client = boto3.client("lambda")
    missing = deploy("def handler(event, context):\n    return 1\n", Handler="nothere.handler")
    response, error = invoke(missing)
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert error["errorMessage"] == "Unable to import module 'nothere': No module named 'nothere'"
    wrong = deploy("def other(event, context):\n    return 1\n")
    assert invoke(wrong)[1]["errorMessage"] == "Handler 'handler' missing on module 'app'"

    exits = deploy("import sys\ndef handler(event, context):\n    sys.exit(3)\n")
    response, error = invoke(exits)
    assert error["errorType"] == "Runtime.ExitError" and error["errorMessage"].endswith(
        "Runtime exited with error: exit status 3"
    )
    unmarshal = deploy("def handler(event, context):\n    return {1, 2}\n")
    assert invoke(unmarshal)[1]["errorType"] == "Runtime.MarshalError"

    with pytest.raises(client.exceptions.InvalidRequestContentException):
        client.invoke(FunctionName=exits, Payload=b"{not json")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.invoke(FunctionName="bad name!")
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_responses_over_6_mb_are_a_function_error(aws_env):
    name = deploy("def handler(event, context):\n    return 'x' * 7_000_000\n")
    response, error = invoke(name)
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Function.ResponseSizeTooLarge"


def _warm_workers(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_emulator/health", timeout=5) as response:
        providers = json.loads(response.read())["providers"]
    return next(p["warm_workers"] for p in providers if p["name"] == "lambda-invoke")


def test_reset_stops_the_workers(emulator):
    pid = _deploy_and_get_worker_pid(emulator.url)
    assert psutil.pid_exists(pid) and _warm_workers(emulator.url) >= 1
    # Only the Lambda provider's part of POST /_emulator/reset: moto's state is shared.
    next(p for p in emulator.app.providers if p.name == "lambda-invoke").reset()
    assert not psutil.pid_exists(pid) and _warm_workers(emulator.url) == 0


def test_a_reset_during_a_call_ends_it_as_a_runtime_exit(emulator, aws_env, tmp_path):
    name = deploy(
        """
        import pathlib, time

        def handler(event, context):
            pathlib.Path(event["flag"]).touch()
            time.sleep(30)
        """,
        Timeout=60,
    )
    flag = tmp_path / "running"
    with ThreadPoolExecutor(1) as pool:
        call = pool.submit(invoke, name, {"flag": str(flag)})
        while not flag.exists():
            time.sleep(0.05)
        next(p for p in emulator.app.providers if p.name == "lambda-invoke").reset()
        response, error = call.result(timeout=25)  # a guard against a hang, generous under load
    assert response["FunctionError"] == "Unhandled" and error["errorType"] == "Runtime.ExitError"


@pytest.mark.slow
def test_workers_end_with_the_emulator_process(free_port, tmp_path):
    server = subprocess.Popen(
        [sys.executable, "-m", "workshop_lib.emulator", "serve", "--port", str(free_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{free_port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/_emulator/health", timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        pid = _deploy_and_get_worker_pid(url)
        assert psutil.Process(pid).ppid() == server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    deadline = time.monotonic() + 5
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the worker outlived the emulator"
        time.sleep(0.1)


def _deploy_and_get_worker_pid(url: str) -> int:
    kwargs = {
        "endpoint_url": url,
        "region_name": "us-east-1",
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
    }
    role = boto3.client("iam", **kwargs).create_role(
        RoleName=unique("r"), AssumeRolePolicyDocument=TRUST
    )
    client = boto3.client("lambda", **kwargs)
    name = unique("pid")
    client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="app.handler",
        Code={"ZipFile": zip_source("import os\ndef handler(e, c):\n    return os.getpid()\n")},
    )
    return json.loads(client.invoke(FunctionName=name)["Payload"].read())


def test_client_context_reaches_the_handler(aws_env):
    name = deploy("def handler(e, c):\n    return c.client_context.custom\n")
    context = base64.b64encode(json.dumps({"custom": {"app": "shop"}}).encode()).decode()
    assert invoke(name, ClientContext=context)[1] == {"app": "shop"}


def test_worker_environment_has_no_emulator_secrets(aws_env):
    name = deploy("import os\ndef handler(e, c):\n    return dict(os.environ)\n")
    env = invoke(name)[1]
    assert "_WORKSHOP_WORKER_TOKEN" not in env
    assert env["AWS_ENDPOINT_URL"] == os.environ["AWS_ENDPOINT_URL"]
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12" and env["_HANDLER"] == "app.handler"
