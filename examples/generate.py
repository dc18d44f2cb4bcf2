"""Make the bundled example: an example key's certificate and a clear-signed text.

Deterministic (a fixed seed and a fixed clock): running it again rewrites identical files.
The key is an *example*: its secret is derived from a public seed, so it protects nothing.

    python examples/generate.py [OUT_DIR]
"""

from __future__ import annotations

import hashlib
import sys
from datetime import datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ed25519

from pgpsig import armor
from pgpsig.packets import packet_header
from pgpsig.signing import (
    key_hash_input,
    make_signing_key,
    sign_cleartext,
    signature_packet,
    subpacket,
    user_id_hash_input,
)

CREATED = datetime(2025, 1, 1, tzinfo=timezone.utc)
SIGNED = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
UID = b"Example Developer (pgpsig example key, do not trust) <dev@example.org>"
TEXT = b"""Hello from pgpsig.

This text is clear-signed with the example key.
- A line that starts with a dash is dash-escaped in the frame.
Trailing spaces on this line are not signed:\x20\x20\x20
"""


def main(out: Path) -> None:
    """Write the example certificate and clear-signed text into ``out``."""
    seed = hashlib.sha256(b"pgpsig example developer key").digest()
    key = make_signing_key(ed25519.Ed25519PrivateKey.from_private_bytes(seed), created=CREATED)
    selfsig = signature_packet(
        key,
        key_hash_input(key.public_packet_body) + user_id_hash_input(UID),
        sig_type=0x13,
        created=CREATED,
        hash_name="SHA512",
        extra_hashed_subpackets=[subpacket(27, b"\x03", critical=True)],  # certify + sign
    )
    cert = (
        packet_header(6, len(key.public_packet_body))
        + key.public_packet_body
        + packet_header(13, len(UID))
        + UID
        + selfsig
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "example-key.asc").write_bytes(armor.encode("PGP PUBLIC KEY BLOCK", cert))
    (out / "hello.txt.asc").write_bytes(sign_cleartext(TEXT, key, created=SIGNED))
    print(f"example key {key.fingerprint}: wrote {out}/example-key.asc and {out}/hello.txt.asc")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
