"""``key list`` says why a certification or a key stopped counting: reason, time and message.

Made with the real commands (key generate, certify, revoke-certification, revoke); the messages
are others' text, so they come quoted and escaped.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_pgpsig
from tests.jsonschemas import assert_valid


def _ok(*args: str | Path) -> str:
    r = run_pgpsig(*args, stdin=b"")
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout.decode()


def test_a_revoked_certification_and_key_say_why(tmp_path: Path) -> None:
    m, d = tmp_path / "m", tmp_path / "d"
    for who, path in (("Master <m@example.org>", m), ("Dev <d@example.org>", d)):
        _ok("key", "generate", "--uid", who, "--out", f"{path}.key", "--cert-out", f"{path}.asc")
    _ok("key", "certify", f"{d}.asc", "--with", f"{m}.key", "--out", f"{d}.asc")
    said = _ok(
        "key", "revoke-certification", f"{d}.asc", "--with", f"{m}.key", "--reason",
        "compromised", "--message", 'stolen "\x1b[31m" laptop', "--out", f"{d}.asc",
    )  # fmt: skip
    assert 'revoked the certification of "Dev <d@example.org>"' in said
    listed = _ok("key", "list", "--keyring", f"{d}.asc", "--keyring", f"{m}.asc")
    lines = listed.splitlines()
    cert = next(i for i, line in enumerate(lines) if line.startswith("cert  by "))
    assert "(revoked, " in lines[cert]
    assert "is revoked (compromised, " in lines[cert + 1]
    assert lines[cert + 1].endswith(r': "stolen \"\x1b[31m\" laptop"'), lines[cert + 1]
    doc = json.loads(_ok("key", "list", "--keyring", f"{d}.asc", "--keyring", f"{m}.asc", "--json"))
    assert_valid(doc, "key-list")
    (dev,) = (k for k in doc["keys"] if k["user_ids"] == ["Dev <d@example.org>"])
    (c,) = dev["certifications"]
    assert c["status"] == "revoked"
    assert "compromised" in c["reason"] and "stolen" in c["reason"]
    master = next(k for k in doc["keys"] if k is not dev)
    assert all(x["reason"] is None for x in master["certifications"])

    _ok("key", "revoke", f"{d}.key", "--reason", "retired", "--message", "moved on", "--out",
        f"{d}.rev")  # fmt: skip
    listed = _ok("key", "list", "--keyring", f"{d}.asc", "--keyring", f"{d}.rev")
    assert '(retired): "moved on"' in listed
