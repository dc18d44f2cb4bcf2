"""Revocations wherever certificates are read (issue #12): keyring files and directories.

A revocation kept on its own (``pgpsig key revoke``, ``gpg --gen-revoke``, gpg's
``openpgp-revocs.d``) is read in every form, joins the certificate it verifies over whatever the
order of the files, waits (reported) when that certificate is absent, and is reported and ignored
when it does not verify. Keys are pgpsig's own, from fixed seeds and fixed times; the last test
checks the same with a key and a revocation made by gpg (an oracle).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from conftest import run_pgpsig
from pgpsig import armor, signing
from pgpsig.keyring import Keyring, cert_to_bytes, load_keyring, read_certs
from pgpsig.keys import (
    certify,
    generate_key,
    list_keys,
    revoke_certification,
    revoke_key,
)
from pgpsig.packets import Cert, iter_packets, packet_header, parse_signature
from pgpsig.policy import Policy

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
LATER = T0 + timedelta(days=10)
POLICY = Policy()


# --------------------------------------------------------------------------------------------------
# keys and signatures


def seeded(label: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(b"pgpsig revocation files test: " + label.encode()).digest()
    )


@cache
def gen(label: str, subkey: bool = False) -> Any:
    return generate_key(
        f"{label} <{label}@example.org>",
        now=T0,
        private_keys=[seeded(label), seeded(label + "/sub")],
        signing_subkey=subkey,
    )


def one(data: bytes) -> Cert:
    certs = read_certs(data)
    assert len(certs) == 1
    return certs[0]


def signing_keys(label: str, subkey: bool = False) -> tuple[signing.SigningKey, ...]:
    return signing.load_signing_keys(gen(label, subkey).secret_key)


def binary(armored: bytes) -> bytes:
    return bytes(armor.decode(armored).data)


@cache
def key_revocation(label: str) -> bytes:
    """The armored revocation certificate ``pgpsig key revoke`` writes (compromised: hard)."""
    rev: bytes = revoke_key(
        gen(label).secret_key,
        passphrase=None,
        reason="compromised",
        message="laptop stolen",
        now=T0 + timedelta(days=1),
    ).revocation
    return rev


def raw_signature(
    key: signing.SigningKey,
    data: bytes,
    sig_type: int,
    *,
    extra: bytes = b"",
    fingerprint: bool = True,
) -> bytes:
    """A v4 signature packet; ``fingerprint=False`` names the issuer by key ID only (as old gpg)."""
    hashed = signing.subpacket(2, struct.pack(">I", int((T0 + timedelta(days=1)).timestamp())))
    if fingerprint:
        hashed += signing.subpacket(33, b"\x04" + bytes.fromhex(key.fingerprint))
    hashed += extra
    head = bytes([4, sig_type, key.algorithm, 10]) + struct.pack(">H", len(hashed)) + hashed
    digest = signing._signature_digest("SHA512", data, head)
    material = signing._sign_digest(key, digest, "SHA512")
    unhashed = signing.subpacket(16, bytes.fromhex(key.key_id))
    body = head + struct.pack(">H", len(unhashed)) + unhashed + digest[:2] + material
    return packet_header(2, len(body)) + body


def rev_block(*packets: bytes) -> bytes:
    return armor.encode("PGP PUBLIC KEY BLOCK", b"".join(packets))


def validity(ring: Keyring, fpr: str, at: datetime = LATER) -> dict[str, Any]:
    for k in list_keys(ring, now=at, policy=POLICY):
        if k.fingerprint == fpr:
            d: dict[str, Any] = k.to_dict()
            return d
    raise AssertionError(f"{fpr} not listed")


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------------------------------
# reading: every form


def _gpg_layout(rev: bytes) -> bytes:
    """What ``gpg --gen-revoke`` prints around the armor, with its Comment lines."""
    block = armor.encode(
        "PGP PUBLIC KEY BLOCK",
        binary(rev),
        [("Comment", "This is a revocation certificate"), ("Comment", "Use with care")],
    )
    return (
        b"Revocation certificate created.\n\n"
        b"Please move it to a medium which you can hide away; if Mallory gets\n"
        b"access to this certificate he can use it to make your key unusable.\n\n" + block
    )


def _revocs_d(rev: bytes) -> bytes:
    """The colon-escaped copy gpg keeps in ``openpgp-revocs.d/<FPR>.rev``."""
    return (
        b"This is a revocation certificate for the OpenPGP key:\n\n"
        b"To avoid an accidental use of this file, a colon has been inserted\n"
        b"before the 5 dashes below.  Remove this colon with a text editor\n"
        b"before importing and publishing this revocation certificate.\n\n:"
        + armor.encode(
            "PGP PUBLIC KEY BLOCK", binary(rev), [("Comment", "This is a revocation certificate")]
        )
    )


FORMS: dict[str, Callable[[bytes], bytes]] = {
    "armored-public-key-block": lambda rev: rev,
    "armored-signature-block": lambda rev: armor.encode("PGP SIGNATURE", binary(rev)),
    "binary": binary,
    "gpg-layout": _gpg_layout,
    "gpg-layout-crlf": lambda rev: _gpg_layout(rev).replace(b"\n", b"\r\n"),
    "openpgp-revocs.d-colon-escaped": _revocs_d,
}


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("order", ["revocation-first", "key-first"])
def test_every_form_of_revocation_file_revokes_the_key(
    tmp_path: Path, form: str, order: str
) -> None:
    key = gen("forms")
    rev = write(tmp_path / "key.rev", FORMS[form](key_revocation("forms")))
    cert = write(tmp_path / "key.asc", key.certificate)
    ring = load_keyring([rev, cert] if order == "revocation-first" else [cert, rev])
    assert not ring.pending
    assert ring.warnings == []
    assert [s.sig_type for s in ring.certs[key.fingerprint].direct] == [0x20]
    d = validity(ring, key.fingerprint)
    assert d["validity"] == "revoked"
    assert d["revocation"]["message"] == "laptop stolen"


@pytest.mark.parametrize(
    "layout", ["armored-key-then-revocation-block", "binary-revocation-then-key"]
)
def test_one_file_with_certificates_and_loose_revocations(tmp_path: Path, layout: str) -> None:
    key, other = gen("together"), gen("bystander")
    rev = key_revocation("together")
    if layout == "armored-key-then-revocation-block":
        data = key.certificate + other.certificate + rev
    else:
        data = binary(rev) + binary(key.certificate)
    ring = load_keyring([write(tmp_path / "both.asc", data)])
    assert validity(ring, key.fingerprint)["validity"] == "revoked"
    assert not ring.pending and not ring.warnings


def test_text_that_holds_no_armor_or_only_other_signatures_is_still_refused(tmp_path: Path) -> None:
    from pgpsig.errors import FormatError

    text = write(tmp_path / "notes.asc", b"just some notes, no key here\n")
    with pytest.raises(FormatError):
        load_keyring([text])
    data_sig = signing.sign_detached(b"data", signing_keys("plain")[0], created=T0)
    only_data_sig = write(tmp_path / "sig.asc", armor.encode("PGP SIGNATURE", data_sig))
    with pytest.raises(FormatError, match="no certificate or revocation"):
        load_keyring([only_data_sig])
    d = tmp_path / "d"
    d.mkdir()
    shutil.copy(only_data_sig, d / "sig.asc")
    shutil.copy(text, d / "notes.asc")
    write(d / "plain.asc", gen("plain").certificate)
    ring = load_keyring([d])
    assert list(ring.certs) == [gen("plain").fingerprint]
    assert len(ring.problems) == 2


# --------------------------------------------------------------------------------------------------
# pending, retried, reported; not verifying: reported and ignored


def test_pending_revocation_is_reported_then_applied_when_its_key_arrives(tmp_path: Path) -> None:
    key = gen("latecomer")
    ring = load_keyring([write(tmp_path / "late.rev", key_revocation("latecomer"))])
    assert [p.signature.sig_type for p in ring.pending] == [0x20]
    assert ring.pending[0].source.endswith("late.rev")
    assert len(ring.warnings) == 1
    assert "pending" in ring.warnings[0] and key.fingerprint in ring.warnings[0]
    assert not ring.problems  # a pending revocation is not a skipped file
    ring.add_all(read_certs(key.certificate))
    assert not ring.pending and not ring.warnings
    assert validity(ring, key.fingerprint)["validity"] == "revoked"
    # Added again (another copy of the certificate): no duplicate.
    ring.add(one(key.certificate))
    assert [s.sig_type for s in ring.certs[key.fingerprint].direct] == [0x20]


def test_revocation_that_does_not_verify_is_reported_and_ignored(tmp_path: Path) -> None:
    key = gen("victim")
    body = bytearray(binary(key_revocation("victim"))[2:])
    body[-1] ^= 0x01  # the signature no longer matches
    assert parse_signature(bytes(body)).sig_type == 0x20
    forged = write(tmp_path / "forged.rev", packet_header(2, len(body)) + bytes(body))
    ring = load_keyring([forged, write(tmp_path / "victim.asc", key.certificate)])
    assert not ring.pending
    assert len(ring.warnings) == 1
    assert "ignored" in ring.warnings[0] and "does not verify" in ring.warnings[0]
    assert ring.certs[key.fingerprint].direct == []
    assert validity(ring, key.fingerprint)["validity"] == "valid"
    # Another key's revocation, made over that other key, does not revoke this one either.
    stranger = gen("stranger")
    ring = load_keyring(
        [
            write(tmp_path / "stranger.rev", key_revocation("stranger")),
            write(tmp_path / "stranger.asc", stranger.certificate),
            write(tmp_path / "victim.asc", key.certificate),
        ]
    )
    assert validity(ring, key.fingerprint)["validity"] == "valid"
    assert validity(ring, stranger.fingerprint)["validity"] == "revoked"


def test_cli_warns_about_pending_revocations_and_keeps_verifying_order_free(
    tmp_path: Path,
) -> None:
    key = gen("cli")
    rev = write(tmp_path / "cli.rev", key_revocation("cli"))
    cert = write(tmp_path / "cli.asc", key.certificate)
    r = run_pgpsig("key", "list", "--keyring", rev, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["keys"] == []
    assert b"warning:" in r.stderr and b"pending" in r.stderr and b"skipped" not in r.stderr
    for paths in ([rev, cert], [cert, rev]):
        args = [a for p in paths for a in ("--keyring", p)]
        r = run_pgpsig("key", "list", *args, "--json")
        assert r.returncode == 0, r.stderr
        assert [k["validity"] for k in json.loads(r.stdout)["keys"]] == ["revoked"]
        assert r.stderr == b""


# --------------------------------------------------------------------------------------------------
# subkey, certification and designated-revoker revocations


def test_loose_subkey_revocation_joins_its_subkey(tmp_path: Path) -> None:
    key = gen("subby", subkey=True)
    primary, sub = signing_keys("subby", subkey=True)
    data = signing.key_hash_input(primary.public_packet_body) + signing.key_hash_input(
        sub.public_packet_body
    )
    rev = signing.signature_packet(
        primary,
        data,
        sig_type=0x28,
        created=T0 + timedelta(days=1),
        extra_hashed_subpackets=[signing.subpacket(29, b"\x02")],
    )
    ring = load_keyring(
        [write(tmp_path / "sub.rev", rev_block(rev)), write(tmp_path / "k.asc", key.certificate)]
    )
    assert not ring.pending and not ring.warnings
    cert = ring.certs[key.fingerprint]
    assert [s.sig_type for s in cert.subkeys[0].signatures] == [0x18, 0x28]
    assert cert.direct == []
    d = validity(ring, key.fingerprint)
    assert d["validity"] == "valid"
    assert [s["validity"] for s in d["subkeys"]] == ["revoked"]


@pytest.mark.parametrize("order", ["revocation-first", "revocation-last"])
def test_loose_certification_revocations_by_owner_and_third_party(
    tmp_path: Path, order: str
) -> None:
    master, dev = gen("master"), gen("developer")
    certified = certify(
        dev.certificate, master.secret_key, passphrase=None, now=T0, policy=POLICY
    ).certificate
    revoked = revoke_certification(
        certified, master.secret_key, passphrase=None, now=T0 + timedelta(days=1)
    ).certificate
    third = next(s for s in one(revoked).uids[0].signatures if s.sig_type == 0x30)
    owner = signing_keys("developer")[0]
    uid = dev.user_id.encode()
    own = raw_signature(
        owner,
        signing.key_hash_input(owner.public_packet_body) + signing.user_id_hash_input(uid),
        0x30,
        extra=signing.subpacket(29, b"\x20"),
    )
    revs = write(tmp_path / "uid.rev", rev_block(packet_header(2, len(third.raw)) + third.raw, own))
    certs = [
        write(tmp_path / "dev.asc", certified),
        write(tmp_path / "master.asc", master.certificate),
    ]
    before = load_keyring(certs)
    assert validity(before, dev.fingerprint)["certified_by"] == [master.fingerprint]
    ring = load_keyring([revs, *certs] if order == "revocation-first" else [*certs, revs])
    assert not ring.pending and not ring.warnings
    sigs = ring.certs[dev.fingerprint].uids[0].signatures
    assert sorted(s.sig_type for s in sigs) == [0x10, 0x13, 0x30, 0x30]
    d = validity(ring, dev.fingerprint)
    assert d["certified_by"] == []
    assert d["revoked_user_ids"] == [dev.user_id]


def _with_designated_revoker(target: str, revoker: str) -> bytes:
    """``target``'s certificate with a direct-key self-signature naming ``revoker`` (subpacket 12)."""
    t = signing_keys(target)[0]
    r = signing_keys(revoker)[0]
    designation = signing.subpacket(12, bytes([0x80, r.algorithm]) + bytes.fromhex(r.fingerprint))
    direct = signing.signature_packet(
        t,
        signing.key_hash_input(t.public_packet_body),
        sig_type=0x1F,
        created=T0,
        extra_hashed_subpackets=[designation],
    )
    cert = one(gen(target).certificate)
    cert.direct.append(parse_signature(next(iter_packets(direct)).body))
    return armor.encode("PGP PUBLIC KEY BLOCK", cert_to_bytes(cert))


@pytest.mark.parametrize("issuer", ["fingerprint", "key-id-only"])
def test_designated_revokers_revocation_joins_the_key_it_revokes(
    tmp_path: Path, issuer: str
) -> None:
    target = _with_designated_revoker("protected", "guardian")
    t, r = signing_keys("protected")[0], signing_keys("guardian")[0]
    sig = raw_signature(
        r,
        signing.key_hash_input(t.public_packet_body),
        0x20,
        extra=signing.subpacket(29, b"\x02"),
        fingerprint=issuer == "fingerprint",
    )
    rev = write(tmp_path / "by-guardian.rev", rev_block(sig))
    tfile = write(tmp_path / "protected.asc", target)
    rfile = write(tmp_path / "guardian.asc", gen("guardian").certificate)
    for paths in ([rev, tfile, rfile], [rfile, rev, tfile], [tfile, rfile, rev]):
        ring = load_keyring(paths)
        assert not ring.pending and not ring.warnings, ring.warnings
        assert [s.sig_type for s in ring.certs[t.fingerprint].direct] == [0x1F, 0x20]
        assert ring.certs[r.fingerprint].direct == []
        if issuer == "fingerprint":
            assert validity(ring, t.fingerprint)["validity"] == "revoked"
            assert validity(ring, r.fingerprint)["validity"] == "valid"
    # Without the revoker's certificate it cannot be checked: pending.
    ring = load_keyring([rev, tfile])
    assert len(ring.pending) == 1
    # With the revoker but not the target: the revoker's own key is not revoked (reported), and
    # the target joining later still gets it.
    ring = load_keyring([rev, rfile])
    assert validity(ring, r.fingerprint)["validity"] == "valid"
    assert any("ignored" in w for w in ring.warnings)
    ring.add_all(read_certs(target))
    assert not ring.warnings
    assert [s.sig_type for s in ring.certs[t.fingerprint].direct] == [0x1F, 0x20]
    # Not designated: the same kind of revocation by another key does not join.
    other = signing_keys("intruder")[0]
    forged = signing.signature_packet(
        other, signing.key_hash_input(t.public_packet_body), sig_type=0x20, created=LATER
    )
    ring = load_keyring(
        [
            write(tmp_path / "intruder.rev", rev_block(forged)),
            write(tmp_path / "intruder.asc", gen("intruder").certificate),
            tfile,
        ]
    )
    assert [s.sig_type for s in ring.certs[t.fingerprint].direct] == [0x1F]
    assert any("ignored" in w for w in ring.warnings)


# --------------------------------------------------------------------------------------------------
# directories and the CLI


def test_keyring_directory_with_key_and_rev_file_revokes(tmp_path: Path) -> None:
    key = gen("dirkey")
    d = tmp_path / "keys"
    d.mkdir()
    write(d / "dirkey.asc", key.certificate)
    data = tmp_path / "data.txt"
    data.write_bytes(b"signed before the key was revoked\n")
    sig = signing.sign_detached(data.read_bytes(), signing_keys("dirkey")[0], created=T0)
    sigfile = write(tmp_path / "data.txt.sig", sig)
    at = ("--at", "2025-01-20T00:00:00Z")
    r = run_pgpsig("verify", data, "--signature", sigfile, "--keyring", d, *at, "--json")
    assert r.returncode == 0, r.stderr
    write(d / "dirkey.rev", _revocs_d(key_revocation("dirkey")))
    r = run_pgpsig("verify", data, "--signature", sigfile, "--keyring", d, *at, "--json")
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout)["signatures"][0]["status"] == "revoked"
    assert r.stderr == b""
    r = run_pgpsig("key", "list", "--keyring", d, *at, "--json")
    assert [k["validity"] for k in json.loads(r.stdout)["keys"]] == ["revoked"]


# --------------------------------------------------------------------------------------------------
# oracle: a gpg key, its gpg revocation certificate, next to it in a keyring directory


def _gpg(home: Path, *args: str | Path, stdin: bytes | None = None, batch: bool = True) -> bytes:
    env = {**os.environ, "GNUPGHOME": str(home), "TZ": "UTC", "LC_ALL": "C"}
    r = subprocess.run(
        [
            shutil.which("gpg") or "gpg",
            "--batch" if batch else "--no-tty",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            *map(str, args),
        ],
        input=stdin,
        capture_output=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert r.returncode == 0, (args, r.stderr.decode(errors="replace"))
    return r.stdout


@pytest.mark.oracle
def test_gpg_revocation_next_to_gpg_key_in_keyring_directory(
    tmp_path: Path, oracle: Callable[[str], str]
) -> None:
    oracle("gpg")
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    made = (datetime.now(timezone.utc) - timedelta(days=3)).strftime("%Y%m%dT%H%M%S!")
    try:
        for uid, usage in (
            ("master <master@example.org>", "cert"),
            ("dev <dev@example.org>", "sign"),
        ):
            _gpg(
                home, "--faked-system-time", made, "--quick-gen-key", uid, "ed25519", usage, "never"
            )
        master, dev = (
            next(
                ln.split(":")[9]
                for ln in _gpg(home, "--with-colons", "--list-keys", who).decode().splitlines()
                if ln.startswith("fpr:")
            )
            for who in ("<master@example.org>", "<dev@example.org>")
        )
        _gpg(home, "--local-user", master, "--quick-sign-key", dev)
        ring = tmp_path / "keyring"
        ring.mkdir()
        write(ring / "master.asc", _gpg(home, "--armor", "--export", master))
        write(ring / "dev.asc", _gpg(home, "--armor", "--export", dev))
        secret = write(tmp_path / "dev.sec.asc", _gpg(home, "--armor", "--export-secret-keys", dev))
        text = write(tmp_path / "t.txt", b"signed by dev\n")
        _gpg(home, "--local-user", dev, "--clearsign", "--output", tmp_path / "t.asc", text)
        mod = tmp_path / "mod"
        (mod / "sub").mkdir(parents=True)
        (mod / "module.xml").write_text("<module><rawname>mod</rawname></module>\n")
        (mod / "sub" / "x.php").write_text("<?php echo 1;\n")
        env = {"PGPSIG_PASSPHRASE": ""}
        r = run_pgpsig("sign", mod, "--key", secret, env=env)
        assert r.returncode == 0, r.stderr

        def check() -> int:
            r = run_pgpsig("check", mod, "--keyring", ring, "--trust-root", master, "--json")
            status: int = json.loads(r.stdout)["modules"][0]["status"]
            return status

        r = run_pgpsig("verify", tmp_path / "t.asc", "--keyring", ring, "--json")
        assert r.returncode == 0, r.stderr
        assert check() == 129
        # gpg's revocation certificate, as a person makes it (1 = key has been compromised).
        answers = b"y\n1\nkey material leaked\n\ny\n"
        rev = tmp_path / "dev.rev"
        _gpg(
            home,
            "--yes",
            "--command-fd",
            "0",
            "--output",
            rev,
            "--gen-revoke",
            dev,
            stdin=answers,
            batch=False,
        )
        assert b"revocation certificate" in rev.read_bytes()
        for source in (rev, home / "openpgp-revocs.d" / f"{dev}.rev"):
            assert source.is_file()
            shutil.copy(source, ring / "dev.rev")
            r = run_pgpsig("verify", tmp_path / "t.asc", "--keyring", ring, "--json")
            assert r.returncode == 1, r.stderr
            assert json.loads(r.stdout)["signatures"][0]["status"] == "revoked"
            assert r.stderr == b""
            r = run_pgpsig("key", "list", "--keyring", ring, "--json")
            keys = {k["fingerprint"]: k for k in json.loads(r.stdout)["keys"]}
            assert keys[dev]["validity"] == "revoked"
            assert keys[master]["validity"] == "valid"
            assert check() == 64
    finally:
        gpgconf = shutil.which("gpgconf")
        if gpgconf is not None:
            subprocess.run(
                [gpgconf, "--kill", "gpg-agent"],
                env={**os.environ, "GNUPGHOME": str(home)},
                capture_output=True,
                check=False,
                timeout=30,
            )
