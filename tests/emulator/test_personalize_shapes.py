"""user-personalization on other shapes of data: large catalogues, data where popularity wins."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from test_personalize_support import clients, group_with_data, point_boto3_at, trained_version

from workshop_lib.datagen import shapes
from workshop_lib.emulator.personalize.metrics import evaluate, holdout_split
from workshop_lib.emulator.personalize.models import user_personalization as up
from workshop_lib.emulator.personalize.models.base import build, select_events

NDCG = "normalized_discounted_cumulative_gain_at_10"


def _data(frame):
    return build(select_events(frame, None, {}))


def _binary(data):
    x = sparse.csr_matrix(
        (np.ones(len(data.items), np.float32), (data.users, data.items)),
        shape=(data.n_users, data.n_items),
    )
    x.data[:] = 1.0
    return x


class _Exact(up.SequenceKnn):
    """Plain EASE over the whole catalogue, seen items excluded: the reference."""

    def fit(self, data, params, hpo=False):
        super().fit(data, {"decay": 1.0, "blend": 0.0, "repeat": "None", "prior": 0.0})
        self.c = up.Ease(_binary(data), float(self.params["l2"]))


@pytest.mark.parametrize("n", [40, 700])  # one block of the mirrored triangle, then several
def test_spd_inverse_is_the_inverse(n):
    rng = np.random.default_rng(n)
    a = rng.random((n, n))
    a = a @ a.T + n * np.eye(n)
    exact = np.linalg.inv(a)
    assert np.abs(up.spd_inverse(a) - exact).max() <= 1e-5 * np.abs(exact).max()


def test_dual_ease_is_ease():
    """Above EASE_MAX_ITEMS items with few users, the users x users form is the same model."""
    data = _data(shapes.clustered(120, 600, 15, clusters=20, tail=1.2, seed=2))
    x = _binary(data)
    histories = data.histories()
    h = up.history_weights(list(histories.values())[:30], 0.7, data.n_items)
    dual, primal = up.DualEase(x, 200.0).apply(h), up.Ease(x, 200.0).apply(h)
    assert np.allclose(dual, primal, atol=1e-3 * np.abs(primal).max())


@pytest.mark.parametrize("users", [300, 1500])  # dual EASE, then EASE on the head items
def test_large_catalogue_keeps_eases_quality(monkeypatch, users):
    """With a catalogue above the EASE limit (lowered here to keep the test small), the model's
    NDCG@10 stays within 10 % of exact EASE's on the same split."""
    monkeypatch.setattr(up, "EASE_MAX_ITEMS", 500)
    frame = shapes.clustered(users, 2000, 12000 // users + 8, clusters=40, tail=1.1, seed=5)
    data = _data(frame)
    split = holdout_split(data)
    model = up.SequenceKnn()
    model.fit(split.train, {})
    expected = up.DualEase if users <= 500 else up.HeadEase
    assert isinstance(model.c, expected)
    reference = _Exact()
    reference.fit(split.train, {})
    mine, exact = evaluate(model, split, data.n_items), evaluate(reference, split, data.n_items)
    assert exact[NDCG] > 0.05  # the data has a signal to find
    assert mine[NDCG] >= 0.9 * exact[NDCG]


def test_the_search_never_loses_to_popularity_on_validation():
    """Basket data (staples, own repeats): the chosen configuration beats popularity alone."""
    model = up.SequenceKnn()
    model.fit(_data(shapes.basket(users=800)), {})
    assert model.validation["chosen"] >= model.validation["popularity"]
    assert model.params["repeat"] is not None  # members buy again: seen items stay


@pytest.fixture(scope="module")
def no_signal_group(emulator):
    restore = point_boto3_at(emulator)
    personalize, _, _ = clients()
    yield group_with_data(personalize, shapes.no_signal(users=700))["group"]
    restore()


def test_popularity_wins_and_the_version_says_so(aws_env, no_signal_group):
    """Where nothing personal beats popularity on validation, user-personalization ranks by
    popularity (its metrics match aws-popularity-count's) and tunedHPOParams says why."""
    personalize, _, _ = clients()
    _, version = trained_version(personalize, no_signal_group, "aws-user-personalization")
    _, baseline = trained_version(personalize, no_signal_group, "aws-popularity-count")
    described = personalize.describe_solution_version(solutionVersionArn=version)
    tuned = described["solutionVersion"]["tunedHPOParams"]["algorithmHyperParameters"]
    assert tuned["prior"] == "inf"
    assert "no personal configuration beat popularity" in tuned["emulator_validation"]
    mine = personalize.get_solution_metrics(solutionVersionArn=version)["metrics"]
    theirs = personalize.get_solution_metrics(solutionVersionArn=baseline)["metrics"]
    assert mine[NDCG] == pytest.approx(theirs[NDCG], abs=0.01)
