from __future__ import annotations

import pytest

from workshop_lib.waiting import ResourceFailed, WaitTimeout, Watch, wait_all


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def sequence(*statuses, **extra):
    """A describe() that walks through the given statuses, then stays at the last."""
    it = iter(statuses)
    last = {}

    def describe():
        last["status"] = next(it, last.get("status"))
        return {"status": last["status"], **extra}

    return describe


def test_waits_for_all_with_one_line_per_poll():
    clock, lines = FakeClock(), []
    result = wait_all(
        [
            Watch("solution", sequence("CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE")),
            Watch("campaign", sequence("CREATE IN_PROGRESS", "ACTIVE")),
        ],
        poll=10,
        say=lines.append,
        sleep=clock.sleep,
        clock=clock,
    )
    assert {k: v["status"] for k, v in result.items()} == {
        "solution": "ACTIVE",
        "campaign": "ACTIVE",
    }
    assert lines == [
        "… [    0 s] 0/2 ready; waiting for solution (CREATE PENDING), "
        "campaign (CREATE IN_PROGRESS)",
        "… [   10 s] 1/2 ready; waiting for solution (CREATE IN_PROGRESS)",
        "Ready: solution (ACTIVE), campaign (ACTIVE).",
    ]


def test_a_failure_is_raised_at_once_with_its_reason():
    clock = FakeClock()
    with pytest.raises(ResourceFailed, match="import is CREATE FAILED: Missing column USER_ID"):
        wait_all(
            [
                Watch(
                    "import",
                    sequence(
                        "CREATE IN_PROGRESS",
                        "CREATE FAILED",
                        failureReason="Missing column USER_ID",
                    ),
                ),
                Watch("other", sequence("CREATE IN_PROGRESS")),
            ],
            poll=5,
            say=lambda _: None,
            sleep=clock.sleep,
            clock=clock,
        )
    assert clock.now == 5


def test_gives_up_before_the_timeout_and_says_what_to_do():
    clock = FakeClock()
    with pytest.raises(WaitTimeout, match=r"version \(CREATE IN_PROGRESS\).*run this cell again"):
        wait_all(
            [Watch("version", sequence("CREATE IN_PROGRESS"))],
            timeout=60,
            poll=20,
            say=lambda _: None,
            sleep=clock.sleep,
            clock=clock,
        )
    assert clock.now <= 60


def test_glue_job_runs_use_their_own_state_field():
    states = iter(["RUNNING", "SUCCEEDED"])
    result = wait_all(
        [Watch("etl", lambda: {"JobRunState": next(states)})],
        poll=0,
        say=lambda _: None,
        sleep=lambda _: None,
    )
    assert result["etl"]["JobRunState"] == "SUCCEEDED"


def test_fast_polls_say_only_what_changed_and_a_reminder_every_ten_seconds():
    """The local target polls twice a second: 30 identical lines would bury the one that counts."""
    clock, lines = FakeClock(), []
    states = ["RUNNING"] * 30 + ["SUCCEEDED"]
    wait_all(
        [Watch("job run", sequence(*states))],
        poll=0.5,
        say=lines.append,
        sleep=clock.sleep,
        clock=clock,
    )
    assert lines == [
        "… [    0 s] 0/1 ready; waiting for job run (RUNNING)",
        "… [   10 s] 0/1 ready; waiting for job run (RUNNING)",
        "Ready: job run (SUCCEEDED).",
    ]
