"""The recipe catalogue as list_recipes/describe_recipe return it, and which recipes train here.

Recipe types follow the spec's category column where the docs print none (an emulator choice).
Only the recipes listed in TRAINED have a local model; create_solution refuses the others with a
message saying so, and the legacy HRNN recipes get AWS's own answer (no longer available).
"""

from __future__ import annotations

from typing import Any

RECIPE_PREFIX = "arn:aws:personalize:::recipe/"
CATALOGUE_DATE = 1543622400.0  # 2018-12-01, a fixed creation date for the service recipes

# name -> (recipeType, algorithm, feature transformation, description)
CUSTOM: dict[str, tuple[str, str, str | None, str]] = {
    "aws-user-personalization-v2": (
        "USER_PERSONALIZATION",
        "aws-user-personalization-v2",
        None,
        "Predicts the items a user will interact with; scales to 5 million items.",
    ),
    "aws-user-personalization": (
        "USER_PERSONALIZATION",
        "aws-user-personalization",
        None,
        "Predicts the items a user will interact with, with exploration of new items.",
    ),
    "aws-popularity-count": (
        "USER_PERSONALIZATION",
        "aws-popularity-count",
        "sims",
        "Recommends the most popular items by interaction count.",
    ),
    "aws-trending-now": (
        "POPULAR_ITEMS",
        "aws-trending-now-custom",
        None,
        "Recommends the items whose popularity is growing fastest.",
    ),
    "aws-personalized-ranking-v2": (
        "PERSONALIZED_RANKING",
        "aws-personalized-ranking-v2",
        None,
        "Ranks a list of items for a user.",
    ),
    "aws-personalized-ranking": (
        "PERSONALIZED_RANKING",
        "aws-personalized-ranking",
        "JSON-percentile-filtering",
        "Ranks a list of items for a user.",
    ),
    "aws-similar-items": (
        "RELATED_ITEMS",
        "aws-similar-items",
        None,
        "Recommends items similar to a given item from interactions and item metadata.",
    ),
    "aws-sims": (
        "RELATED_ITEMS",
        "aws-sims",
        "sims",
        "Recommends items that users interact with together (item-to-item co-occurrence).",
    ),
    "aws-semantic-similarity": (
        "RELATED_ITEMS",
        "aws-semantic-similarity",
        "aws-semantic-similarity",
        "Recommends items with similar meaning from text embeddings.",
    ),
    "aws-next-best-action": (
        "PERSONALIZED_ACTIONS",
        "aws-next-best-action",
        None,
        "Recommends the next best actions for a user.",
    ),
    "aws-item-affinity": (
        "USER_SEGMENTATION",
        "aws-item-affinity",
        "item-affinity",
        "Finds users with an affinity for items (batch segments).",
    ),
    "aws-item-attribute-affinity": (
        "USER_SEGMENTATION",
        "aws-item-attribute-affinity",
        "item-attribute-affinity",
        "Finds users with an affinity for item attributes (batch segments).",
    ),
    "aws-hrnn": (
        "USER_PERSONALIZATION",
        "aws-hrnn",
        "JSON-percentile-filtering",
        "Legacy hierarchical recurrent neural network recipe.",
    ),
    "aws-hrnn-metadata": (
        "USER_PERSONALIZATION",
        "aws-hrnn-metadata",
        "featurize_metadata",
        "Legacy HRNN recipe with metadata.",
    ),
    "aws-hrnn-coldstart": (
        "USER_PERSONALIZATION",
        "aws-hrnn-coldstart",
        "featurize_coldstart",
        "Legacy HRNN recipe for cold items.",
    ),
}
DOMAIN: dict[str, str] = {
    "aws-ecomm-customers-who-viewed-x-also-viewed": "ECOMMERCE",
    "aws-ecomm-frequently-bought-together": "ECOMMERCE",
    "aws-ecomm-popular-items-by-purchases": "ECOMMERCE",
    "aws-ecomm-popular-items-by-views": "ECOMMERCE",
    "aws-ecomm-recommended-for-you": "ECOMMERCE",
    "aws-vod-because-you-watched-x": "VIDEO_ON_DEMAND",
    "aws-vod-more-like-x": "VIDEO_ON_DEMAND",
    "aws-vod-most-popular": "VIDEO_ON_DEMAND",
    "aws-vod-top-picks": "VIDEO_ON_DEMAND",
    "aws-vod-trending-now": "VIDEO_ON_DEMAND",
}
LEGACY = {"aws-hrnn", "aws-hrnn-metadata", "aws-hrnn-coldstart"}
# recipe name -> model family in models/
TRAINED = {
    "aws-user-personalization": "user_personalization",
    "aws-user-personalization-v2": "user_personalization",
    "aws-personalized-ranking": "user_personalization",
    "aws-personalized-ranking-v2": "user_personalization",
    "aws-popularity-count": "popularity",
    "aws-trending-now": "trending",
    "aws-sims": "sims",
    "aws-similar-items": "similar_items",
}
# The runtime behaviour of each trained recipe: the category decides the API and inputs.
CATEGORY = {
    "aws-user-personalization": "USER_PERSONALIZATION",
    "aws-user-personalization-v2": "USER_PERSONALIZATION",
    "aws-personalized-ranking": "PERSONALIZED_RANKING",
    "aws-personalized-ranking-v2": "PERSONALIZED_RANKING",
    "aws-popularity-count": "POPULAR_ITEMS",
    "aws-trending-now": "POPULAR_ITEMS",
    "aws-sims": "RELATED_ITEMS",
    "aws-similar-items": "RELATED_ITEMS",
}
SCORED = {
    "aws-user-personalization",
    "aws-user-personalization-v2",
    "aws-personalized-ranking",
    "aws-personalized-ranking-v2",
}


def name_of(arn: str) -> str | None:
    name = arn[len(RECIPE_PREFIX) :] if arn.startswith(RECIPE_PREFIX) else None
    return name if name in CUSTOM or name in DOMAIN else None


def summary(name: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "recipeArn": RECIPE_PREFIX + name,
        "status": "ACTIVE",
        "creationDateTime": CATALOGUE_DATE,
        "lastUpdatedDateTime": CATALOGUE_DATE,
    }
    if name in DOMAIN:
        out["domain"] = DOMAIN[name]
    return out


def all_summaries(domain: str | None) -> list[dict[str, Any]]:
    names = (
        sorted(CUSTOM) + sorted(DOMAIN)
        if domain is None
        else [n for n in sorted(DOMAIN) if DOMAIN[n] == domain]
    )
    return [summary(n) for n in names]


def describe(name: str) -> dict[str, Any]:
    if name in CUSTOM:
        recipe_type, algorithm, transformation, description = CUSTOM[name]
    else:
        recipe_type, algorithm, transformation = "USER_PERSONALIZATION", name, None
        description = f"Use-case recipe {name} of the {DOMAIN[name]} domain (recommenders only)."
    out = summary(name)
    out.pop("domain", None)
    out.update(
        algorithmArn=f"arn:aws:personalize:::algorithm/{algorithm}",
        description=description,
        recipeType=recipe_type,
    )
    if transformation:
        out["featureTransformationArn"] = (
            f"arn:aws:personalize:::feature-transformation/{transformation}"
        )
    return out


def algorithm(name: str) -> dict[str, Any] | None:
    """describe_algorithm: the algorithms behind the catalogue's recipes.

    defaultHyperParameters are the local model's (documented in models/), not AWS's.
    """
    recipe = next((r for r, spec in CUSTOM.items() if spec[1] == name), None)
    if recipe is None:
        return None
    defaults: dict[str, str] = {}
    if TRAINED.get(recipe) == "user_personalization":
        from .models.user_personalization import DEFAULTS

        defaults = {k: str(v) for k, v in DEFAULTS.items()}
    elif TRAINED.get(recipe) == "sims":
        defaults = {"popularity_discount_factor": "0.5", "min_cointeraction_count": "3"}
    return {
        "name": name,
        "algorithmArn": f"arn:aws:personalize:::algorithm/{name}",
        "algorithmImage": {"name": name},
        "defaultHyperParameters": defaults,
        "defaultResourceConfig": {},
        "trainingInputMode": "File",
        "creationDateTime": CATALOGUE_DATE,
        "lastUpdatedDateTime": CATALOGUE_DATE,
    }


def feature_transformation(name: str) -> dict[str, Any] | None:
    names = {spec[2] for spec in CUSTOM.values() if spec[2]}
    if name not in names:
        return None
    return {
        "name": name,
        "featureTransformationArn": f"arn:aws:personalize:::feature-transformation/{name}",
        "defaultParameters": {},
        "status": "ACTIVE",
        "creationDateTime": CATALOGUE_DATE,
        "lastUpdatedDateTime": CATALOGUE_DATE,
    }
