"""Avro schemas of Personalize datasets: parsing, allowed types and the reserved-field rules.

A schema is an Avro record of flat fields. Types: float, double, int, long, string, boolean,
null, and unions of one of them with null. The record's `name` must be the dataset type, the
required fields must be present with their type, reserved categorical fields must be categorical
and reserved plain string fields must not be. Violations are InvalidInputException at
create_schema (type-independent rules) or create_dataset (rules of the dataset type).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .validation import invalid

PRIMITIVES = {"float", "double", "int", "long", "string", "boolean", "null"}
NUMERIC = {"float", "double", "int", "long"}
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# dataset type -> (record name, required {field: type}, reserved optional {field: type})
DATASET_RULES: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "INTERACTIONS": (
        "Interactions",
        {"USER_ID": "string", "ITEM_ID": "string", "TIMESTAMP": "long"},
        {
            "EVENT_TYPE": "string",
            "EVENT_VALUE": "float",
            "IMPRESSION": "string",
            "RECOMMENDATION_ID": "string",
            "EVENT_ATTRIBUTION_SOURCE": "string",
        },
    ),
    "ITEMS": ("Items", {"ITEM_ID": "string"}, {"CREATION_TIMESTAMP": "long"}),
    "USERS": ("Users", {"USER_ID": "string"}, {}),
    "ACTIONS": ("Actions", {"ACTION_ID": "string"}, {}),
    "ACTION_INTERACTIONS": (
        "ActionInteractions",
        {"USER_ID": "string", "ACTION_ID": "string", "TIMESTAMP": "long"},
        {"EVENT_TYPE": "string"},
    ),
}
METADATA_LIMITS = {"INTERACTIONS": 5, "USERS": 25, "ITEMS": 100}


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # the non-null primitive
    nullable: bool
    categorical: bool
    textual: bool

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC


@dataclass(frozen=True)
class Schema:
    record_name: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]


def _field_type(name: str, raw: object) -> tuple[str, bool]:
    if isinstance(raw, str) and raw in PRIMITIVES and raw != "null":
        return raw, False
    if isinstance(raw, list) and len(raw) == 2 and "null" in raw:
        other = [t for t in raw if t != "null"]
        if len(other) == 1 and isinstance(other[0], str) and other[0] in PRIMITIVES:
            return other[0], True
    raise invalid(
        f"Invalid schema: field {name} has type {json.dumps(raw)}. Allowed types are float, "
        "double, int, long, string, boolean, and unions of one of them with null."
    )


def parse(text: str) -> Schema:
    """An Avro record schema as Personalize accepts it (any dataset type)."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise invalid(f"Invalid schema: the schema is not valid JSON ({exc}).") from None
    if not isinstance(doc, dict) or doc.get("type") != "record":
        raise invalid('Invalid schema: the schema must be an Avro record ("type": "record").')
    if not isinstance(doc.get("name"), str) or not doc["name"]:
        raise invalid("Invalid schema: the record has no name.")
    raw_fields = doc.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise invalid("Invalid schema: the record has no fields.")
    fields: list[Field] = []
    squashed: set[str] = set()
    for raw in raw_fields:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise invalid("Invalid schema: every field needs a name and a type.")
        name = raw["name"]
        if not _FIELD_NAME.match(name):
            raise invalid(f"Invalid schema: field name {name} must be alphanumeric or _.")
        key = name.replace("_", "").upper()
        if key in squashed:
            raise invalid(f"Invalid schema: field name {name} clashes with another field.")
        squashed.add(key)
        ftype, nullable = _field_type(name, raw.get("type"))
        categorical, textual = bool(raw.get("categorical")), bool(raw.get("textual"))
        if (categorical or textual) and ftype != "string":
            raise invalid(f"Invalid schema: categorical/textual field {name} must be a string.")
        fields.append(Field(name, ftype, nullable, categorical, textual))
    return Schema(doc["name"], tuple(fields))


def check_for_dataset(schema: Schema, dataset_type: str) -> None:
    """The rules that depend on the dataset type (create_dataset)."""
    record, required, reserved = DATASET_RULES[dataset_type]
    if schema.record_name != record:
        raise invalid(
            f"Invalid schema for dataset type {dataset_type}: the record name is "
            f"{schema.record_name}, it must be {record}."
        )
    missing = [n for n in required if schema.field(n) is None]
    if missing:
        raise invalid(
            f"Invalid schema for dataset type {dataset_type}: missing required field(s) "
            f"{', '.join(missing)}."
        )
    for name, expected in {**required, **reserved}.items():
        field = schema.field(name)
        if field is None:
            continue
        compatible = {expected} | ({"double"} if expected == "float" else set())
        if field.type not in compatible:
            raise invalid(f"Invalid schema: reserved field {name} must be of type {expected}.")
        if name in required and field.nullable:
            raise invalid(f"Invalid schema: required field {name} cannot be null.")
        if field.categorical:
            raise invalid(f"Invalid schema: reserved field {name} cannot be categorical.")
    textual = [f.name for f in schema.fields if f.textual]
    if textual and dataset_type != "ITEMS":
        raise invalid("Invalid schema: textual fields are only allowed in an Items dataset.")
    if len(textual) > 1:
        raise invalid("Invalid schema: an Items schema can have at most 1 textual field.")
    metadata = [f for f in schema.fields if f.name not in required and f.name not in reserved]
    if dataset_type in ("USERS", "ITEMS") and not metadata:
        raise invalid(
            f"Invalid schema for dataset type {dataset_type}: add at least one metadata field "
            "(categorical string or numeric) besides the ID."
        )
    limit = METADATA_LIMITS.get(dataset_type)
    if limit is not None and len(metadata) > limit:
        raise invalid(
            f"Invalid schema: {len(metadata)} metadata fields, at most {limit} are allowed "
            f"for dataset type {dataset_type}."
        )
