"""Fuzz target: ASCII armor (pgpsig.openpgp.armor.decode, decode_all, encode).

Properties: decoding raises only ``PgpsigError``; a block that decodes re-encodes (same label,
headers and data, with and without CRC) and decodes back to itself.
"""

from __future__ import annotations

import contextlib
import sys

from _harness import run

if __name__ == "__main__":
    import atheris

    with atheris.instrument_imports(include=["pgpsig"]):
        from pgpsig.errors import PgpsigError
        from pgpsig.openpgp import armor
else:
    from pgpsig.errors import PgpsigError
    from pgpsig.openpgp import armor

SEEDS = ["**/*.asc", "keys/*.asc"]


def test_one_input(data: bytes) -> None:
    """Decode ``data`` every way; round-trip whatever decodes."""
    blocks = []
    with contextlib.suppress(PgpsigError):
        blocks.append(armor.decode(data))
    with contextlib.suppress(PgpsigError):
        blocks.extend(armor.decode_all(data))
    for block in blocks:
        try:
            again = armor.encode(block.label, block.data, block.headers)
        except PgpsigError:
            continue  # a header value that cannot be written back as one line
        back = armor.decode(again)
        assert (back.label, back.headers, back.data) == (block.label, block.headers, block.data)
        bare = armor.decode(armor.encode(block.label, block.data, crc=False))
        assert bare.data == block.data
    armor.is_armored(data)


if __name__ == "__main__":
    run(test_one_input, SEEDS)
    sys.exit(0)
