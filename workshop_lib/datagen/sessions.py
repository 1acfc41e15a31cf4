"""Shopping sessions: what each person does, when, and on which device.

The output is a list of `Action`s, what a client library was asked to send (true time, ids,
call type, payload), before any Segment processing; `messages.py` turns them into the lines the
S3 destination writes. Shapes planted on purpose, for the workshop to find:
- funnels with drop-off: views -> Product Added (about 1 in 6) -> Order Completed (about half);
- repeat views of recently seen products; browsing within a category;
- complementary purchases: after shoes come socks (same session or within ten days);
- weekday and hour-of-day rhythms, mobile heavier in the evening;
- identity: anonymous browsing, then "Signed Up"/"Signed In" with identify (anonymousId tied to
  the userId); weekly marketing emails whose clicks start a session on a product page.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .catalogue import COMPLEMENTS, Product
from .people import Device, Person

# Monday..Sunday, and UTC hours 0..23 (the shop's customers are mostly in the Americas)
WEEKDAY_FACTOR = (0.9, 0.85, 0.9, 0.95, 1.05, 1.3, 1.25)
WEB_HOURS = (3, 2, 1, 1, 1, 2, 3, 5, 7, 8, 9, 9, 10, 11, 11, 10, 9, 9, 10, 11, 10, 8, 6, 4)
MOBILE_HOURS = (4, 2, 1, 1, 1, 2, 4, 7, 6, 5, 5, 6, 8, 7, 6, 6, 7, 9, 12, 14, 15, 13, 10, 7)
EMAIL_SENDS = ((1, 15),)  # (weekday, UTC hour): the weekly Tuesday campaign
CAMPAIGNS = (
    "New arrivals", "Weekend sale", "Back in stock", "Picked for you", "Last chance",
)  # fmt: skip


@dataclass
class Action:
    """One call a client library makes (before Segment adds its fields)."""

    at: datetime  # true time of the action
    platform: str  # web | ios | android | email
    call: str  # track | page | screen | identify
    user_id: str | None
    device: Device | None
    event: str | None = None
    name: str | None = None
    properties: dict = field(default_factory=dict)
    traits: dict | None = None
    offline_s: float = 0.0  # a phone without network sends the session's events later


def product_properties(product: Product) -> dict:
    """Segment's e-commerce spec fields for a product."""
    return {
        "product_id": product.sku,
        "sku": product.sku,
        "name": product.name,
        "category": product.category,
        "brand": product.brand,
        "price": product.price,
        "currency": "USD",
    }


class Session:
    """One visit: emits actions at a human pace and keeps the person's state up to date."""

    def __init__(
        self,
        rng: random.Random,
        person: Person,
        device: Device,
        start: datetime,
        products: list[Product],
        by_sku: dict[str, Product],
    ) -> None:
        self.rng, self.person, self.device, self.now = rng, person, device, start
        self.products, self.by_sku = products, by_sku
        self.actions: list[Action] = []
        self.cart: list[Product] = []
        offline = device.platform != "web" and rng.random() < 0.04
        self.offline_s = rng.uniform(600, 30000) if offline else 0.0

    @property
    def user_id(self) -> str | None:
        return self.person.user_id if self.device.logged_in else None

    def emit(self, call: str, event=None, name=None, properties=None, traits=None) -> None:
        self.actions.append(
            Action(
                self.now,
                self.device.platform,
                call,
                self.user_id,
                self.device,
                event,
                name,
                properties or {},
                traits,
                self.offline_s,
            )
        )
        self.now += timedelta(seconds=3 + self.rng.expovariate(1 / 35))

    def view_page(self, name: str, path: str) -> None:
        call = "page" if self.device.platform == "web" else "screen"
        properties = {"path": path} if call == "page" else {}
        self.emit(call, name=name, properties=properties)

    def identify(self, event: str) -> None:
        """Sign up or sign in: the track call, then identify ties anonymousId to userId."""
        self.device.logged_in = True
        self.emit("track", event=event, properties={"method": self.rng.choice(("email", "google"))})
        self.emit("identify", traits=dict(self.person.traits))

    def maybe_log_in(self) -> None:
        person = self.person
        if not person.registered or self.device.logged_in:
            return
        if not person.account_created and person.signup_at <= self.now:
            person.account_created = True
            self.identify("Signed Up")
        elif person.account_created and self.rng.random() < 0.85:
            self.identify("Signed In")

    def choose(self) -> Product:
        rng, person = self.rng, self.person
        history = person.history
        want_category = None
        complement = person.pending_complement
        if complement and complement[1] >= self.now and rng.random() < 0.5:
            want_category = complement[0]
        elif history and rng.random() < 0.15:
            return self.by_sku[rng.choice(history[-6:])]
        elif history and rng.random() < 0.35:
            want_category = self.by_sku[history[-1]].category
        for _ in range(40):
            product = person.pick(rng, self.products)
            if product.created_at > self.now:
                continue  # not released yet
            if want_category is None or product.category == want_category:
                return product
        return product

    def view_product(self, product: Product, from_list: bool) -> None:
        properties = product_properties(product)
        if from_list:
            self.emit("track", event="Product Clicked", properties=properties)
        if self.device.platform == "web":
            properties = {**properties, "url": f"https://shop.example.com{product.url_path}"}
        self.emit("track", event="Product Viewed", properties=properties)
        self.person.history.append(product.sku)
        del self.person.history[:-30]
        if self.rng.random() < 0.17:
            self.cart.append(product)
            added = {**product_properties(product), "quantity": 1, "cart_id": self.cart_id}
            self.emit("track", event="Product Added", properties=added)

    @property
    def cart_id(self) -> str:
        return f"c{self.person.index:05d}-{int(self.actions[0].at.timestamp())}"

    def checkout(self) -> None:
        if not self.cart or self.rng.random() > 0.5:
            return  # abandoned cart
        if self.person.registered and not self.device.logged_in:
            self.maybe_log_in()
        if not self.device.logged_in and self.rng.random() > 0.2:
            return  # guests mostly leave at the login wall
        order_id = f"o{self.person.index:05d}-{int(self.now.timestamp())}"
        total = round(sum(p.price for p in self.cart), 2)
        self.emit(
            "track",
            event="Checkout Started",
            properties={"order_id": order_id, "value": total, "currency": "USD"},
        )
        for product in self.cart:  # one line per item, so every bought SKU is an interaction
            line = {**product_properties(product), "order_id": order_id, "quantity": 1}
            self.emit("track", event="Order Completed", properties={**line, "revenue": total})
            if product.category in COMPLEMENTS:
                until = self.now + timedelta(days=10)
                self.person.pending_complement = (COMPLEMENTS[product.category], until)
        self.cart = []

    def run(self, landing: Product | None = None) -> list[Action]:
        rng = self.rng
        if landing is not None:
            self.view_product(landing, from_list=False)
        else:
            self.view_page("Home", "/")
        if rng.random() < 0.6:
            self.maybe_log_in()
        views = 1 + int(rng.expovariate(1 / 3.0))
        for _ in range(views):
            product = self.choose()
            from_list = rng.random() < 0.6
            if from_list and rng.random() < 0.5:
                self.view_page("Product List", f"/c/{product.category}")
            self.view_product(product, from_list)
        self.checkout()
        # cross-sell right after a purchase: the complement, viewed and sometimes bought too
        complement = self.person.pending_complement
        if complement and complement[1] > self.now and rng.random() < 0.3:
            self.view_product(self.choose(), from_list=True)
            self.checkout()
        return self.actions


def _session_start(rng: random.Random, day: datetime, platform: str) -> datetime:
    hours = WEB_HOURS if platform == "web" else MOBILE_HOURS
    hour = rng.choices(range(24), weights=hours)[0]
    return day + timedelta(hours=hour, seconds=rng.uniform(0, 3600))


def _email_actions(rng: random.Random, person: Person, sent: datetime, products) -> list:
    """A campaign email: delivered, maybe opened, maybe a product link clicked."""
    campaign = CAMPAIGNS[(sent.toordinal() // 3) % len(CAMPAIGNS)]
    base = {
        "campaign_id": f"cmp-{sent:%Y%m%d}",
        "campaign_name": campaign,
        "email_subject": f"{campaign} at Example Shop",
    }
    actions = [Action(sent, "email", "track", person.user_id, None, "Email Delivered", None, base)]
    if rng.random() > 0.25:
        return actions
    opened = sent + timedelta(minutes=rng.expovariate(1 / 180))
    actions.append(
        Action(opened, "email", "track", person.user_id, None, "Email Opened", None, base)
    )
    if rng.random() > 0.2:
        return actions
    product = person.pick(rng, products)
    while product.created_at > opened:
        product = person.pick(rng, products)
    clicked = opened + timedelta(seconds=rng.uniform(5, 120))
    link = {**base, "link_url": f"https://shop.example.com{product.url_path}"}
    actions.append(
        Action(clicked, "email", "track", person.user_id, None, "Email Link Clicked", None, link)
    )
    actions.append(product)  # the caller opens a session on this product
    return actions


def simulate(
    rng: random.Random, people: list[Person], products: list[Product], start: datetime, days: int
) -> list[Action]:
    """Every action of every person over `days` days from `start`, in time order."""
    by_sku = {p.sku: p for p in products}
    actions: list[Action] = []
    for person in people:
        visits: list[tuple[datetime, Device, Product | None]] = []
        if person.kind == "new":  # the visit in which they sign up
            visits.append((person.signup_at, person.devices[0], None))
        for day_number in range(days):
            day = start + timedelta(days=day_number)
            rate = person.sessions_per_day * WEEKDAY_FACTOR[day.weekday()]
            while rate > 0 and rng.random() < rate:
                device = rng.choice(person.devices)
                visits.append((_session_start(rng, day, device.platform), device, None))
                rate -= 1
            for weekday, hour in EMAIL_SENDS:
                if day.weekday() != weekday or not person.registered:
                    continue
                sent = day + timedelta(hours=hour, seconds=rng.uniform(0, 900))
                if person.signup_at > sent:
                    continue
                emails = _email_actions(rng, person, sent, products)
                if isinstance(emails[-1], Product):
                    landing = emails.pop()
                    at = emails[-1].at + timedelta(seconds=rng.uniform(2, 10))
                    device = rng.choice(person.devices)
                    visits.append((at, device, landing))
                actions.extend(emails)
        visits.sort(key=lambda v: v[0])
        for at, device, landing in visits:
            session = Session(rng, person, device, at, products, by_sku)
            actions.extend(session.run(landing))
    actions.sort(key=lambda a: a.at)
    return actions
