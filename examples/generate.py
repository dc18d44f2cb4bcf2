"""Make the bundled example: a master key, a developer key it certifies, a module, a signed text.

Deterministic (fixed seeds and a fixed clock): running it again rewrites identical files.
These keys are *examples*: their secrets derive from public seeds, so they protect nothing.

Files written:

* ``example-master.asc``: the master (trust root) certificate.
* ``example-dev.asc``: the developer's certificate, certified by the master.
* ``example-dev.sec.asc``: the developer's secret key (unprotected; example only).
* ``hello.txt.asc``: a text clear-signed by the developer.
* ``module/``: an example module to sign with ``pgpsig sign`` (its ``module.sig`` is not shipped).

    python examples/generate.py [OUT_DIR]
"""

from __future__ import annotations

import hashlib
import sys
from datetime import datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ed25519

from pgpsig.openpgp import armor
from pgpsig.openpgp.secretkey import secret_key_packet_body
from pgpsig.openpgp.signing import sign_cleartext, signature_packet
from pgpsig.openpgp.signingkey import SigningKey, make_signing_key
from pgpsig.openpgp.write import key_hash_input, packet, subpacket, user_id_hash_input

CREATED = datetime(2025, 1, 1, tzinfo=timezone.utc)
CERTIFIED = datetime(2025, 1, 2, tzinfo=timezone.utc)
SIGNED = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
MASTER_UID = b"Example Master (pgpsig example key, do not trust) <master@example.org>"
DEV_UID = b"Example Developer (pgpsig example key, do not trust) <dev@example.org>"
TEXT = b"""Hello from pgpsig.

This text is clear-signed with the example developer key.
- A line that starts with a dash is dash-escaped in the frame.
Trailing spaces on this line are not signed:\x20\x20\x20
"""
MODULE = {
    "module.xml": b"<module>\n  <rawname>example</rawname>\n  <version>1.0.0</version>\n</module>\n",
    "Example.class.php": b"<?php\nclass Example {}\n",
    "assets/js/example.js": b"console.log('example');\n",
    "i18n/example.pot": b'msgid ""\nmsgstr ""\n',
    ".htaccess": b"Deny from all\n",
}


def _key(label: bytes) -> SigningKey:
    seed = hashlib.sha256(b"pgpsig example key: " + label).digest()
    return make_signing_key(ed25519.Ed25519PrivateKey.from_private_bytes(seed), created=CREATED)


def _self_signed(key: SigningKey, uid: bytes, flags: bytes, *, secret: bool = False) -> bytes:
    selfsig = signature_packet(
        key,
        key_hash_input(key.public_packet_body) + user_id_hash_input(uid),
        sig_type=0x13,
        created=CREATED,
        hash_name="SHA512",
        extra_hashed_subpackets=[subpacket(27, flags, critical=True)],
    )
    first = packet(5, secret_key_packet_body(key)) if secret else packet(6, key.public_packet_body)
    return first + packet(13, uid) + selfsig


def main(out: Path) -> None:
    """Write the example files into ``out``."""
    master, dev = _key(b"master"), _key(b"developer")
    certification = signature_packet(
        master,
        key_hash_input(dev.public_packet_body) + user_id_hash_input(DEV_UID),
        sig_type=0x10,
        created=CERTIFIED,
        hash_name="SHA512",
    )
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "example-master.asc": armor.encode(
            "PGP PUBLIC KEY BLOCK", _self_signed(master, MASTER_UID, b"\x01")
        ),
        "example-dev.asc": armor.encode(
            "PGP PUBLIC KEY BLOCK", _self_signed(dev, DEV_UID, b"\x03") + certification
        ),
        "example-dev.sec.asc": armor.encode(
            "PGP PRIVATE KEY BLOCK", _self_signed(dev, DEV_UID, b"\x03", secret=True)
        ),
        "hello.txt.asc": sign_cleartext(TEXT, dev, created=SIGNED),
    }
    for name, data in files.items():
        (out / name).write_bytes(data)
    for rel, data in MODULE.items():
        p = out / "module" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    print(f"master {master.fingerprint}, developer {dev.fingerprint}: wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
