"""aws-popularity-count: the same list for everyone, items by (weighted) interaction count.

Ties are broken by item ID. Events put after training are ignored until the next training,
as on AWS. No scores are returned by the runtime for this recipe.
"""

from __future__ import annotations

from .base import Model


class Popularity(Model):
    family = "popularity"
