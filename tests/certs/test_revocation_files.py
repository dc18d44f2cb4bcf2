"""Revocations wherever certificates are read (issue #12): files, directories, the store, imports.

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
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from conftest import run_pgpsig
from pgpsig.certs.keyring import Keyring, cert_to_bytes, load_keyring, read_certs
from pgpsig.certs.store import Store
from pgpsig.errors import KeyringError
from pgpsig.keys import (
    certify,
    generate_key,
    import_keys,
    list_keys,
    revoke_certification,
    revoke_key,
)
from pgpsig.openpgp import armor, secretkey, signing, signingkey
from pgpsig.openpgp import write as writer
from pgpsig.openpgp.ids import HashAlgorithm
from pgpsig.openpgp.packets import Cert, iter_packets, parse_certs, parse_signature
from pgpsig.openpgp.write import packet_header, signature_body
from pgpsig.policy import Policy

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "vectors"))
import generate as g  # noqa: E402 - the vectors' independent OpenPGP writer

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


def signing_keys(label: str, subkey: bool = False) -> tuple[signingkey.SigningKey, ...]:
    return secretkey.load_signing_keys(gen(label, subkey).secret_key)


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
    key: signingkey.SigningKey,
    data: bytes,
    sig_type: int,
    *,
    extra: bytes = b"",
    fingerprint: bool = True,
) -> bytes:
    """A v4 signature packet; ``fingerprint=False`` names the issuer by key ID only (as old gpg)."""
    hashed = writer.subpacket(2, struct.pack(">I", int((T0 + timedelta(days=1)).timestamp())))
    if fingerprint:
        hashed += writer.subpacket(33, b"\x04" + bytes.fromhex(key.fingerprint))
    hashed += extra
    body = signature_body(
        version=4,
        sig_type=sig_type,
        pubkey_algorithm=key.algorithm,
        hash_algorithm=HashAlgorithm.SHA512,
        hashed=hashed,
        unhashed=writer.subpacket(16, bytes.fromhex(key.key_id)),
        data=data,
        sign=lambda digest: signing.sign_digest(key, digest, "SHA512"),
    )
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


def test_loose_signatures_of_one_file_are_bounded(tmp_path: Path) -> None:
    from pgpsig.certs.keyring import read_key_file
    from pgpsig.errors import LimitError
    from pgpsig.openpgp.packets import MAX_SUBPACKETS

    pkt = binary(key_revocation("bounded"))
    assert len(read_key_file(rev_block(*[pkt] * MAX_SUBPACKETS)).signatures) == MAX_SUBPACKETS
    with pytest.raises(LimitError):
        read_key_file(rev_block(*[pkt] * (MAX_SUBPACKETS + 1)))
    d = tmp_path / "d"
    d.mkdir()
    write(d / "bounded.asc", gen("bounded").certificate)
    # Any other key file over the limit is skipped (reported), and the rest loads...
    write(d / "flood.gpg", pkt * (MAX_SUBPACKETS + 1))
    ring = load_keyring([d])
    assert len(ring.problems) == 1 and "flood.gpg" in ring.problems[0]
    # ...but a revocation file is not: skipping it would let a revoked key verify (fail closed).
    (d / "flood.gpg").rename(d / "flood.rev")
    with pytest.raises(KeyringError, match="cannot read revocation file .*flood.rev"):
        load_keyring([d])


# --------------------------------------------------------------------------------------------------
# pending, retried, reported; revoking nothing at hand: pending too, never applied


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


def test_keyrings_added_together_share_their_pending_revocations(tmp_path: Path) -> None:
    """What a trust-root file loaded on its own brings into the keyring: pending ones too."""
    key = gen("joined")
    main = load_keyring([write(tmp_path / "joined.asc", key.certificate)])
    extra = load_keyring([write(tmp_path / "joined.rev", key_revocation("joined"))])
    assert len(extra.pending) == 1
    main.add_keyring(extra)
    assert not main.pending and not main.warnings
    assert validity(main, key.fingerprint)["validity"] == "revoked"


def test_revocation_that_does_not_verify_is_reported_and_revokes_nothing(tmp_path: Path) -> None:
    """Not over its issuer's own key: it stays pending (it may revoke a key that designated that
    issuer and is not here: a revocation does not name what it revokes), and revokes nothing."""
    key = gen("victim")
    body = bytearray(binary(key_revocation("victim"))[2:])
    body[-1] ^= 0x01  # the signature no longer matches
    assert parse_signature(bytes(body)).sig_type == 0x20
    forged = write(tmp_path / "forged.rev", packet_header(2, len(body)) + bytes(body))
    ring = load_keyring([forged, write(tmp_path / "victim.asc", key.certificate)])
    assert len(ring.pending) == 1
    assert len(ring.warnings) == 1
    assert (
        "pending" in ring.warnings[0]
        and f"nothing in the keyring that {key.fingerprint}" in (ring.warnings[0])
    )
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
    data = writer.key_hash_input(primary.public_packet_body) + writer.key_hash_input(
        sub.public_packet_body
    )
    rev = signing.signature_packet(
        primary,
        data,
        sig_type=0x28,
        created=T0 + timedelta(days=1),
        extra_hashed_subpackets=[writer.subpacket(29, b"\x02")],
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
        writer.key_hash_input(owner.public_packet_body) + writer.user_id_hash_input(uid),
        0x30,
        extra=writer.subpacket(29, b"\x20"),
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
    designation = writer.subpacket(12, bytes([0x80, r.algorithm]) + bytes.fromhex(r.fingerprint))
    direct = signing.signature_packet(
        t,
        writer.key_hash_input(t.public_packet_body),
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
        writer.key_hash_input(t.public_packet_body),
        0x20,
        extra=writer.subpacket(29, b"\x02"),
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
    # With the revoker but not the target: the revoker's own key is not revoked, the revocation
    # waits (reported: it may revoke a key that is not here), and the target joining later gets it.
    ring = load_keyring([rev, rfile])
    assert validity(ring, r.fingerprint)["validity"] == "valid"
    assert len(ring.pending) == 1
    assert any("pending" in w and "revokes nothing" in w for w in ring.warnings)
    ring.add_all(read_certs(target))
    assert not ring.warnings
    assert [s.sig_type for s in ring.certs[t.fingerprint].direct] == [0x1F, 0x20]
    # Not designated: the same kind of revocation by another key does not join.
    other = signing_keys("intruder")[0]
    forged = signing.signature_packet(
        other, writer.key_hash_input(t.public_packet_body), sig_type=0x20, created=LATER
    )
    ring = load_keyring(
        [
            write(tmp_path / "intruder.rev", rev_block(forged)),
            write(tmp_path / "intruder.asc", gen("intruder").certificate),
            tfile,
        ]
    )
    assert [s.sig_type for s in ring.certs[t.fingerprint].direct] == [0x1F]
    assert validity(ring, t.fingerprint)["validity"] == "valid"
    assert any("pending" in w and "revokes nothing" in w for w in ring.warnings)


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
# import: the store and --keyring DIR


def test_import_into_keyring_directory_keeps_pending_revocation_until_the_key(
    tmp_path: Path,
) -> None:
    key = gen("dirimport")
    d = tmp_path / "ring"
    rev = write(tmp_path / "dirimport.rev", _revocs_d(key_revocation("dirimport")))
    cert = write(tmp_path / "dirimport.asc", key.certificate)
    env = {"PGPSIG_HOME": str(tmp_path / "home")}
    r = run_pgpsig("key", "import", rev, "--keyring", d, "--json", env=env)
    assert r.returncode == 0, r.stderr
    (item,) = json.loads(r.stdout)["imported"]
    assert item["status"] == "pending"
    assert key.fingerprint in item["details"][0]
    assert sorted(p.name for p in d.iterdir() if not p.name.startswith(".")) == [
        f"{key.fingerprint}.rev"
    ]
    # Read as a keyring directory meanwhile: reported, nothing to revoke yet.
    r = run_pgpsig("key", "list", "--keyring", d, "--json", env=env)
    assert json.loads(r.stdout)["keys"] == [] and b"pending" in r.stderr
    r = run_pgpsig("key", "import", cert, "--keyring", d, "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert [i["status"] for i in json.loads(r.stdout)["imported"]] == ["new", "updated"]
    assert sorted(p.name for p in d.iterdir() if not p.name.startswith(".")) == [
        f"{key.fingerprint}.asc"
    ]
    stored = one((d / f"{key.fingerprint}.asc").read_bytes())
    assert [s.sig_type for s in stored.direct] == [0x20]
    r = run_pgpsig("key", "list", "--keyring", d, "--json", env=env)
    assert [k["validity"] for k in json.loads(r.stdout)["keys"]] == ["revoked"]
    assert r.stderr == b""
    assert not (tmp_path / "home").exists()


def test_import_into_keyring_directory_with_the_key_present(tmp_path: Path) -> None:
    key = gen("present")
    d = tmp_path / "ring"
    cert = write(tmp_path / "present.asc", key.certificate)
    assert run_pgpsig("key", "import", cert, "--keyring", d).returncode == 0
    rev = write(tmp_path / "present.rev", _gpg_layout(key_revocation("present")))
    r = run_pgpsig("key", "import", rev, "--keyring", d, "--json")
    assert r.returncode == 0, r.stderr
    assert [i["status"] for i in json.loads(r.stdout)["imported"]] == ["updated"]
    r = run_pgpsig("key", "list", "--keyring", d, "--json")
    assert [k["validity"] for k in json.loads(r.stdout)["keys"]] == ["revoked"]
    # A revocation that does not verify over anything there is kept pending (it does not name
    # what it revokes: that may come later), reported, and revokes nothing.
    other = gen("absent")
    body = bytearray(binary(key_revocation("absent"))[2:])
    body[-1] ^= 0x01
    bad = write(tmp_path / "bad.rev", rev_block(packet_header(2, len(body)) + bytes(body)))
    r = run_pgpsig(
        "key",
        "import",
        write(tmp_path / "absent.asc", other.certificate),
        bad,
        "--keyring",
        d,
        "--json",
    )
    assert r.returncode == 0, r.stderr
    items = json.loads(r.stdout)["imported"]
    assert [i["status"] for i in items] == ["new", "pending"]
    assert "revokes nothing in the store" in items[1]["details"][0]
    assert [p.name for p in d.glob("*.rev")] == [f"{other.fingerprint}.rev"]
    r = run_pgpsig("key", "list", "--keyring", d, "--json")
    assert sorted(k["validity"] for k in json.loads(r.stdout)["keys"]) == ["revoked", "valid"]
    assert b"pending" in r.stderr
    # One that can never apply (no creation time) is rejected (exit 1) and not stored.
    k = g.ed25519_key("revocation files: no creation time")
    timeless = g.sign(k, 0x20, k.hashed_form, hashed=[g.sp_issuer_fpr(k)])
    r = run_pgpsig(
        "key",
        "import",
        write(tmp_path / "timeless.rev", rev_block(timeless)),
        "--keyring",
        d,
        "--json",
    )
    assert r.returncode == 1
    (item,) = json.loads(r.stdout)["imported"]
    assert item["status"] == "rejected" and "creation time" in item["details"][0]
    assert [p.name for p in d.glob("*.rev")] == [f"{other.fingerprint}.rev"]


def test_store_keeps_pending_revocation_and_loading_the_store_applies_it(tmp_path: Path) -> None:
    key = gen("stored")
    store = Store.at(tmp_path / "home")
    r = import_keys(store, [("stored.rev", key_revocation("stored"))])
    assert [i.status for i in r.items] == ["pending"]
    assert r.ok
    ring = store.load()
    assert len(ring.pending) == 1 and not ring.certs
    # A certificate put into the store by hand (not imported): the store's readers apply it.
    write(store.certs_dir / f"{key.fingerprint}.asc", key.certificate)
    ring = store.load()
    assert not ring.pending and not ring.warnings
    assert validity(ring, key.fingerprint)["validity"] == "revoked"
    env = {"PGPSIG_HOME": str(tmp_path / "home")}
    r = run_pgpsig("key", "list", "--json", env=env)
    assert [k["validity"] for k in json.loads(r.stdout)["keys"]] == ["revoked"]
    # The next import writes it into the certificate's file and removes the .rev file.
    r = import_keys(store, [("again", key.certificate)])
    assert [i.status for i in r.items] == ["unchanged", "updated"]
    assert not store.pending_files()
    assert [s.sig_type for s in one(store.cert_path(key.fingerprint).read_bytes()).direct] == [0x20]
    assert validity(store.load(), key.fingerprint)["validity"] == "revoked"


def test_import_never_rewrites_a_rev_file_a_person_put_there(tmp_path: Path) -> None:
    """A ``.rev`` file holding more than revocations is the person's: read, never rewritten."""
    key, other = gen("owned"), gen("neighbour")
    store = Store.directory(tmp_path)
    theirs = write(tmp_path / f"{key.fingerprint}.rev", other.certificate + key_revocation("owned"))
    before = theirs.read_bytes()
    r = import_keys(store, [("rev", key_revocation("owned"))])
    assert [i.status for i in r.items] == ["pending"]
    ours = tmp_path / f"{key.fingerprint}-1.rev"
    assert ours.is_file() and theirs.read_bytes() == before
    r = import_keys(store, [("key", key.certificate)])
    assert [i.status for i in r.items] == ["new", "updated"]
    assert not ours.exists() and theirs.read_bytes() == before
    ring = store.load()
    assert validity(ring, key.fingerprint)["validity"] == "revoked"
    assert other.fingerprint in ring.certs


def test_store_keeps_a_pending_revocation_that_revokes_nothing_there(tmp_path: Path) -> None:
    """Never deleted because of what is missing; removed only when it can never apply."""
    key = gen("turncoat")
    body = bytearray(binary(key_revocation("turncoat"))[2:])
    body[-1] ^= 0x01
    store = Store.at(tmp_path)
    r = import_keys(store, [("bad", rev_block(packet_header(2, len(body)) + bytes(body)))])
    assert [i.status for i in r.items] == ["pending"]
    r = import_keys(store, [("key", key.certificate)])
    assert [i.status for i in r.items] == ["new"]
    assert [p.name for p in store.pending_files()] == [f"{key.fingerprint}.rev"]
    ring = store.load()
    assert len(ring.pending) == 1 and "revokes nothing in the keyring" in ring.warnings[0]
    assert validity(ring, key.fingerprint)["validity"] == "valid"
    # A stored signature that can never apply (no creation time) is removed by the next import.
    k = g.ed25519_key("revocation files: stored without creation time")
    timeless = parse_signature(g.sign(k, 0x20, k.hashed_form, hashed=[g.sp_issuer_fpr(k)])[2:])
    with store.locked():
        store.write_pending(store.certs_dir / "timeless.rev", [timeless])
    r = import_keys(store, [("key", key.certificate)])
    assert [i.status for i in r.items] == ["unchanged", "rejected"]
    assert "creation time" in r.items[1].details[0]
    assert "removed from the store" in r.items[1].details[0]
    assert [p.name for p in store.pending_files()] == [f"{key.fingerprint}.rev"]


def test_import_keeps_subkey_and_certification_revocations_found_elsewhere(tmp_path: Path) -> None:
    """A 0x28 under the user ID or on the primary key, a 0x30 under the subkey: moved, not lost."""
    key = gen("scattered", subkey=True)
    primary, sub = signing_keys("scattered", subkey=True)
    subkey_data = writer.key_hash_input(primary.public_packet_body) + writer.key_hash_input(
        sub.public_packet_body
    )
    uid_data = writer.key_hash_input(primary.public_packet_body) + writer.user_id_hash_input(
        key.user_id.encode()
    )
    r28 = parse_signature(
        signing.signature_packet(primary, subkey_data, sig_type=0x28, created=LATER)[2:]
    )
    r30 = parse_signature(
        signing.signature_packet(primary, uid_data, sig_type=0x30, created=LATER)[2:]
    )
    for where in ("uid", "direct", "subkey"):
        cert = one(key.certificate)
        if where == "subkey":  # the user ID's revocation under the subkey
            cert.subkeys[0].signatures.append(r30)
        else:
            (cert.uids[0].signatures if where == "uid" else cert.direct).append(r28)
        store = Store.at(tmp_path / where)
        r = import_keys(store, [("scattered", cert_to_bytes(cert))])
        # A revocation the reader took out of the wrong place joins as an update.
        assert [i.status for i in r.items] in (["new"], ["new", "updated"]), r.items
        stored = store.load().certs[key.fingerprint]
        assert stored.direct == []
        d = validity(store.load(), key.fingerprint)
        if where == "subkey":
            assert [s.sig_type for s in stored.subkeys[0].signatures] == [0x18]
            assert [s.sig_type for s in stored.uids[0].signatures] == [0x13, 0x30]
            assert d["revoked_user_ids"] == [key.user_id]
        else:
            ring = Keyring()
            ring.add(cert)  # what verify --keyring FILE sees: revoked already
            assert [s["validity"] for s in validity(ring, key.fingerprint)["subkeys"]] == [
                "revoked"
            ]
            assert [s.sig_type for s in stored.subkeys[0].signatures] == [0x18, 0x28]
            assert [s.sig_type for s in stored.uids[0].signatures] == [0x13]
            assert [s["validity"] for s in d["subkeys"]] == ["revoked"]


# --------------------------------------------------------------------------------------------------
# review of #12: pending revocations survive every import order; misplaced, appended, BOM-prefixed
# revocations are not lost; what a revocation is tried against is bounded. Inputs come from the
# vectors' independent writer (vectors/generate.py).


def fp(key: Any) -> str:
    return str(key.fingerprint.hex().upper())


def asc(data: bytes) -> bytes:
    return g.armor("PUBLIC KEY BLOCK", data).encode()


def import_in_order(store: Store, files: list[tuple[str, bytes]]) -> list[list[str]]:
    """Import each file on its own (one ``key import`` each); the statuses of each."""
    return [[i.status for i in import_keys(store, [f]).items] for f in files]


def _designated() -> tuple[Any, Any, dict[str, bytes]]:
    v, r = g.ed25519_key("i12 review: victim"), g.ed25519_key("i12 review: revoker")
    files = {
        "v.asc": asc(
            g.certificate(
                v,
                g.direct_key(v, created=g.T0, hashed=[g.sp_revocation_key(r)]),
                g.user_id(v, "V <v@example.org>"),
            )
        ),
        "r.asc": asc(g.certificate(r, g.user_id(r, "R <r@example.org>"))),
        "rev.asc": asc(g.key_revocation(v, created=g.T1, reason=(2, "stolen"), signer=r)),
    }
    return v, r, files


@pytest.mark.parametrize(
    "order",
    [("rev.asc", "r.asc", "v.asc"), ("r.asc", "rev.asc", "v.asc"), ("rev.asc", "v.asc", "r.asc")],
)
def test_store_keeps_a_designated_revokers_revocation_until_the_revoked_key_arrives(
    tmp_path: Path, order: tuple[str, ...]
) -> None:
    """The revoker's certificate arriving first proves nothing: the revocation does not name V."""
    v, r, files = _designated()
    everything = load_keyring([write(tmp_path / name, data) for name, data in files.items()])
    assert validity(everything, fp(v))["validity"] == "revoked"
    store = Store.at(tmp_path / "home")
    for n, name in enumerate(order):
        statuses = [i.status for i in import_keys(store, [(name, files[name])]).items]
        assert "rejected" not in statuses
        if n == 1 and order[:2] == ("rev.asc", "r.asc"):
            assert statuses == ["new"]  # R is here, V is not: the revocation is still kept
            assert [p.name for p in store.pending_files()] == [f"{fp(r)}.rev"]
        if n == 1 and order[:2] == ("r.asc", "rev.asc"):
            assert statuses == ["pending"]
    assert not store.pending_files()
    ring = store.load()
    assert validity(ring, fp(v))["validity"] == "revoked"
    assert validity(ring, fp(r))["validity"] == "valid"
    assert [s.sig_type for s in one(store.cert_path(fp(v)).read_bytes()).direct] == [0x1F, 0x20]


def test_a_designated_revokers_revocation_inside_the_revoked_certificate_stays_there(
    tmp_path: Path,
) -> None:
    """Where the store writes it; kept there (and also offered as loose: the revoker may have
    revoked another certificate that designates it), so rewriting the file keeps it even when the
    revoker's certificate has left the store, which is then reported as what it waits for."""
    v, r, files = _designated()
    store = Store.at(tmp_path / "home")
    for name in ("rev.asc", "r.asc", "v.asc"):
        import_keys(store, [(name, files[name])])
    assert [s.sig_type for s in one(store.cert_path(fp(v)).read_bytes()).direct] == [0x1F, 0x20]
    store.cert_path(fp(r)).unlink()  # a person removes the revoker's certificate
    ring = store.load()
    assert [p.signature.sig_type for p in ring.pending] == [0x20]  # waits for the revoker
    more = g.certificate(v, g.user_id(v, "V <v@example.org>"), g.user_id(v, "V2 <v2@example.org>"))
    assert [i.status for i in import_keys(store, [("v2", more)]).items] == ["updated"]
    import_keys(store, [("r.asc", files["r.asc"])])
    assert validity(store.load(), fp(v))["validity"] == "revoked"


def test_store_keeps_a_roots_certification_revocation_imported_before_root_and_developer(
    tmp_path: Path,
) -> None:
    root, dev = g.ed25519_key("i12 review: root"), g.ed25519_key("i12 review: developer")
    uid = "Dev <dev@example.org>"
    files = [
        ("rev30.asc", asc(g.certification(root, dev, uid, sig_type=0x30, created=g.T1))),
        ("root.asc", asc(g.certificate(root, g.user_id(root, "Root <root@example.org>")))),
        (
            "dev.asc",
            asc(
                g.certificate(
                    dev,
                    g.user_id(dev, uid),
                    g.certification(root, dev, uid, sig_type=0x10, created=g.T0),
                )
            ),
        ),
    ]
    everything = load_keyring([write(tmp_path / name, data) for name, data in files])
    assert validity(everything, fp(dev))["certified_by"] == []
    without = load_keyring([tmp_path / "root.asc", tmp_path / "dev.asc"])
    assert validity(without, fp(dev))["certified_by"] == [fp(root)]  # the test can fail
    store = Store.at(tmp_path / "home")
    assert import_in_order(store, files) == [["pending"], ["new"], ["new", "updated"]]
    assert not store.pending_files()
    assert validity(store.load(), fp(dev))["certified_by"] == []


def test_a_subkey_copy_of_the_issuers_key_does_not_delete_its_pending_revocation(
    tmp_path: Path,
) -> None:
    """Only primary keys make revocations: Mallory carrying V's key as a subkey is not V."""
    v, m = g.ed25519_key("i12 review: victim"), g.ed25519_key("i12 review: mallory")
    files = [
        ("ownrev.asc", asc(g.key_revocation(v, created=g.T1, reason=(2, "stolen")))),
        (
            "m.asc",
            asc(
                g.certificate(
                    m,
                    g.user_id(m, "M <m@example.org>"),
                    g.subkey(m, v, flags=g.FLAG_ENCRYPT_COMMS, backsig=False),
                )
            ),
        ),
        ("v.asc", asc(g.certificate(v, g.user_id(v, "V <v@example.org>")))),
    ]
    # A keyring holding the revocation and Mallory: still pending, not "ignored".
    ring = load_keyring([write(tmp_path / name, data) for name, data in files[:2]])
    assert len(ring.pending) == 1 and "pending" in ring.warnings[0]
    assert fp(m) in ring.warnings[0] and "subkey" in ring.warnings[0]
    store = Store.at(tmp_path / "home")
    assert import_in_order(store, files) == [["pending"], ["new"], ["new", "updated"]]
    assert validity(store.load(), fp(v))["validity"] == "revoked"
    assert validity(store.load(), fp(m))["validity"] == "valid"


@pytest.mark.parametrize("where", ["direct", "subkey", "unbound-user-id", "unparseable-subkey"])
def test_import_keeps_a_misplaced_root_certification_revocation_whose_root_is_absent(
    tmp_path: Path, where: str
) -> None:
    """Read from the file, the root's 0x30 revokes wherever it sits: it must after import too."""
    root, dev = g.ed25519_key("i12 review: root"), g.ed25519_key("i12 review: developer")
    sub = g.ed25519_key("i12 review: developer's subkey")
    uid = "Dev <dev@example.org>"
    rev30 = g.certification(root, dev, uid, sig_type=0x30, created=g.T1)
    certified = g.user_id(dev, uid) + g.certification(root, dev, uid, sig_type=0x10, created=g.T0)
    stray = g.old_packet(g.TAG_USER_ID, b"Stray <stray@example.org>")  # no self-signature
    opaque = g.opaque_subkey(5, 27, b"\x11" * 32)  # a subkey packet pgpsig cannot parse
    parts = {
        "direct": [rev30, certified],
        "subkey": [certified, g.subkey(dev, sub), rev30],
        "unbound-user-id": [certified, stray, rev30],
        "unparseable-subkey": [certified, opaque, rev30],
    }[where]
    dev_file = write(tmp_path / "dev.gpg", g.certificate(dev, *parts))
    root_file = write(tmp_path / "root.gpg", g.certificate(root, g.user_id(root, "Root <r@x>")))
    assert validity(load_keyring([dev_file, root_file]), fp(dev))["certified_by"] == []
    store = Store.at(tmp_path / "home")
    r = import_keys(store, [("dev", dev_file.read_bytes())])
    # Not under a user ID the root certified, it is taken out of the certificate and waits in the
    # store as a pending revocation (or stays on the primary key): never dropped.
    assert [i.status for i in r.items][0] == "new"
    assert {i.status for i in r.items[1:]} <= {"pending"}
    assert validity(load_keyring([store.certs_dir, root_file]), fp(dev))["certified_by"] == []
    # With the root in the store, the next import places it under the user ID it revokes.
    import_keys(store, [("root", root_file.read_bytes())])
    r = import_keys(store, [("dev", dev_file.read_bytes())])
    stored = one(store.cert_path(fp(dev)).read_bytes())
    assert stored.direct == []
    assert [s.sig_type for s in stored.uids[0].signatures] == [0x13, 0x10, 0x30]
    assert validity(store.load(), fp(dev))["certified_by"] == []


def test_import_still_drops_a_misplaced_certification_revocation_its_known_issuer_did_not_make(
    tmp_path: Path,
) -> None:
    root, dev = g.ed25519_key("i12 review: root"), g.ed25519_key("i12 review: developer")
    uid = "Dev <dev@example.org>"
    forged = g.standard_sign(
        root, 0x30, dev.hashed_form + g.uid_hashed_form(uid), created=g.T1, corrupt=True
    )
    store = Store.at(tmp_path)
    import_keys(store, [("root", g.certificate(root, g.user_id(root, "Root <r@x>")))])
    r = import_keys(store, [("dev", g.certificate(dev, forged, g.user_id(dev, uid)))])
    # Taken out of the certificate it sits in (the root never certified that user ID), it is a
    # loose revocation that revokes nothing at hand: pending, reported, never applied.
    assert [i.status for i in r.items] == ["new", "pending"]
    stored = one(store.cert_path(fp(dev)).read_bytes())
    assert stored.direct == []
    assert [s.sig_type for s in stored.uids[0].signatures] == [0x13]


def _two_then_revocation(kind: str) -> tuple[Any, bytes, bytes, bytes]:
    """V's and R's certificates, and a revocation of (a part of) V meant to follow both."""
    v, r = g.ed25519_key("i12 review: v"), g.ed25519_key("i12 review: r")
    vsub = g.ed25519_key("i12 review: v's signing subkey")
    v_cert = g.certificate(v, g.user_id(v, "V <v@example.org>"), g.subkey(v, vsub))
    r_cert = g.certificate(r, g.user_id(r, "R <r@example.org>"))
    rev = (
        g.key_revocation(v, created=g.T1, reason=(2, "stolen"))
        if kind == "key"
        else g.subkey_revocation(v, vsub, created=g.T1, reason=(2, "stolen"))
    )
    return v, v_cert, r_cert, rev


@pytest.mark.parametrize("kind", ["key", "subkey"])
@pytest.mark.parametrize("layout", ["binary-cat", "one-armored-block"])
def test_revocation_appended_after_another_certificate_is_not_swallowed(
    tmp_path: Path, kind: str, layout: str
) -> None:
    """``cat v.gpg r.gpg v.rev``: packet grouping puts V's revocation in R's certificate."""
    v, v_cert, r_cert, rev = _two_then_revocation(kind)
    data = v_cert + r_cert + rev
    ring = load_keyring(
        [write(tmp_path / "ring.gpg", data if layout == "binary-cat" else asc(data))]
    )
    assert not ring.pending and not ring.warnings
    (r_cert_read,) = (c for c in ring if c.fingerprint != fp(v))
    assert all(s.sig_type not in (0x20, 0x28) for c in r_cert_read.uids for s in c.signatures)
    d = validity(ring, fp(v))
    if kind == "key":
        assert d["validity"] == "revoked"
    else:
        assert d["validity"] == "valid" and [s["validity"] for s in d["subkeys"]] == ["revoked"]
    store = Store.at(tmp_path / "home")
    r = import_keys(store, [("ring", data)])
    assert "rejected" not in [i.status for i in r.items]
    d = validity(store.load(), fp(v))
    assert (d["validity"] if kind == "key" else d["subkeys"][0]["validity"]) == "revoked"


def test_key_files_with_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    v = g.ed25519_key("i12 review: bom")
    bom = b"\xef\xbb\xbf"
    d = tmp_path / "ring"
    d.mkdir()
    write(d / "v.asc", bom + asc(g.certificate(v, g.user_id(v, "V <v@example.org>"))))
    write(d / "v.rev", bom + asc(g.key_revocation(v, created=g.T1, reason=(2, "stolen"))))
    ring = load_keyring([d])
    assert not ring.problems and not ring.warnings
    assert validity(ring, fp(v))["validity"] == "revoked"
    assert [c.fingerprint for c in read_certs((d / "v.asc").read_bytes())] == [fp(v)]
    store = Store.at(tmp_path / "home")
    r = import_keys(
        store, [("v.rev", (d / "v.rev").read_bytes()), ("v.asc", (d / "v.asc").read_bytes())]
    )
    assert [i.status for i in r.items] == ["new", "updated"]


def test_a_revocation_file_that_cannot_be_read_fails_closed(tmp_path: Path) -> None:
    """Skipping it would let a revoked key verify: every judgement refuses; import goes on."""
    key = gen("unreadable")
    d = tmp_path / "ring"
    d.mkdir()
    write(d / "k.asc", key.certificate)
    data = write(tmp_path / "data.txt", b"signed\n")
    sig = write(
        tmp_path / "data.txt.sig",
        signing.sign_detached(data.read_bytes(), signing_keys("unreadable")[0], created=T0),
    )
    at = ("--at", "2025-01-20T00:00:00Z")
    assert run_pgpsig("verify", data, "--signature", sig, "--keyring", d, *at).returncode == 0
    write(d / "k.rev", b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64 at all!\n")
    r = run_pgpsig("verify", data, "--signature", sig, "--keyring", d, *at)
    assert r.returncode == 2
    assert b"cannot read revocation file" in r.stderr and b"k.rev" in r.stderr
    assert b"Traceback" not in r.stderr
    # The store: key list refuses too; key import reports the file and leaves it alone.
    home = tmp_path / "home"
    store = Store.at(home)
    import_keys(store, [("k", key.certificate)])
    bad = write(store.certs_dir / "broken.rev", b"\x99\x00")
    r = run_pgpsig("key", "list", env={"PGPSIG_HOME": str(home)})
    assert r.returncode == 2 and b"cannot read revocation file" in r.stderr
    report = import_keys(store, [("k", key.certificate)])
    assert any("revocation file cannot be read" in p for p in report.problems)
    assert bad.read_bytes() == b"\x99\x00"


def _forged_flood(bare: int, forged: int) -> tuple[Any, bytes, bytes]:
    """V with one bound user ID and ``bare`` user IDs without self-signature, and ``forged``
    0x30s naming V but made by Mallory (each over a bare user ID): in V's certificate, after
    the last bare user ID, and on their own."""
    v, m = g.ed25519_key("i12 review: flooded"), g.ed25519_key("i12 review: flooder")
    names = [f"bare {i} <b{i}@example.org>" for i in range(bare)]
    sigs = [
        g.sign(
            m,
            0x30,
            v.hashed_form + g.uid_hashed_form(names[i % bare]),
            hashed=[g.sp_created(g.T1 + i), g.sp_issuer_fpr(v)],
            unhashed=[g.sp_issuer(v)],
        )
        for i in range(forged)
    ]
    uids = [
        g.user_id(v, "V <v@example.org>"),
        *(g.old_packet(g.TAG_USER_ID, n.encode()) for n in names),
    ]
    return v, g.certificate(v, *uids, *sigs), b"".join(sigs)


def _count_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the signature checks of the revocation reader and the import's cleaning."""
    from pgpsig.certs import revocations
    from pgpsig.keys import material
    from pgpsig.openpgp import _crypto

    calls = [0]

    def counted(*args: Any) -> bool:
        calls[0] += 1
        return _crypto.verifies_over(*args)

    monkeypatch.setattr(revocations, "verifies_over", counted)
    monkeypatch.setattr(material, "verifies_over", counted)
    return calls


def test_misplaced_revocations_are_tried_against_bound_components_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bare user IDs and forged revocations cost linear work, not their product."""
    bare, forged = 60, 40
    v, cert, _ = _forged_flood(bare, forged)
    calls = _count_checks(monkeypatch)
    r = import_keys(Store.at(tmp_path), [("flood", cert)])
    assert [i.status for i in r.items][0] == "new"
    assert {i.status for i in r.items[1:]} <= {"pending"}  # revoke nothing at hand
    assert calls[0] <= 3 * forged + 10, calls[0]  # was about forged * bare


def test_loose_revocations_are_tried_against_bound_components_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare, forged = 60, 40
    v, cert, sigs = _forged_flood(bare, forged)
    plain = g.certificate(
        v,
        g.user_id(v, "V <v@example.org>"),
        *(
            g.old_packet(g.TAG_USER_ID, f"bare {i} <b{i}@example.org>".encode())
            for i in range(bare)
        ),
    )
    files = [write(tmp_path / "v.gpg", plain), write(tmp_path / "flood.rev", sigs)]
    calls = _count_checks(monkeypatch)
    ring = load_keyring(files)
    assert calls[0] <= forged + bare + 10, calls[0]  # was about forged * bare
    assert len(ring.pending) == forged
    assert validity(ring, fp(v))["revoked_user_ids"] == []


def test_keyring_merges_copies_of_a_signature_that_differ_in_unhashed_subpackets() -> None:
    """One merge rule (:func:`pgpsig.certs.keyring.merge_cert`) for the keyring and the import."""
    v = g.ed25519_key("i12 review: merged")
    full = g.certificate(v, g.user_id(v, "V <v@example.org>"))
    other = g.certificate(v, g.user_id(v, "V <v@example.org>", unhashed=[g.sp_issuer(v)]))
    ring = Keyring()
    assert one(full).uids[0].signatures[0].raw != one(other).uids[0].signatures[0].raw
    ring.add(one(full))
    ring.add(one(other))
    (cert,) = ring
    assert len(cert.uids[0].signatures) == 1


# --------------------------------------------------------------------------------------------------
# a subkey packet pgpsig cannot parse, followed by a key revocation


def _with_unparseable_subkey(label: str, secret: bool = False) -> tuple[bytes, bytes]:
    """``label``'s certificate, then a v5 subkey packet (unreadable here), a 0x18, then a 0x20."""
    key = gen(label)
    copy = next(p for p in iter_packets(binary(key.certificate)) if p.tag == 2)
    bogus = (
        bytes([5])
        + struct.pack(">I", int(T0.timestamp()))
        + bytes([27])
        + b"\x00\x00\x00\x20"
        + b"\x11" * 32
    )
    tag = 7 if secret else 14
    data = (
        binary(key.certificate)
        + packet_header(tag, len(bogus))
        + bogus
        + packet_header(2, len(copy.body))
        + copy.body
        + binary(key_revocation(label))
    )
    return data, bogus


def test_unparseable_subkey_keeps_the_key_revocation_after_it(tmp_path: Path) -> None:
    key = gen("v5sub")
    data, bogus = _with_unparseable_subkey("v5sub")
    (cert,) = parse_certs(data)
    assert [c.kind for c in cert.unparsed] == ["unparsed"]
    assert [s.sig_type for s in cert.unparsed[0].signatures] == [0x13]
    assert [s.sig_type for s in cert.direct] == [0x20]
    assert cert.subkeys == []
    ring = load_keyring([write(tmp_path / "v5.gpg", data)])
    assert validity(ring, key.fingerprint)["validity"] == "revoked"
    assert len(ring.warnings) == 1
    assert key.fingerprint in ring.warnings[0] and "cannot parse" in ring.warnings[0]
    # Written back: the unparseable packet (and what followed it) is left out, the revocation not.
    out = cert_to_bytes(cert)
    assert bogus not in out
    (again,) = parse_certs(out)
    assert [s.sig_type for s in again.direct] == [0x20] and not again.unparsed
    # Imported: the revocation is stored, the packet dropped with a note.
    store = Store.at(tmp_path / "store")
    r = import_keys(store, [("v5", data)])
    assert [i.status for i in r.items] == ["new"]
    assert any("cannot parse" in d for d in r.items[0].details)
    assert validity(store.load(), key.fingerprint)["validity"] == "revoked"
    r = run_pgpsig("key", "list", "--keyring", tmp_path / "v5.gpg", "--json")
    assert [k["validity"] for k in json.loads(r.stdout)["keys"]] == ["revoked"]
    assert b"cannot parse" in r.stderr and key.fingerprint.encode() in r.stderr


def test_unparseable_secret_subkey_is_never_written(tmp_path: Path) -> None:
    data, bogus = _with_unparseable_subkey("v5secret", secret=True)
    (cert,) = parse_certs(data)
    assert cert.unparsed[0].value == bogus
    assert bogus not in cert_to_bytes(cert)
    store = Store.at(tmp_path)
    import_keys(store, [("secret", data)])
    assert bogus not in binary(store.cert_path(gen("v5secret").fingerprint).read_bytes())


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


# --------------------------------------------------------------------------------------------------
# Second review: revocations that land in another certificate, and unreadable times


def test_a_roots_certification_revocation_after_the_roots_certificate_revokes(
    tmp_path: Path,
) -> None:
    """``cat dev.gpg root.gpg rev.gpg``: the root's 0x30 over dev's user ID follows the root's own
    certificate; it is the root's but revokes nothing there, so it is taken out and joins dev's."""
    root, dev = g.ed25519_key("i12 review2: root"), g.ed25519_key("i12 review2: developer")
    uid = "Dev <dev@example.org>"
    dev_cert = g.certificate(
        dev, g.user_id(dev, uid), g.certification(root, dev, uid, sig_type=0x10, created=g.T0)
    )
    root_cert = g.certificate(root, g.user_id(root, "Root <root@example.org>"))
    rev = g.certification(root, dev, uid, sig_type=0x30, created=g.T1)
    for name, data in (
        ("cat.gpg", dev_cert + root_cert + rev),
        ("root-first.gpg", root_cert + rev + dev_cert),
    ):
        ring = load_keyring([write(tmp_path / name, data)])
        d = validity(ring, fp(dev))
        assert d["certified_by"] == [], name
        assert [c["status"] for c in d["certifications"]] == ["revoked"], name
        store = Store.at(tmp_path / f"home-{name}")
        import_keys(store, [(name, data)])
        assert validity(store.load(), fp(dev))["certified_by"] == [], name


def test_a_designated_revokers_revocation_after_the_revokers_certificate_revokes(
    tmp_path: Path,
) -> None:
    """``cat v.gpg r.gpg rev``: the revoker's 0x20 of V follows the revoker's own certificate."""
    v, _r, files = _designated()
    data = b"".join(bytes(armor.decode(files[n]).data) for n in ("v.asc", "r.asc", "rev.asc"))
    ring = load_keyring([write(tmp_path / "cat.gpg", data)])
    assert validity(ring, fp(v))["validity"] == "revoked"
    store = Store.at(tmp_path / "home")
    import_keys(store, [("cat.gpg", data)])
    assert validity(store.load(), fp(v))["validity"] == "revoked"


@pytest.mark.parametrize("times", ["two-equal", "two-different", "five-octets"])
def test_a_key_revocation_whose_time_cannot_be_read_is_hard(tmp_path: Path, times: str) -> None:
    """Failing closed, for a revocation, means applying it (gpg applies them too)."""
    v = g.ed25519_key("i12 review2: unreadable time")
    hashed = {
        "two-equal": [g.sp_created(g.T1), g.sp_created(g.T1)],
        "two-different": [g.sp_created(g.T1), g.sp_created(g.T3)],
        "five-octets": [g.subpacket(2, b"\x00" * 5)],
    }[times]
    rev = g.sign(
        v,
        0x20,
        v.hashed_form,
        hashed=[*hashed, g.sp_reason(2, "stolen"), g.sp_issuer_fpr(v)],
        unhashed=[g.sp_issuer(v)],
    )
    data = g.certificate(v, rev, g.user_id(v, "V <v@example.org>"))
    ring = load_keyring([write(tmp_path / "v.gpg", data)])
    assert validity(ring, fp(v))["validity"] == "revoked"
    store = Store.at(tmp_path / "home")
    import_keys(store, [("v.gpg", data)])
    assert validity(store.load(), fp(v))["validity"] == "revoked"
