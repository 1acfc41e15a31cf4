"""personalize-runtime: get_recommendations and get_personalized_ranking on ACTIVE campaigns.

A user's history = training history + the events put since training (user-personalization and
ranking campaigns only: SIMS, popularity and trending ignore events until retrained). Unknown
users get popular items; unknown items for related-items recipes get popular items. Scores:
softmax over the catalogue for user-personalization, over the input list for ranking; none for
the other recipes. Exploration (explorationWeight) is stored but not applied: answers stay
deterministic (an emulator choice).
"""

from __future__ import annotations

import math
import re
import uuid
from typing import Any

import numpy as np

from . import recipes
from .cold import cold_user_scores, exploration_items
from .filters import FilterContext, allowed_items, parse_values
from .models.base import top_n
from .models.user_personalization import softmax
from .training import Trained
from .validation import (
    ApiError,
    check_arn,
    check_length,
    check_max_items,
    check_name,
    invalid,
)

_KEY = re.compile(r"^[A-Za-z0-9_]+$")


def _not_found(value: str) -> ApiError:
    return ApiError("ResourceNotFoundException", f"Could not find resource with ARN {value}.", 404)


class Runtime:
    def __init__(self, control) -> None:
        self.control = control
        self._tables: dict[str, tuple] = {}  # dataset ARN -> ((ARN, version), rows, schema)
        self.batch_versions: dict[str, Any] = {}  # batch jobs call in with a version, no campaign

    # ---------------------------------------------------------------- lookups
    def _campaign(self, body: dict):
        if body.get("recommenderArn") is not None:
            check_arn(body["recommenderArn"], "recommenderArn")
            raise _not_found(body["recommenderArn"])
        value = body.get("campaignArn")
        if value is None:
            raise invalid("Specify a campaignArn or a recommenderArn.")
        if value in self.batch_versions:
            version = self.batch_versions[value]
            group = version.fields["datasetGroupArn"]
            return _BatchCampaign(group), version.state["trained"]
        check_arn(value, "campaignArn")
        campaign = self.control.store.get(value, "campaign")
        if campaign is None or not campaign.active:
            raise _not_found(value)
        self.control.settle_campaign(campaign)
        version = campaign.state["version"]
        if campaign.fields["solutionVersionArn"].endswith("/$LATEST"):
            version = self.control._serving_version(
                campaign.fields["solutionVersionArn"], campaign.fields["campaignConfig"] or {}
            )
        return campaign, version.state["trained"]

    def _history(self, campaign, trained: Trained, user: str) -> np.ndarray:
        known = trained.histories.get(user, np.array([], dtype=np.int32))
        if recipes.CATEGORY[trained.recipe] not in ("USER_PERSONALIZATION", "PERSONALIZED_RANKING"):
            return known
        live = self.control.live_events(campaign.state["group"])
        index = trained.model.item_index
        recent = [index[i] for i, _ in live.since(user, trained.event_sequence) if i in index]
        if not recent:
            return known
        return np.concatenate([known, np.asarray(recent, dtype=np.int32)])

    def _table(self, group: str, dataset_type: str) -> tuple[dict[str, dict], Any]:
        """({id: row}, schema) of the group's Items or Users dataset, cached per data version."""
        dataset = self.control.dataset_of(group, dataset_type)
        if dataset is None:
            return {}, None
        data = dataset.state["data"]
        key = (dataset.arn, data.version)
        cached = self._tables.get(dataset.arn)
        if cached is None or cached[0] != key:
            rows = {str(r[data.id_column]): r for r in data.frame().to_dict("records")}
            cached = (key, rows, data.schema)
            self._tables[dataset.arn] = cached
        return cached[1], cached[2]

    def _item_table(self, group: str, item_ids=None) -> tuple[dict[str, dict], Any]:
        return self._table(group, "ITEMS")

    # ---------------------------------------------------------------- filters
    @staticmethod
    def _banned(model, allowed: set[str] | None) -> np.ndarray:
        """Item codes a filter leaves out (allowed=None: none)."""
        if allowed is None:
            return np.array([], dtype=np.int64)
        return np.flatnonzero([str(i) not in allowed for i in model.item_ids])

    def _promotion(self, body: dict, campaign, trained: Trained, user, item):
        """(name, percentPromotedItems, allowed item ids) of the request's promotion, if any."""
        promotions = body.get("promotions") or []
        if not promotions:
            return None
        promotion = promotions[0]
        name = promotion.get("name")
        check_name(name, "promotions.1.member.name")
        share = promotion.get("percentPromotedItems")
        if not isinstance(share, int) or not 1 <= share <= 100:
            raise invalid("percentPromotedItems must be an integer from 1 to 100.")
        if not promotion.get("filterArn"):
            raise invalid("A promotion needs a filterArn that selects the promoted items.")
        allowed = self._filter(promotion, campaign, trained, user, item)
        return name, share, allowed

    def _filter(self, body: dict, campaign, trained: Trained, user: str | None, item: str | None):
        value = body.get("filterArn")
        raw_values = body.get("filterValues") or {}
        check_max_items(raw_values, "filterValues", 25)
        for key, v in raw_values.items():
            if not _KEY.match(key) or len(key) > 50:
                raise invalid(f"Invalid filterValues key {key}: use [A-Za-z0-9_]+, 50 at most.")
            check_length(v, f"filterValues.{key}", 1000, 0)
        if value is None:
            return None
        check_arn(value, "filterArn")
        resource = self.control.store.get(value, "filter")
        if resource is None:
            raise _not_found(value)
        group = campaign.state["group"]
        if resource.fields["datasetGroupArn"] != group:
            raise invalid(f"Filter {value} belongs to another dataset group than the campaign.")
        if not resource.active:
            raise invalid(f"Filter {value} is not ACTIVE (status: {resource.status}).")
        rows, schema = self._item_table(group, trained.model.item_ids)
        item_ids = [str(i) for i in trained.model.item_ids]
        if trained.cold is not None:  # the filter applies to the explored new items too
            item_ids += [str(i) for i in trained.cold.cold_items]

        def item_field(name: str) -> list[Any]:
            field = schema.field(name) if schema is not None else None
            out = []
            for i in item_ids:
                v = rows.get(i, {}).get(name)
                if field is not None and field.categorical and isinstance(v, str):
                    v = v.split("|")
                out.append(v)
            return out

        ctx = FilterContext(
            item_ids=item_ids,
            item_field=item_field,
            user_events=self._user_events(campaign, trained, user) if user else {},
            user=self._user_row(group, user) if user else {},
            current_item=rows.get(item, {}) if item else {},
        )
        return allowed_items(resource.state["filter"], ctx, parse_values(raw_values))

    def _user_events(self, campaign, trained: Trained, user: str) -> dict[str, list[str]]:
        if not trained.user_events and trained.interactions is not None:
            frame = trained.interactions
            types = (
                frame["EVENT_TYPE"].fillna("").str.lower() if "EVENT_TYPE" in frame.columns else ""
            )
            grouped = frame.assign(_T=types).groupby("USER_ID", sort=False)
            trained.user_events = {
                str(u): list(zip(g["ITEM_ID"].astype(str), g["_T"], strict=True))
                for u, g in grouped
            }
        events = list(trained.user_events.get(user, []))
        live = self.control.live_events(campaign.state["group"])
        events += [(i, t.lower()) for i, t in live.since(user, trained.event_sequence)]
        out: dict[str, list[str]] = {}
        for item, kind in events:
            out.setdefault(kind, []).append(item)
        return {k: v[-100:] for k, v in out.items()}

    def _user_row(self, group: str, user: str) -> dict[str, Any]:
        return self._table(group, "USERS")[0].get(user, {})

    # ---------------------------------------------------------------- metadata
    def _metadata(self, body: dict, campaign, trained: Trained, limit: int) -> list[str] | None:
        columns = body.get("metadataColumns")
        if not columns:
            return None
        config = campaign.fields.get("campaignConfig") or {}
        if not config.get("enableMetadataWithRecommendations"):
            raise invalid(
                "metadataColumns needs a campaign created with campaignConfig "
                "enableMetadataWithRecommendations=true."
            )
        unknown = set(columns) - {"ITEMS"}
        if unknown:
            raise invalid(f"metadataColumns supports the ITEMS dataset only, not {unknown}.")
        names = columns["ITEMS"]
        check_max_items(names, "metadataColumns.ITEMS", 10)
        if limit > 50:
            raise invalid("numResults can be at most 50 when metadataColumns is given.")
        _rows, schema = self._item_table(campaign.state["group"], trained.model.item_ids)
        missing = [n for n in names if schema is None or schema.field(n) is None]
        if missing:
            raise invalid(f"metadataColumns {missing} are not columns of the Items dataset.")
        return names

    def _attach_metadata(self, entries: list[dict], campaign, trained, names) -> None:
        rows, _ = self._item_table(campaign.state["group"], trained.model.item_ids)
        for entry in entries:
            row = rows.get(entry["itemId"], {})
            entry["metadata"] = {n: "" if row.get(n) is None else str(row.get(n)) for n in names}

    # ---------------------------------------------------------------- operations
    def get_recommendations(self, body: dict) -> dict:
        campaign, trained = self._campaign(body)
        n = body.get("numResults", 25)
        if not isinstance(n, int) or not 0 <= n <= 500:
            raise invalid("numResults must be between 0 and 500.")
        _check_context(body.get("context"))
        check_max_items(body.get("promotions"), "promotions", 1)
        user, item = body.get("userId"), body.get("itemId")
        check_length(user, "userId", 256)
        check_length(item, "itemId", 256)
        category = recipes.CATEGORY[trained.recipe]
        model = trained.model
        if category == "PERSONALIZED_RANKING":
            raise invalid(
                "This campaign uses a PERSONALIZED_RANKING recipe: call GetPersonalizedRanking."
            )
        if category == "USER_PERSONALIZATION" and not user:
            raise invalid("userId is required for a campaign with a USER_PERSONALIZATION recipe.")
        if category == "RELATED_ITEMS" and not item:
            raise invalid("itemId is required for a campaign with a RELATED_ITEMS recipe.")
        names = self._metadata(body, campaign, trained, n)
        history = np.array([], dtype=np.int32)
        if category == "RELATED_ITEMS":
            code = model.item_index.get(item)
            scores = model.related(code) if code is not None else model.popularity.copy()
        else:
            if user:
                history = self._history(campaign, trained, user)
            scores = model.scores(history)
            if user and not len(history) and trained.cold is not None:
                row = self._user_row(campaign.state["group"], user)
                scores = cold_user_scores(trained.cold, row, scores)
        allowed = self._filter(body, campaign, trained, user, item)
        banned = self._banned(model, allowed)
        promotion = self._promotion(body, campaign, trained, user, item)
        promoted = np.array([], dtype=np.int64)
        if promotion is not None:
            name, share, promo_allowed = promotion
            promo_banned = np.union1d(banned, self._banned(model, promo_allowed))
            promoted = top_n(scores, math.ceil(n * share / 100), promo_banned)
        explored = self._exploration(campaign, trained, history if user else None, n, allowed)
        rest = top_n(scores, n - len(promoted) - len(explored), np.union1d(banned, promoted))
        chosen = _interleave(rest, promoted, n - len(explored))
        probabilities = softmax(scores) if trained.recipe in recipes.SCORED else None
        entries = []
        promoted_set = set(promoted.tolist())
        for code in chosen:
            entry: dict[str, Any] = {"itemId": str(model.item_ids[code])}
            if probabilities is not None:
                entry["score"] = round(float(probabilities[code]), 7)
            if code in promoted_set:
                entry["promotionName"] = name
            entries.append(entry)
        if explored:
            floor = min((e.get("score", 0.0) for e in entries), default=0.0)
            extra = [{"itemId": i, "score": floor} for i in explored]
            positions = np.linspace(0, len(entries) + len(extra) - 1, len(extra) + 2)[1:-1]
            for position, entry in zip(positions.round().astype(int), extra, strict=True):
                entries.insert(int(position), entry)
        if names:
            self._attach_metadata(entries, campaign, trained, names)
        return {"itemList": entries, "recommendationId": _recommendation_id()}

    def _exploration(
        self, campaign, trained: Trained, history, n: int, allowed: set[str] | None
    ) -> list[str]:
        """Cold items for aws-user-personalization campaigns (see cold.py), those the request's
        filter lets through (a filter applies to explored items as to the others)."""
        if trained.recipe != "aws-user-personalization" or trained.cold is None:
            return []
        if history is None:
            return []
        config = (campaign.fields.get("campaignConfig") or {}).get("itemExplorationConfig") or {}
        weight = float(config.get("explorationWeight", 0.3))
        cutoff = float(config.get("explorationItemAgeCutOff", 30))
        return exploration_items(trained.cold, history, n, weight, cutoff, allowed)

    def get_personalized_ranking(self, body: dict) -> dict:
        campaign, trained = self._campaign(body)
        user = body.get("userId")
        if not user:
            raise invalid("userId is required.")
        check_length(user, "userId", 256)
        _check_context(body.get("context"))
        inputs = body.get("inputList")
        if not isinstance(inputs, list) or not inputs:
            raise invalid("inputList is required.")
        check_max_items(inputs, "inputList", 500)
        if recipes.CATEGORY[trained.recipe] != "PERSONALIZED_RANKING":
            raise invalid(
                "GetPersonalizedRanking needs a campaign with a PERSONALIZED_RANKING recipe."
            )
        names = self._metadata(body, campaign, trained, min(len(inputs), 51))
        model = trained.model
        allowed = self._filter(body, campaign, trained, user, None)
        candidates = [i for i in dict.fromkeys(inputs) if allowed is None or i in allowed]
        known = [i for i in candidates if i in model.item_index]
        unknown = [i for i in candidates if i not in model.item_index]
        scores = model.scores(self._history(campaign, trained, user))
        codes = np.array([model.item_index[i] for i in known], dtype=np.int64)
        entries: list[dict[str, Any]] = []
        if len(codes):
            raw = scores[codes]
            raw = np.where(np.isfinite(raw), raw, np.nanmin(scores[np.isfinite(scores)]) - 1)
            probabilities = softmax(raw)
            for k in np.lexsort((np.arange(len(codes)), -probabilities)):
                entries.append({"itemId": known[k], "score": round(float(probabilities[k]), 7)})
        entries += [{"itemId": i} for i in unknown]
        if names:
            self._attach_metadata(entries, campaign, trained, names)
        return {"personalizedRanking": entries, "recommendationId": _recommendation_id()}


def _check_context(context: Any) -> None:
    """context: at most 150 entries, keys [A-Za-z0-9_]+ up to 150, values up to 1000 chars."""
    check_max_items(context, "context", 150)
    for key, value in (context or {}).items():
        if not _KEY.match(key) or len(key) > 150:
            raise invalid(f"Invalid context key {key}: use [A-Za-z0-9_]+, 150 at most.")
        check_length(value, f"context.{key}", 1000, 0)


def _interleave(rest: np.ndarray, promoted: np.ndarray, n: int) -> list[int]:
    """Promoted items spread evenly through the list, the others in score order."""
    total = min(n, len(rest) + len(promoted))
    slots = (
        {round(k * total / len(promoted)) for k in range(len(promoted))} if len(promoted) else set()
    )
    ordered, regular, special = [], iter(rest.tolist()), iter(promoted.tolist())
    for position in range(total):
        source = special if position in slots else regular
        value = next(source, None)
        if value is None:
            value = next(regular if source is special else special, None)
        if value is not None:
            ordered.append(value)
    return ordered


def _recommendation_id() -> str:
    return "RID-" + str(uuid.uuid4())[: 36 - 4]


class _BatchCampaign:
    """The parts of a campaign the runtime reads, for a batch job serving a version directly."""

    def __init__(self, group: str) -> None:
        self.state = {"group": group}
        self.fields: dict[str, Any] = {"campaignConfig": None}
