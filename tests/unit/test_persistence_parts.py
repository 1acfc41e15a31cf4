"""The pieces of durable state that need no emulator: pickling what moto and the providers hold,
the crash-safe file, the version check, and the line connect() prints."""

from __future__ import annotations

import pickle
import threading
import weakref
from collections import defaultdict

import pytest

from workshop_lib.connection import _local_emulator_line
from workshop_lib.emulator import persistence
from workshop_lib.emulator.process import Status, describe_state


class Holder:
    pass


def test_locks_weak_dicts_and_defaultdicts_of_lambdas_pickle():
    keep = Holder()
    value = {
        "lock": threading.Lock(),
        "rlock": threading.RLock(),
        "weak": weakref.WeakValueDictionary({"a": keep}),
        "aliases": defaultdict(lambda: {}, {"f": {"x": 1}}),
        "keep": keep,
    }
    value["lock"].acquire()  # a held lock comes back free: nothing waits on it after a restart
    back = pickle.loads(persistence.dumps(value))
    assert back["lock"].acquire(blocking=False)
    assert back["weak"]["a"] is back["keep"]
    assert back["aliases"]["f"] == {"x": 1} and back["aliases"]["new"] == {}


def test_a_defaultdict_whose_lambda_makes_state_is_refused():
    with pytest.raises(pickle.PicklingError):
        persistence.dumps(defaultdict(lambda: [1]))


def test_the_file_is_replaced_whole_and_checked(tmp_path):
    path = tmp_path / "emulator-1.state"
    versions = {"format": "1", "moto": "x"}
    persistence.write_atomically(path, persistence.MAGIC + pickle.dumps({"versions": versions}))
    assert persistence.read_state(path, versions) == {"versions": versions}
    assert [p.name for p in tmp_path.iterdir()] == ["emulator-1.state"]  # no temporary left
    with pytest.raises(
        persistence.UnreadableState, match="written by another version of the emulator"
    ):
        persistence.read_state(path, {"format": "2", "moto": "x"})
    path.write_bytes(b"something else")
    with pytest.raises(persistence.UnreadableState, match="not an emulator state file"):
        persistence.read_state(path, versions)
    assert persistence.read_state(tmp_path / "none.state", versions) is None


def test_shared_holders_never_wait_for_a_waiting_snapshot():
    lock = persistence.SharedLock()
    with lock.shared():
        with lock.exclusive(timeout=0.05) as held:
            assert not held  # a request is in flight: the save tries later
        with lock.shared():  # a nested request (a provider calling the emulator) goes on
            pass
    with lock.exclusive(timeout=0.05) as held:
        assert held


def test_the_connect_line_says_what_was_restored():
    state = {
        "mode": "durable",
        "started": "restored",
        "saved_at": 1_800_000_000,
        "counts": {"buckets": 1, "solutions": 3, "campaigns": 1, "objects": 230},
    }
    status = Status(4599, True, 42, 1.0, [], state=state)
    line = _local_emulator_line(status, started=True)
    assert line.startswith("Local emulator started at http://127.0.0.1:4599 (pid 42); its state: ")
    assert line.endswith(": 1 bucket, 3 solutions, 1 campaign, 230 objects.")
    assert "restored from 20" in line
    assert describe_state({"mode": "durable", "started": "empty"}) == "started empty"
    assert "memory only" in describe_state({"mode": "ephemeral", "started": "empty"})


def _persistence(path, restore=lambda doc: None, reset=lambda: None, state=None):
    return persistence.Persistence(
        path,
        snapshot=lambda: {"state": state if state is not None else {"n": 1}},
        restore=restore,
        reset=reset,
        versions={"format": "test"},
    )


def test_a_change_is_saved_once_and_a_reset_forgets_it(tmp_path):
    path = tmp_path / "emulator-1.state"
    saver = _persistence(path)
    saver.restore()
    assert saver.save() and not path.exists()  # nothing changed: nothing written
    saver.changed()
    saver.changed()
    assert saver.save() and persistence.read_state(path, saver.versions)["state"] == {"n": 1}
    emptied = []
    saver.changed()
    saver.forget(lambda: emptied.append(True))
    assert emptied == [True] and not path.exists()
    assert saver.save() and not path.exists()  # the change before the reset is not written
    assert saver.report["started"] == "empty" and "reset_at" in saver.report
    saver.close()


def test_a_state_the_code_cannot_take_back_is_set_aside(tmp_path):
    path = tmp_path / "emulator-1.state"
    first = _persistence(path)
    first.restore()
    first.changed()
    first.close()  # saves what is pending
    assert path.exists()

    def broken(doc):
        raise AttributeError("'Resource' object has no attribute 'new_field'")

    resets = []
    second = _persistence(path, restore=broken, reset=lambda: resets.append(True))
    second.restore()
    assert resets == [True] and second.report["started"] == "empty"
    assert "could not be restored (AttributeError" in second.report["note"]
    assert len(list(tmp_path.glob("emulator-1.state.unreadable-*"))) == 1
    assert not path.exists()
    second.close()
