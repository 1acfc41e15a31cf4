"""The recommenders that train for real, one module per recipe family.

`base.TrainData` turns an Interactions frame (after eventType / eventsConfig / threshold
filtering) into integer codes; every model answers `scores(history)` for user recipes or
`related(item)` for related-items recipes, as dense numpy vectors over its item catalogue.
"""

from __future__ import annotations

from .base import Model, TrainData

FAMILIES = ("user_personalization", "popularity", "trending", "sims", "similar_items")


def new_model(family: str) -> Model:
    """A fresh model of a family (imports numpy/scipy lazily)."""
    if family == "user_personalization":
        from .user_personalization import SequenceKnn

        return SequenceKnn()
    if family == "popularity":
        from .popularity import Popularity

        return Popularity()
    if family == "trending":
        from .trending import Trending

        return Trending()
    if family == "sims":
        from .sims import Sims

        return Sims()
    if family == "similar_items":
        from .similar_items import SimilarItems

        return SimilarItems()
    raise ValueError(family)


__all__ = ["FAMILIES", "Model", "TrainData", "new_model"]
