"""The Lambda/Glue log writer sends what queued up during a put in one put per stream."""

from __future__ import annotations

import threading

from workshop_lib.emulator.compute.logs import LogWriter, _Batch, merged


class _Exceptions:
    class ResourceNotFoundException(Exception):
        pass

    class ResourceAlreadyExistsException(Exception):
        pass


class _Logs:
    """A logs client that records puts; the first put waits until released."""

    exceptions = _Exceptions

    def __init__(self) -> None:
        self.puts: list[tuple[str, list[str]]] = []
        self.first_put = threading.Event()
        self.release = threading.Event()

    def create_log_group(self, **_: object) -> None:
        pass

    def create_log_stream(self, **_: object) -> None:
        pass

    def put_log_events(self, logGroupName, logStreamName, logEvents) -> None:
        self.first_put.set()
        self.release.wait(10)
        self.puts.append((logStreamName, [e["message"] for e in logEvents]))


class _App:
    def __init__(self, logs: _Logs) -> None:
        self.logs = logs

    def client(self, service: str, region: str) -> _Logs:
        return self.logs


def test_merged_keeps_each_streams_order():
    batches = [
        _Batch("r", "g", "a", [{"message": "1"}]),
        _Batch("r", "g", "b", [{"message": "x"}]),
        _Batch("r", "g", "a", [{"message": "2"}, {"message": "3"}]),
    ]
    out = merged(batches)
    assert [(b.stream, [e["message"] for e in b.events]) for b in out] == [
        ("a", ["1", "2", "3"]),
        ("b", ["x"]),
    ]
    assert [e["message"] for e in batches[0].events] == ["1"]  # the queued batch is untouched


def test_a_burst_of_writes_costs_a_few_puts_in_order():
    logs = _Logs()
    writer = LogWriter(_App(logs))
    writer.write("us-east-1", "/aws/lambda/f", "s1", "line 0")
    assert logs.first_put.wait(10)  # the writer is busy with the first put
    for n in range(1, 200):
        writer.write("us-east-1", "/aws/lambda/f", "s1", f"line {n}")
    writer.write("us-east-1", "/aws/lambda/f", "s2", "other stream")
    logs.release.set()
    writer.flush()
    assert len(logs.puts) == 3  # the first, then one per stream for the 200 queued meanwhile
    lines = [m for stream, messages in logs.puts if stream == "s1" for m in messages]
    assert lines == [f"line {n}" for n in range(200)]
    assert ("s2", ["other stream"]) in logs.puts
