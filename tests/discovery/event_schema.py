"""A JSON Schema for the schema.org Event a retreat page carries: the properties search engines
read (Google's Event rich result), with their types. Checked with the `jsonschema` library."""

from __future__ import annotations

ISO_WITH_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)$"
ABSOLUTE_URL = r"^https?://[^/\s]+/\S*$"
SCHEMA_ORG = "https://schema.org/"

_url = {"type": "string", "pattern": ABSOLUTE_URL}
_text = {"type": "string", "minLength": 1}
_moment = {"type": "string", "pattern": ISO_WITH_OFFSET}


def _one_of(*names: str) -> dict:
    return {"enum": [SCHEMA_ORG + name for name in names]}


PLACE = {
    "type": "object",
    "required": ["@type", "name", "address"],
    "properties": {
        "@type": {"const": "Place"},
        "name": _text,
        "address": {
            "type": "object",
            "required": ["@type", "addressCountry"],
            "properties": {
                "@type": {"const": "PostalAddress"},
                "addressLocality": _text,
                "addressCountry": _text,
            },
        },
    },
}
VIRTUAL_LOCATION = {
    "type": "object",
    "required": ["@type", "url"],
    "additionalProperties": False,
    "properties": {"@type": {"const": "VirtualLocation"}, "url": _url},
}
OFFER = {
    "type": "object",
    "required": ["@type", "price", "priceCurrency", "availability", "url", "validFrom"],
    "properties": {
        "@type": {"const": "Offer"},
        "name": _text,
        # A decimal string, never a float that could round: "250.00", "5000".
        "price": {"type": "string", "pattern": r"^\d+(\.\d+)?$"},
        "priceCurrency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "availability": _one_of("InStock", "SoldOut", "PreOrder"),
        "url": _url,
        "validFrom": _moment,
        "validThrough": _moment,
    },
}
EVENT = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": [
        "@context",
        "@type",
        "name",
        "description",
        "startDate",
        "endDate",
        "eventStatus",
        "eventAttendanceMode",
        "location",
        "organizer",
    ],
    "properties": {
        "@context": {"const": "https://schema.org"},
        "@type": {"const": "Event"},
        "name": _text,
        "description": _text,
        "url": _url,
        "startDate": _moment,
        "endDate": _moment,
        "eventStatus": _one_of("EventScheduled", "EventCancelled"),
        "eventAttendanceMode": _one_of(
            "OfflineEventAttendanceMode", "OnlineEventAttendanceMode", "MixedEventAttendanceMode"
        ),
        "location": {"oneOf": [PLACE, VIRTUAL_LOCATION]},
        "image": {"type": "array", "minItems": 1, "items": _url},
        "offers": {"type": "array", "minItems": 1, "items": OFFER},
        "organizer": {
            "type": "object",
            "required": ["@type", "name", "url"],
            "properties": {"@type": {"const": "Organization"}, "name": _text, "url": _url},
        },
    },
}
