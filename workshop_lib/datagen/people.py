"""Shoppers with hidden tastes: the signal a recommender has to find.

Each person likes a few categories (a sparse Dirichlet mixture), two or three brands, and one
price tier; their product choices are drawn from those tastes times each product's appeal.
Identity follows a shop's life: existing customers log in on each device, new customers sign up
part-way through the period (browsing anonymously before), and some visitors never register.
"""

from __future__ import annotations

import bisect
import itertools
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .catalogue import BRANDS, CATEGORIES, Product

FIRST_NAMES = (
    "Ava", "Liam", "Noah", "Emma", "Olivia", "Mia", "Lucas", "Amelia", "Ethan", "Sofia", "Mateo",
    "Chloe", "Aiden", "Priya", "Kenji", "Fatima", "Diego", "Hannah", "Omar", "Grace", "Yuki",
    "Leila", "Jonas", "Nora", "Ravi", "Zoe", "Malik", "Elena", "Tariq", "Ingrid",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Garcia", "Chen", "Patel", "Kim", "Nguyen", "Müller", "Rossi", "Silva", "Okafor",
    "Johnson", "Lopez", "Tanaka", "Ali", "Novak", "Brown", "Dubois", "Larsen", "Cohen", "Singh",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
CITIES = ("Seattle", "Austin", "Chicago", "Denver", "Boston", "Atlanta", "Portland", "Miami")
PLATFORM_SHARE = (("web", 0.5), ("ios", 0.3), ("android", 0.2))


@dataclass
class Device:
    """One browser or phone: its own anonymousId, and whether the person is logged in on it."""

    platform: str
    anonymous_id: str
    model: str
    os_version: str
    clock_skew_s: float  # device clocks are wrong; Segment corrects with sentAt
    ip: str
    logged_in: bool = False


@dataclass
class Person:
    """A shopper. `user_id` is None for visitors who never register."""

    index: int
    user_id: str | None
    kind: str  # existing | new | visitor
    signup_at: datetime | None
    traits: dict
    devices: list[Device]
    sessions_per_day: float
    cum_weights: list[float] = field(repr=False, default_factory=list)
    category_weights: dict[str, float] = field(default_factory=dict)
    account_created: bool = False
    pending_complement: tuple[str, datetime] | None = None
    history: list[str] = field(default_factory=list)  # SKUs viewed, most recent last

    @property
    def registered(self) -> bool:
        return self.user_id is not None

    def pick(self, rng: random.Random, products: list[Product]) -> Product:
        """A product drawn from this person's tastes."""
        return products[bisect.bisect(self.cum_weights, rng.random() * self.cum_weights[-1])]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _device(rng: random.Random, platform: str) -> Device:
    if platform == "ios":
        model = rng.choice(("iPhone14,5", "iPhone15,2", "iPhone16,1", "iPhone13,2", "iPad13,4"))
        os_version = rng.choice(("17.6.1", "18.1", "18.3.2", "26.0"))
    elif platform == "android":
        model = rng.choice(("SM-S918B", "Pixel 8", "SM-A546E", "Pixel 7a", "moto g84"))
        os_version = rng.choice(("13", "14", "15", "16"))
    else:
        model = rng.choice(("Chrome", "Safari", "Firefox", "Edge"))
        os_version = rng.choice(("Windows", "macOS", "Linux", "iOS", "Android"))
    skew = rng.gauss(0, 1.5) if rng.random() < 0.85 else rng.uniform(-600, 600)
    octets = (rng.choice((24, 67, 73, 98, 174)), rng.randrange(256), rng.randrange(256))
    ip = ".".join(map(str, (*octets, rng.randrange(1, 255))))
    return Device(platform, _uuid(rng), model, os_version, round(skew, 3), ip)


def _taste_weights(rng: random.Random, products: list[Product]) -> tuple[list[float], dict]:
    categories = sorted(CATEGORIES)
    raw = [rng.gammavariate(0.3, 1.0) for _ in categories]
    total = sum(raw) or 1.0
    category_w = {c: 0.01 + w / total for c, w in zip(categories, raw, strict=True)}
    favourite_brands = set(rng.sample(sorted(BRANDS), rng.choice((2, 3))))
    tier = rng.choices(("budget", "mid", "premium"), weights=(0.35, 0.45, 0.2))[0]
    weights = []
    for p in products:
        w = category_w[p.category] * p.popularity
        w *= 10.0 if p.brand in favourite_brands else 1.0
        w *= 3.0 if p.tier == tier else 1.0
        weights.append(w)
    return list(itertools.accumulate(weights)), category_w


def build_people(
    rng: random.Random, registered: int, products: list[Product], start: datetime, days: int
) -> list[Person]:
    """`registered` people with a userId (half already customers) plus 20 % anonymous visitors."""
    visitors = registered // 5
    people = []
    user_ids = rng.sample(range(10**9, 10**10), registered)
    for index in range(registered + visitors):
        kind = "visitor" if index >= registered else ("existing" if rng.random() < 0.5 else "new")
        platforms = [p for p, _ in PLATFORM_SHARE]
        shares = [s for _, s in PLATFORM_SHARE]
        first = rng.choices(platforms, weights=shares)[0]
        devices = [_device(rng, first)]
        if rng.random() < 0.3:  # some shop on a second device
            second = rng.choice([p for p in platforms if p != first])
            devices.append(_device(rng, second))
        first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        user_id = None if kind == "visitor" else str(user_ids[index])
        if kind == "existing":
            signup = start - timedelta(days=rng.uniform(10, 700))
        elif kind == "new":
            signup = start + timedelta(days=rng.uniform(0, days * 0.9))
        else:
            signup = None
        traits = {}
        if user_id:
            traits = {
                "email": f"{first_name}.{last_name}.{index}@{rng.choice(EMAIL_DOMAINS)}".lower(),
                "first_name": first_name,
                "last_name": last_name,
                "city": rng.choice(CITIES),
                "created_at": signup.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        cum, category_w = _taste_weights(rng, products)
        people.append(
            Person(
                index=index,
                user_id=user_id,
                kind=kind,
                signup_at=signup,
                traits=traits,
                devices=devices,
                sessions_per_day=rng.lognormvariate(-3.2, 0.8) * (0.5 if kind == "visitor" else 1),
                cum_weights=cum,
                category_weights=category_w,
                account_created=kind == "existing",
            )
        )
    return people
