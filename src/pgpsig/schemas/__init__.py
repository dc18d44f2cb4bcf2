"""JSON Schemas (draft 2020-12) of the documents ``pgpsig ... --json`` prints.

One file a document: ``check.schema.json``, ``verify.schema.json``, ``sign.schema.json`` and
``key-list.schema.json`` each accept what their command prints, its report or the error document
``{"error": {"kind": ..., "message": ...}}``; ``error.schema.json`` is the error document alone.
Each stands alone (it refers to nothing outside itself: the error document and the shared
definitions are copied into each, and the tests hold the copies equal), so any draft 2020-12
validator takes it as it is. This package holds data only; :func:`load` reads a schema.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

__all__ = ["NAMES", "load"]

#: The documents that have a schema, as :func:`load` names them (``<name>.schema.json``).
NAMES = ("check", "verify", "sign", "key-list", "error")


def load(name: str) -> dict[str, Any]:
    """The schema of the document ``name`` (one of :data:`NAMES`), as a fresh dictionary.

    Raises:
        ValueError: ``name`` is not one of :data:`NAMES`.
    """
    if name not in NAMES:
        raise ValueError(f"no schema named {name!r}: use one of {', '.join(NAMES)}")
    text = files(__name__).joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
