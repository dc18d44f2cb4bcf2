"""Fuzz target: the ``module.sig`` manifest (``pgpsig.modules.manifest.parse``, ``render``, ``check_path``).

Properties: parsing raises only ``PgpsigError``; a manifest that parses lists at least one entry,
no path twice, only safe paths (absolute ones only in a SYSTEM file), 64 lower-case hex digits per
entry, at most ``MAX_ENTRIES`` entries; and rendering its entries (module files) gives a text that
parses back to the same entries.
"""

from __future__ import annotations

import re
import sys

from _harness import run

if __name__ == "__main__":
    import atheris

    with atheris.instrument_imports(include=["pgpsig"]):
        from pgpsig.errors import PgpsigError
        from pgpsig.modules import manifest
else:
    from pgpsig.errors import PgpsigError
    from pgpsig.modules import manifest

SEEDS = ["attacks/check/*.module.sig"]


def signed_text(data: bytes) -> bytes:
    """The manifest inside a clear-signed module.sig (the seeds' transform)."""
    from pgpsig.openpgp import clearsign

    return clearsign.decode_all(data)[0].text


HEX64 = re.compile(r"[0-9a-f]{64}")


def test_one_input(data: bytes) -> None:
    """Parse; check the invariants of what parses; render it back."""
    try:
        m = manifest.parse(data)
    except PgpsigError:
        return
    assert m.entries, "a manifest without entries was accepted"
    assert len(m.entries) <= manifest.MAX_ENTRIES
    paths = [e.path for e in m.entries]
    assert len(set(paths)) == len(paths), "duplicate path accepted"
    for e in m.entries:
        manifest.check_path(e.path, allow_absolute=m.kind == "system")
        assert HEX64.fullmatch(e.sha256), e.sha256
        assert ".." not in e.path.split("/") and "\\" not in e.path and "\0" not in e.path
    if m.kind != "module" or any(p.startswith("/") for p in paths):
        return
    try:
        text = manifest.render([(e.path, e.sha256) for e in m.entries], signedwith="FUZZ")
    except PgpsigError:
        return  # a path PHP would read differently as a key (render is stricter than parse)
    back = manifest.parse(text)
    assert sorted((e.path, e.sha256) for e in back.entries) == sorted(
        (e.path, e.sha256) for e in m.entries
    )


if __name__ == "__main__":
    run(test_one_input, SEEDS, name="manifest", transform=signed_text)
    sys.exit(0)
