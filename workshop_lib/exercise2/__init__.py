"""The steps of exercise 2, one call per notebook cell, each returning something to show.

The interactions CSV and the catalogue from exercise 1 -> a Personalize dataset group, schemas,
datasets and imports (plus put_items) -> three solutions trained side by side -> offline
metrics -> campaigns, a filter and a batch inference job. Every step finds or creates its
resources by name, so any cell can run again, or after a kernel restart, and reuses what exists.
"""

from .batch import batch_recommendations, created
from .common import (
    CAMPAIGNS,
    RECIPES,
    MissingInput,
    MissingStep,
    campaign_arn,
    filter_arn,
    interactions,
    names,
)
from .datasets import (
    NEW_ITEMS,
    catalogue,
    check_inputs,
    create_dataset_group,
    create_datasets,
    create_schemas,
    grant_access,
    import_data,
    put_new_items,
    role_arn,
    schema,
)
from .serving import (
    create_campaigns,
    create_filter,
    filter_before_after,
    recommend,
    recommendations_for_users,
    related_items,
)
from .training import metrics, metrics_chart, train, version_arn

__all__ = [
    "CAMPAIGNS",
    "NEW_ITEMS",
    "RECIPES",
    "MissingInput",
    "MissingStep",
    "batch_recommendations",
    "campaign_arn",
    "catalogue",
    "check_inputs",
    "create_campaigns",
    "create_dataset_group",
    "create_datasets",
    "create_filter",
    "create_schemas",
    "created",
    "filter_arn",
    "filter_before_after",
    "grant_access",
    "import_data",
    "interactions",
    "metrics",
    "metrics_chart",
    "names",
    "put_new_items",
    "recommend",
    "recommendations_for_users",
    "related_items",
    "role_arn",
    "schema",
    "train",
    "version_arn",
]
