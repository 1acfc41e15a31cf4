"""Control-plane operations for solutions, solution versions, metrics and campaigns.

A mixin of `control.ControlPlane`. Choices where AWS documents none: performAutoTraining is
stored and echoed but the emulator never starts a version by itself (the workshop creates its
versions explicitly); campaign updates walk their own CREATE states in `latestCampaignUpdate`
and switch the served version once ACTIVE; an UPDATE version reuses the previous hyperparameters.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from . import recipes
from .control import arn, summary
from .live import LiveEvents
from .store import Resource
from .training import TrainingFailure, train
from .validation import (
    ApiError,
    check_arn,
    check_enum,
    check_length,
    check_max_items,
    check_name,
    in_use,
    invalid,
    limit_exceeded,
    paginate,
)

_RATE = re.compile(r"^rate\(\d+ days?\)$")
LATEST = "/$LATEST"


def _check_solution_config(config: Any) -> dict:
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise invalid("solutionConfig must be an object.")
    threshold = config.get("eventValueThreshold")
    if threshold is not None:
        check_length(threshold, "solutionConfig.eventValueThreshold", 256)
        try:
            float(threshold)
        except ValueError:
            raise invalid("solutionConfig.eventValueThreshold must be a number.") from None
    events = (config.get("eventsConfig") or {}).get("eventParametersList")
    if events is not None:
        check_max_items(events, "solutionConfig.eventsConfig.eventParametersList", 10)
        for p in events:
            weight = p.get("weight", 1.0)
            if not 0.0 <= float(weight) <= 1.0:
                raise invalid("eventsConfig weight must be between 0.0 and 1.0.")
    params = config.get("algorithmHyperParameters") or {}
    check_max_items(params, "solutionConfig.algorithmHyperParameters", 100)
    objective = config.get("optimizationObjective") or {}
    check_enum(
        objective.get("objectiveSensitivity"),
        "solutionConfig.optimizationObjective.objectiveSensitivity",
        ("LOW", "MEDIUM", "HIGH", "OFF"),
    )
    auto = (config.get("autoTrainingConfig") or {}).get("schedulingExpression")
    if auto is not None:
        days = re.findall(r"\d+", auto)
        if not _RATE.match(auto) or not 1 <= int(days[0]) <= 30:
            raise invalid(
                f"Invalid schedulingExpression {auto}: use rate(N days) with N from 1 to 30."
            )
    return config


class SolutionOps:
    """Solutions, versions, metrics, campaigns (mixed into ControlPlane)."""

    live: dict[str, LiveEvents]

    # ---------------------------------------------------------------- solutions
    def _recipe(self, body: dict) -> str:
        if body.get("performAutoML"):
            if body.get("recipeArn"):
                raise invalid("recipeArn and performAutoML cannot be specified together.")
            raise invalid(
                "performAutoML chooses among the legacy HRNN recipes, which are no longer "
                "available. Specify a recipeArn, e.g. "
                "arn:aws:personalize:::recipe/aws-user-personalization."
            )
        value = check_arn(body.get("recipeArn"), "recipeArn")
        name = recipes.name_of(value)
        if name is None:
            raise ApiError(
                "ResourceNotFoundException", f"Could not find resource with ARN {value}."
            )
        if name in recipes.LEGACY:
            raise invalid(
                f"Recipe {name} is a legacy recipe that is no longer available. Use "
                "aws-user-personalization or aws-user-personalization-v2 instead."
            )
        if name in recipes.DOMAIN:
            raise invalid(f"Recipe {name} is a use-case recipe: create a recommender with it.")
        if name not in recipes.TRAINED:
            raise invalid(
                f"The local emulator does not train recipe {name}. It trains: "
                f"{', '.join(sorted(recipes.TRAINED))}. Use target='aws' for {name}."
            )
        return name

    def op_CreateSolution(self, body: dict, region: str) -> dict:
        name = check_name(body.get("name"))
        recipe = self._recipe(body)
        check_length(body.get("eventType"), "eventType", 256)
        config = _check_solution_config(body.get("solutionConfig"))
        group = self._active("dataset-group", body.get("datasetGroupArn"), "datasetGroupArn")
        if recipe not in ("aws-user-personalization", "aws-user-personalization-v2") and body.get(
            "performIncrementalUpdate"
        ):
            raise invalid("performIncrementalUpdate is only for aws-semantic-similarity.")
        solutions = self.store.children("solution", "datasetGroupArn", group.arn)
        if len(solutions) >= self.quotas["solutions_per_group"]:
            raise limit_exceeded(
                f"More than {self.quotas['solutions_per_group']} solutions in dataset group "
                f"{group.arn}. Delete some and try again."
            )
        resource_arn = arn(region, "solution", name)
        fields = {
            "name": name,
            "solutionArn": resource_arn,
            "performHPO": bool(body.get("performHPO", False)),
            "performAutoML": False,
            "performAutoTraining": bool(body.get("performAutoTraining", True)),
            "recipeArn": recipes.RECIPE_PREFIX + recipe,
            "datasetGroupArn": group.arn,
            "eventType": body.get("eventType"),
            "solutionConfig": config or None,
        }
        resource = self._new("solution", resource_arn, name, fields, body.get("tags"))
        resource.state["recipe"] = recipe
        return {"solutionArn": resource_arn}

    def _versions(self, solution_arn: str) -> list[Resource]:
        found = self.store.children("solution-version", "solutionArn", solution_arn)
        return sorted(found, key=lambda r: r.created, reverse=True)

    def _version_summary(self, version: Resource) -> dict:
        described = version.describe()
        keys = ["solutionVersionArn", "status", "trainingMode", "trainingType"]
        keys += ["creationDateTime", "lastUpdatedDateTime", "failureReason"]
        return {k: described[k] for k in keys if k in described}

    def op_DescribeSolution(self, body: dict, region: str) -> dict:
        solution = self._get("solution", body.get("solutionArn"), "solutionArn")
        out = solution.describe()
        versions = self._versions(solution.arn)
        if versions:
            out["latestSolutionVersion"] = self._version_summary(versions[0])
        return {"solution": out}

    def op_ListSolutions(self, body: dict, region: str) -> dict:
        return self._list_in_group("solution", region, body, "solutions")

    def op_UpdateSolution(self, body: dict, region: str) -> dict:
        solution = self._active("solution", body.get("solutionArn"), "solutionArn")
        if "performAutoTraining" in body:
            solution.fields["performAutoTraining"] = bool(body["performAutoTraining"])
        update = body.get("solutionUpdateConfig") or {}
        if update.get("autoTrainingConfig"):
            _check_solution_config({"autoTrainingConfig": update["autoTrainingConfig"]})
        now = time.time()
        solution.fields["latestSolutionUpdate"] = {
            "solutionUpdateConfig": update,
            "performAutoTraining": solution.fields["performAutoTraining"],
            "status": "ACTIVE",
            "creationDateTime": now,
            "lastUpdatedDateTime": now,
        }
        return {"solutionArn": solution.arn}

    def op_DeleteSolution(self, body: dict, region: str) -> dict:
        solution = self._get("solution", body.get("solutionArn"), "solutionArn")
        self._deletable(solution)
        versions = self._versions(solution.arn)
        if any(v.busy for v in versions):
            raise in_use(f"Solution {solution.arn} has a solution version in training.")
        served = {v.arn for v in versions} | {solution.arn + LATEST}
        for campaign in self.store.all("campaign"):
            if campaign.fields["solutionVersionArn"] in served:
                raise in_use(
                    f"Solution {solution.arn} is used by campaign {campaign.arn}; delete the "
                    "campaign first."
                )
        for version in versions:
            self.store.forget(version)
        self.store.delete(solution)
        return {}

    # ---------------------------------------------------------------- versions
    def op_CreateSolutionVersion(self, body: dict, region: str) -> dict:
        solution = self._active("solution", body.get("solutionArn"), "solutionArn")
        if body.get("name") is not None:
            check_name(body["name"])
        mode = body.get("trainingMode") or "FULL"
        check_enum(mode, "trainingMode", ("FULL", "UPDATE", "AUTOTRAIN"))
        recipe = solution.state["recipe"]
        previous = None
        if mode == "UPDATE":
            if recipe != "aws-user-personalization":
                raise invalid(
                    f"trainingMode UPDATE is only supported for aws-user-personalization, not "
                    f"{recipe}."
                )
            done = [v for v in self._versions(solution.arn) if v.active]
            if not done:
                raise invalid("trainingMode UPDATE needs an ACTIVE solution version (FULL) first.")
            previous = done[0].state["trained"]
        group_arn = solution.fields["datasetGroupArn"]
        interactions = self.dataset_of(group_arn, "INTERACTIONS")
        if interactions is None:
            raise invalid(f"Dataset group {group_arn} has no Interactions dataset.")
        if not interactions.active:
            raise in_use(f"Dataset {interactions.arn} is not ACTIVE.")
        if self._running("solution-version", region) >= self.quotas["running_versions"]:
            raise limit_exceeded(
                f"More than {self.quotas['running_versions']} resources with PENDING or "
                "IN_PROGRESS status."
            )
        version_arn = f"{solution.arn}/{secrets.token_hex(4)}"
        fields = {
            "name": body.get("name"),
            "solutionVersionArn": version_arn,
            "solutionArn": solution.arn,
            "performHPO": solution.fields["performHPO"],
            "performAutoML": False,
            "recipeArn": solution.fields["recipeArn"],
            "eventType": solution.fields["eventType"],
            "datasetGroupArn": group_arn,
            "solutionConfig": solution.fields["solutionConfig"],
            "trainingMode": mode,
            "trainingType": "MANUAL",
        }
        version = self._new("solution-version", version_arn, version_arn, fields, body.get("tags"))
        items = self.dataset_of(group_arn, "ITEMS")
        users = self.dataset_of(group_arn, "USERS")
        live = self.live_events(group_arn)

        def work() -> None:
            time.sleep(version.pace)
            sequence = live.sequence
            frame = interactions.state["data"].frame()
            items_frame = items.state["data"].frame() if items is not None else None
            users_frame = users.state["data"].frame() if users is not None else None
            try:
                trained = train(recipe, frame, items_frame, solution.fields, previous, users_frame)
            except TrainingFailure as exc:
                raise RuntimeError(str(exc)) from None
            trained.event_sequence = sequence
            trained.interactions = frame
            version.state["trained"] = trained
            version.fields["trainingHours"] = round(trained.seconds / 3600, 6)
            version.fields["tunedHPOParams"] = {"algorithmHyperParameters": trained.tuned}

        self.store.run(version, work)
        return {"solutionVersionArn": version_arn}

    def live_events(self, group_arn: str) -> LiveEvents:
        with self.store.lock:
            return self.live.setdefault(group_arn, LiveEvents())

    def op_DescribeSolutionVersion(self, body: dict, region: str) -> dict:
        version = self._get(
            "solution-version", body.get("solutionVersionArn"), "solutionVersionArn"
        )
        out = version.describe()
        if out["status"] != "ACTIVE":
            out.pop("trainingHours", None)
            out.pop("tunedHPOParams", None)
        return {"solutionVersion": out}

    def op_ListSolutionVersions(self, body: dict, region: str) -> dict:
        solution = body.get("solutionArn")
        if solution is not None:
            self._get("solution", solution, "solutionArn")
        return self._list(
            "solution-version", region, body, "solutionVersions", solutionArn=solution
        )

    def op_StopSolutionVersionCreation(self, body: dict, region: str) -> dict:
        version = self._get(
            "solution-version", body.get("solutionVersionArn"), "solutionVersionArn"
        )
        status = version.status
        if status not in ("CREATE PENDING", "CREATE IN_PROGRESS"):
            raise in_use(f"Solution version {version.arn} is {status}; it cannot be stopped.")
        version.stopped_at = time.time() - (version.pace if status == "CREATE PENDING" else 0)
        return {}

    def op_GetSolutionMetrics(self, body: dict, region: str) -> dict:
        version = self._get(
            "solution-version", body.get("solutionVersionArn"), "solutionVersionArn"
        )
        if not version.active:
            raise in_use(
                f"Solution version {version.arn} is {version.status}; metrics are available "
                "once it is ACTIVE."
            )
        return {
            "solutionVersionArn": version.arn,
            "metrics": version.state["trained"].metrics,
        }

    # ---------------------------------------------------------------- campaigns
    def _serving_version(self, value: str, config: dict) -> Resource:
        if value.endswith(LATEST):
            if not config.get("syncWithLatestSolutionVersion"):
                raise invalid(
                    "A $LATEST solution version ARN needs campaignConfig "
                    "syncWithLatestSolutionVersion=true."
                )
            solution = self._get("solution", value[: -len(LATEST)], "solutionVersionArn")
            active = [v for v in self._versions(solution.arn) if v.active]
            if not active:
                raise in_use(f"Solution {solution.arn} has no ACTIVE solution version.")
            return active[0]
        if config.get("syncWithLatestSolutionVersion"):
            raise invalid(
                "syncWithLatestSolutionVersion=true needs solutionVersionArn <solutionArn>/$LATEST."
            )
        return self._active("solution-version", value, "solutionVersionArn")

    def _check_campaign_config(self, config: Any) -> dict:
        config = config or {}
        exploration = config.get("itemExplorationConfig") or {}
        weight = exploration.get("explorationWeight")
        if weight is not None:
            try:
                ok = 0.0 <= float(weight) <= 1.0
            except ValueError:
                ok = False
            if not ok:
                raise invalid("explorationWeight must be a number from 0.0 to 1.0.")
        cutoff = exploration.get("explorationItemAgeCutOff")
        if cutoff is not None:
            try:
                ok = float(cutoff) > 0
            except ValueError:
                ok = False
            if not ok:
                raise invalid("explorationItemAgeCutOff must be a positive number of days.")
        return config

    def op_CreateCampaign(self, body: dict, region: str) -> dict:
        name = check_name(body.get("name"))
        value = check_arn(body.get("solutionVersionArn"), "solutionVersionArn")
        tps = body.get("minProvisionedTPS", 1)
        if not isinstance(tps, int) or tps < 1:
            raise invalid("minProvisionedTPS must be an integer of at least 1.")
        config = self._check_campaign_config(body.get("campaignConfig"))
        version = self._serving_version(value, config)
        group = version.fields["datasetGroupArn"]
        active = [
            c for c in self.store.all("campaign", region) if c.state["group"] == group and c.active
        ]
        if len(active) >= self.quotas["campaigns_per_group"]:
            raise limit_exceeded(
                "Cannot create a campaign. More than 5 resources in ACTIVE state. Please delete "
                "some and try again."
            )
        resource_arn = arn(region, "campaign", name)
        fields = {
            "name": name,
            "campaignArn": resource_arn,
            "solutionVersionArn": value,
            "minProvisionedTPS": tps,
            "campaignConfig": config or None,
        }
        campaign = self._new("campaign", resource_arn, name, fields, body.get("tags"))
        campaign.state["group"] = group
        campaign.state["version"] = version
        return {"campaignArn": resource_arn}

    def settle_campaign(self, campaign: Resource) -> None:
        """Apply a finished update to the campaign's top-level fields."""
        update = campaign.state.get("update")
        if update is None or update["applied"]:
            return
        elapsed = time.time() - update["started"]
        status = "CREATE PENDING" if elapsed < campaign.pace else "CREATE IN_PROGRESS"
        if elapsed >= 2 * campaign.pace:
            status = "ACTIVE"
            campaign.fields.update(update["fields"])
            campaign.state["version"] = update["version"]
            update["applied"] = True
            campaign.updated = time.time()
        latest = campaign.fields["latestCampaignUpdate"]
        latest["status"] = status
        latest["lastUpdatedDateTime"] = time.time()

    def op_DescribeCampaign(self, body: dict, region: str) -> dict:
        campaign = self._get("campaign", body.get("campaignArn"), "campaignArn")
        self.settle_campaign(campaign)
        return {"campaign": campaign.describe()}

    def op_ListCampaigns(self, body: dict, region: str) -> dict:
        solution = body.get("solutionArn")
        found = sorted(self.store.all("campaign", region), key=lambda r: r.created, reverse=True)
        if solution is not None:
            check_arn(solution, "solutionArn")
            found = [c for c in found if c.fields["solutionVersionArn"].startswith(solution + "/")]
        return paginate([summary(c) for c in found], body, "campaigns")

    def op_UpdateCampaign(self, body: dict, region: str) -> dict:
        campaign = self._get("campaign", body.get("campaignArn"), "campaignArn")
        self.settle_campaign(campaign)
        if campaign.status not in ("ACTIVE", "CREATE FAILED"):
            raise in_use(f"Campaign {campaign.arn} is {campaign.status}.")
        update = campaign.state.get("update")
        if update is not None and not update["applied"]:
            raise in_use(f"Campaign {campaign.arn} has an update in progress.")
        config = campaign.fields.get("campaignConfig") or {}
        if body.get("campaignConfig") is not None:
            config = self._check_campaign_config(body["campaignConfig"])
        value = body.get("solutionVersionArn") or campaign.fields["solutionVersionArn"]
        check_arn(value, "solutionVersionArn")
        version = self._serving_version(value, config)
        tps = body.get("minProvisionedTPS", campaign.fields["minProvisionedTPS"])
        if not isinstance(tps, int) or tps < 1:
            raise invalid("minProvisionedTPS must be an integer of at least 1.")
        new = {"solutionVersionArn": value, "minProvisionedTPS": tps, "campaignConfig": config}
        now = time.time()
        campaign.fields["latestCampaignUpdate"] = {
            **new,
            "status": "CREATE PENDING",
            "creationDateTime": now,
            "lastUpdatedDateTime": now,
        }
        campaign.state["update"] = {
            "fields": new,
            "version": version,
            "started": now,
            "applied": False,
        }
        return {"campaignArn": campaign.arn}

    def op_DeleteCampaign(self, body: dict, region: str) -> dict:
        campaign = self._get("campaign", body.get("campaignArn"), "campaignArn")
        self._deletable(campaign)
        self.store.delete(campaign)
        return {}
