"""Option types the command-line groups share."""

from __future__ import annotations

from datetime import UTC, datetime

import click


class MomentType(click.ParamType):
    """An ISO 8601 date and time; without an offset it is taken as UTC."""

    name = "datetime"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(value.strip())
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        except (ValueError, OverflowError):
            self.fail(
                f"{value!r} is not an ISO date and time; "
                "write it like 2027-03-12T09:00 (UTC) or 2027-03-12T09:00+01:00.",
                param,
                ctx,
            )
