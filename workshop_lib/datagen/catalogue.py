"""The shop's product catalogue: SKUs with names, categories, brands, prices and creation times.

Products are built from a small vocabulary so that names read like a real fashion shop's
("Northpeak Waterproof Hiking Boot"), and they carry the attributes users' tastes are made of
(category, brand, price tier). The catalogue is also written as the CSV that Amazon Personalize
imports as an Items dataset (epoch-second CREATION_TIMESTAMP, `|`-free categorical values).
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

# category -> (subcategory nouns, price range in USD)
CATEGORIES: dict[str, tuple[tuple[str, ...], tuple[float, float]]] = {
    "footwear": (("Sneaker", "Boot", "Sandal", "Loafer", "Running Shoe"), (45, 220)),
    "socks": (("Crew Socks", "No-Show Socks", "Wool Socks", "Ankle Socks"), (6, 24)),
    "tops": (("T-Shirt", "Shirt", "Blouse", "Polo", "Hoodie"), (15, 90)),
    "bottoms": (("Jeans", "Chinos", "Skirt", "Shorts", "Joggers"), (25, 120)),
    "outerwear": (("Jacket", "Parka", "Raincoat", "Blazer", "Fleece"), (60, 320)),
    "bags": (("Backpack", "Tote", "Duffel", "Crossbody Bag"), (30, 260)),
    "accessories": (("Cap", "Beanie", "Scarf", "Belt", "Sunglasses"), (12, 110)),
    "sportswear": (("Leggings", "Track Jacket", "Sports Bra", "Training Tee"), (20, 95)),
}

# What people buy next: the planted "shoes then socks" pattern.
COMPLEMENTS: dict[str, str] = {
    "footwear": "socks",
    "tops": "bottoms",
    "bottoms": "tops",
    "outerwear": "accessories",
    "bags": "accessories",
    "sportswear": "footwear",
}

# brand -> (price tier, categories it makes)
BRANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Northpeak": ("premium", ("footwear", "outerwear", "bags", "accessories")),
    "Urbanly": ("mid", ("tops", "bottoms", "outerwear", "accessories")),
    "Stride": ("mid", ("footwear", "socks", "sportswear")),
    "Basix": ("budget", ("tops", "bottoms", "socks", "accessories")),
    "Alder & Finch": ("premium", ("tops", "bottoms", "outerwear", "bags")),
    "Coastline": ("mid", ("footwear", "tops", "bags", "accessories")),
    "Kinetic": ("mid", ("sportswear", "footwear", "socks", "bags")),
    "Thrifty": ("budget", ("footwear", "tops", "bottoms", "socks", "sportswear")),
    "Maison Vere": ("premium", ("tops", "outerwear", "accessories", "bags")),
    "Trailhead": ("mid", ("outerwear", "footwear", "socks", "bags")),
    "Loop": ("budget", ("accessories", "bags", "tops", "socks")),
    "Velocity": ("premium", ("sportswear", "footwear", "outerwear")),
}
TIER_PRICE_FACTOR = {"budget": 0.55, "mid": 1.0, "premium": 1.7}
COLOURS = (
    "Black", "White", "Navy", "Olive", "Grey", "Sand", "Burgundy", "Ocean Blue", "Forest Green",
    "Charcoal", "Rust", "Cream",
)  # fmt: skip
STYLES = (
    "Classic", "Everyday", "Waterproof", "Lightweight", "Vintage", "Organic Cotton", "Slim Fit",
    "Relaxed", "Recycled", "Essential", "Heritage", "Performance",
)  # fmt: skip

ITEMS_CSV_COLUMNS = (
    "ITEM_ID", "NAME", "CATEGORY_L1", "CATEGORY_L2", "BRAND", "PRICE_TIER", "PRICE",
    "CREATION_TIMESTAMP",
)  # fmt: skip


@dataclass(frozen=True)
class Product:
    """One SKU. `popularity` is the hidden base appeal the simulation draws views from."""

    sku: str
    name: str
    category: str
    subcategory: str
    brand: str
    tier: str
    price: float
    created_at: datetime
    popularity: float

    @property
    def url_path(self) -> str:
        return f"/products/{self.sku}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("&", "and")).strip("-")


def build_catalogue(rng: random.Random, count: int, start: datetime, days: int) -> list[Product]:
    """`count` distinct products; about 8 % arrive during the simulated period (new arrivals)."""
    products: dict[str, Product] = {}
    brand_names = sorted(BRANDS)
    while len(products) < count:
        brand = rng.choice(brand_names)
        tier, made = BRANDS[brand]
        category = rng.choice(made)
        nouns, (low, high) = CATEGORIES[category]
        noun = rng.choice(nouns)
        style, colour = rng.choice(STYLES), rng.choice(COLOURS)
        name = f"{brand} {style} {colour} {noun}"
        sku = _slug(name)
        if sku in products:
            continue
        price = rng.uniform(low, high) * TIER_PRICE_FACTOR[tier]
        price = max(4.0, round(price) - 0.01)  # shop prices end in .99
        if rng.random() < 0.08:  # a new arrival, released during the period
            created = start + timedelta(days=rng.uniform(0.1, 0.85) * days)
        else:
            created = start - timedelta(days=rng.uniform(5, 540))
        created = created.replace(microsecond=0)
        # heavy-tailed appeal: a few best-sellers, a long tail
        popularity = rng.paretovariate(2.5)
        products[sku] = Product(sku, name, category, noun, brand, tier, price, created, popularity)
    return sorted(products.values(), key=lambda p: p.sku)


def write_items_csv(products: list[Product], path: Path) -> None:
    """The catalogue as a Personalize Items CSV (unquoted header, epoch-second timestamps)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(ITEMS_CSV_COLUMNS)
        for p in products:
            writer.writerow(
                [
                    p.sku,
                    p.name,
                    p.category,
                    _slug(p.subcategory),
                    _slug(p.brand),
                    p.tier,
                    f"{p.price:.2f}",
                    int(p.created_at.timestamp()),
                ]
            )
