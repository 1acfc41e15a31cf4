"""The four Segment sources the simulated shop sends from, with what each one's library adds.

Source ids and write keys are the ones the emulator's workspace gives sources of the same name
(it derives them from the name), so the historical files and live traffic of a local workshop
land under the same `segment-logs/<source-id>/` folders.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """A Segment source: its name, id (`projectId`), write key and client library."""

    name: str
    platform: str  # web | ios | android | email
    source_id: str
    write_key: str
    library: str
    library_version: str
    channel: str  # client (analytics.js), mobile, server

    @property
    def message_id_prefix(self) -> str:
        return "ajs-next-" if self.platform == "web" else ""


WEB = Source(
    "website-prod", "web", "QpCdp9dAF2", "9RDBsaOayGOZmdwbGVsoc7mk1vutePQz",
    "analytics.js", "next-1.72.0", "client",
)  # fmt: skip
IOS = Source(
    "ios-prod", "ios", "efwX0bbIjE", "QQ9pOjGdTTBI7zm9zdEFXadVK4592mrx",
    "analytics-ios", "4.1.8", "mobile",
)  # fmt: skip
ANDROID = Source(
    "android-prod", "android", "bYR6TUUYqQ", "v3M080f2NNAXLzSD906m7AUR2GJ68yc3",
    "analytics-android", "4.11.3", "mobile",
)  # fmt: skip
EMAIL = Source(
    "email-prod", "email", "lR5G37b9wv", "4gHcjacv5BGH2T8HtSueAHOpC7meNqCH",
    "analytics-python", "2.4.0", "server",
)  # fmt: skip
SOURCES: tuple[Source, ...] = (WEB, IOS, ANDROID, EMAIL)
