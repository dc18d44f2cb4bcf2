"""Validating ``--json`` documents against the JSON Schemas pgpsig ships (``pgpsig.schemas``).

``assert_valid(doc, "check")`` fails naming every place where ``doc`` departs from the schema of
``check``'s output (its report or the error document). The schemas are read through
:func:`pgpsig.schemas.load`, as an installed pgpsig carries them, and checked against the draft
2020-12 metaschema on first use.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from pgpsig.schemas import load


@cache
def validator(name: str) -> Draft202012Validator:
    """The validator of the schema ``name`` (one of ``pgpsig.schemas.NAMES``)."""
    schema = load(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_errors(doc: Any, name: str) -> list[str]:
    """Where ``doc`` departs from the schema ``name``, one line each (empty: it is valid).

    A failed ``oneOf`` (report or error document) or ``anyOf`` is opened to the failures of its
    branches, deepest in the document first: the wrong property leads.
    """
    leaves: list[ValidationError] = []

    def add(e: ValidationError) -> None:
        if e.context:
            for sub in e.context:
                add(sub)
        else:
            leaves.append(e)

    for e in validator(name).iter_errors(doc):
        add(e)
    leaves.sort(key=lambda e: -len(e.absolute_path))
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(document)'}: {e.message[:300]}"
        f" (schema {'/'.join(map(str, e.absolute_schema_path))})"
        for e in leaves
    ]


def assert_valid(doc: Any, name: str) -> None:
    """Fail unless ``doc`` is valid under the schema ``name``."""
    errors = schema_errors(doc, name)
    assert not errors, f"not a valid {name} document:\n" + "\n".join(errors)
