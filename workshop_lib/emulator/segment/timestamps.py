"""Segment's time fields: parsing what clients send and the sentAt clock-skew correction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def iso_ms_z(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.sssZ`, the format of receivedAt and timestamp."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse(value: object) -> datetime | None:
    """An ISO-8601 string (Z or offset; naive means UTC) or None if it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def corrected_timestamp(received: datetime, original: object, sent: object) -> datetime:
    """receivedAt - (sentAt - originalTimestamp); the client's time alone; else receivedAt."""
    original_at, sent_at = parse(original), parse(sent)
    if original_at is None:
        return received
    if sent_at is None:
        return original_at
    skew: timedelta = sent_at - original_at
    return received - skew
