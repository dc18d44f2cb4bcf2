"""Key lifecycle without gpg: generate, export, import (merge, reject), list, certify, revoke.

Keys are pgpsig's own, mostly from fixed seeds and fixed times (Ed25519 signatures are
deterministic, so the certificates are byte-for-byte reproducible). The end-to-end tests run the
CLI in a real process with ``PGPSIG_HOME`` set to a temporary store: after importing a revocation
of a signer, or of the root's certification of it, every module the signer signed checks as 64.
"""

from __future__ import annotations

import hashlib
import json
import struct
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from conftest import run_pgpsig
from pgpsig.certs.keyring import Keyring, cert_to_bytes, read_certs
from pgpsig.certs.store import Store
from pgpsig.engine.judge import Judge
from pgpsig.engine.verdicts import KeyRevokedError
from pgpsig.errors import CertificateError, FormatError, InputError, KeyringError
from pgpsig.keys import (
    certify,
    clean_cert,
    export_certificate,
    generate_key,
    import_keys,
    list_keys,
    parse_expiry,
    read_key_material,
    revoke_certification,
    revoke_key,
)
from pgpsig.openpgp import armor
from pgpsig.openpgp.packets import iter_packets, parse_signature
from pgpsig.openpgp.secretkey import PassphraseError, load_signing_keys
from pgpsig.policy import Policy

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
POLICY = Policy()


def seeded(label: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(b"pgpsig keys test: " + label.encode()).digest()
    )


def gen(label: str, *, when: datetime = T0, uid: str | None = None, **kw: Any) -> Any:
    keys = [seeded(label), seeded(label + "/sub")]
    return generate_key(uid or f"{label} <{label}@example.org>", now=when, private_keys=keys, **kw)


def one(data: bytes) -> Any:
    certs = read_certs(data)
    assert len(certs) == 1
    return certs[0]


def statuses(report: Any) -> list[str]:
    return [i.status for i in report.items]


def info(ring: Keyring, fpr: str, at: datetime, **kw: Any) -> dict[str, Any]:
    for k in list_keys(ring, now=at, policy=POLICY, **kw):
        if k.fingerprint == fpr:
            d: dict[str, Any] = k.to_dict()
            return d
    raise AssertionError(fpr)


# --------------------------------------------------------------------------------------------------
# generate


@pytest.mark.parametrize(
    ("algorithm", "subkey"),
    [
        ("ed25519", False),
        ("ed25519", True),
        ("rsa3072", False),
        ("rsa3072", True),
        ("rsa4096", False),
    ],
)
def test_generate_loads_and_validates(algorithm: str, subkey: bool) -> None:
    now = datetime.now(timezone.utc)
    key = generate_key(
        "Jane Developer <jane@example.org>",
        now=now,
        algorithm=algorithm,
        signing_subkey=subkey,
        expires_after=365 * 86400,
    )
    signing = load_signing_keys(key.secret_key)
    assert signing[0].fingerprint == key.fingerprint
    assert signing[-1].fingerprint == key.signing_fingerprint
    assert (len(signing) == 2) == subkey
    cert = one(key.certificate)
    assert cert.fingerprint == key.fingerprint
    assert cert.primary.bits == {"ed25519": 256, "rsa3072": 3072, "rsa4096": 4096}[algorithm]
    assert cert.primary.algorithm == (22 if algorithm == "ed25519" else 1)
    v = Judge(POLICY, now).view(cert)
    signer = next(k for k, _ in cert.all_keys() if k.fingerprint == key.signing_fingerprint)
    v.check_signing_key(signer, now)
    selfsig = cert.uids[0].signatures[0]
    assert selfsig.sig_type == 0x13
    assert selfsig.key_flags == (0x01 if subkey else 0x03)
    assert selfsig.key_expires_after == 365 * 86400
    assert selfsig.hash_name == "SHA512"
    types = {sp.type for sp in selfsig.hashed}
    assert {2, 9, 11, 21, 22, 23, 25, 27, 30, 33} <= types
    if subkey:
        binding = cert.subkeys[0].signatures[0]
        assert binding.sig_type == 0x18
        assert binding.key_flags == 0x02
        assert [e.sig_type for e in binding.embedded_signatures] == [0x19]
    assert key.expires == key.created + timedelta(days=365)


def test_generate_is_reproducible_from_seeds() -> None:
    assert gen("repro").certificate == gen("repro").certificate


def test_passphrase_protection() -> None:
    key = gen("pp", passphrase=b"correct horse", signing_subkey=True)
    assert key.protected
    with pytest.raises(PassphraseError):
        load_signing_keys(key.secret_key)
    with pytest.raises(PassphraseError):
        load_signing_keys(key.secret_key, b"wrong horse")
    assert len(load_signing_keys(key.secret_key, b"correct horse")) == 2
    # The layout gpg 2.2 writes: S2K usage 254, AES-256, iterated+salted S2K with SHA-256.
    block = armor.decode(key.secret_key)
    for p in iter_packets(bytes(block.data)):
        if p.tag in (5, 7):
            n = len(one(key.certificate).primary.body)
            assert p.body[n : n + 4] == bytes([254, 9, 3, 8])
            assert p.body[n + 12] == 0xF0
    unprotected = gen("pp")
    assert not unprotected.protected
    assert load_signing_keys(unprotected.secret_key)[0].fingerprint == unprotected.fingerprint


def test_generate_refuses_bad_input() -> None:
    for uid in ("", "two\nlines", "nul\0"):
        with pytest.raises(ValueError, match="user ID"):
            generate_key(uid, now=T0)
    with pytest.raises(ValueError, match="algorithm"):
        generate_key("x <x@example.org>", now=T0, algorithm="dsa1024")
    with pytest.raises(ValueError, match="aware"):
        generate_key("x <x@example.org>", now=datetime(2025, 1, 1))  # noqa: DTZ001


# The preference subpackets of each profile (see pgpsig.keys.generate): v4 as gpg 2.2 writes
# them without its weak algorithms, v6 as RFC 9580's sample key (Appendix A.3) and Sequoia.
PREFERENCES = {
    "v4": [
        (11, bytes([9, 8, 7])),
        (21, bytes([10, 9, 8])),
        (22, bytes([2, 3, 1])),
        (30, b"\x01"),
        (23, b"\x80"),
    ],
    "v6": [(11, bytes([9, 7])), (21, bytes([10, 9, 8])), (22, b"\x00"), (30, b"\x09")],
}


@pytest.mark.parametrize("profile", ["v4", "v6"])
def test_generate_writes_the_profile_preferences(profile: str) -> None:
    key = gen(f"prefs-{profile}", profile=profile, uid=None)
    cert = one(key.certificate)
    sigs = [*cert.direct, *cert.uids[0].signatures]
    assert [s.sig_type for s in sigs] == ([0x1F, 0x13] if profile == "v6" else [0x13])
    for sig in sigs:
        assert sig.version == (6 if profile == "v6" else 4)
        prefs = [(sp.type, sp.body) for sp in sig.hashed if sp.type in (11, 21, 22, 23, 30)]
        assert prefs == PREFERENCES[profile]
        assert sig.key_flags == 0x03


@pytest.mark.parametrize(
    ("algorithm", "subkey"), [("ed25519", False), ("ed25519", True), ("rsa3072", False)]
)
def test_generate_v6_key_signs_and_verifies(algorithm: str, subkey: bool) -> None:
    """A v6 key made by the library: v6 packets, its signatures verify under its certificate."""
    from pgpsig.openpgp.signing import sign_cleartext, sign_detached
    from pgpsig.verify import verify_clearsigned, verify_detached

    now = datetime.now(timezone.utc)
    key = generate_key(
        ["Six <six@example.org>", "Six again <six@example.net>"],
        now=now,
        algorithm=algorithm,
        profile="v6",
        signing_subkey=subkey,
        passphrase=b"pw",
        expires_after=30 * 86400,
    )
    assert key.profile == "v6"
    assert key.user_id == "Six <six@example.org>"
    cert = one(key.certificate)
    assert cert.primary.version == 6
    assert len(cert.fingerprint) == 64
    assert cert.primary.algorithm == (27 if algorithm == "ed25519" else 1)
    assert [s.sig_type for s in cert.direct] == [0x1F]
    assert cert.direct[0].key_expires_after == 30 * 86400
    assert [len(c.signatures) for c in cert.uids] == [1, 1]
    with pytest.raises(PassphraseError):
        load_signing_keys(key.secret_key)
    keys = load_signing_keys(key.secret_key, b"pw")
    assert [k.version for k in keys] == [6] * (2 if subkey else 1)
    signer = next(k for k in keys if k.fingerprint == key.signing_fingerprint)
    ring = Keyring()
    ring.add_all(read_certs(key.certificate))
    sig = sign_detached(b"data", signer, created=now)
    assert parse_signature(next(iter_packets(sig)).body).version == 6
    report = verify_detached(b"data", sig, ring, policy=POLICY, now=now)
    assert report.ok
    assert report.signatures[0].signer == key.signing_fingerprint
    assert report.signatures[0].primary == key.fingerprint
    assert not verify_detached(b"data!", sig, ring, policy=POLICY, now=now).ok
    signed = sign_cleartext(b"hello\n", signer, created=now)
    assert b"Hash:" not in signed
    assert verify_clearsigned(signed, ring, policy=POLICY, now=now).ok


def test_generate_v4_and_sop_share_one_generator() -> None:
    """``sop generate-key`` is the library generator: the same seed and time, the same key."""
    from pgpsig import sop

    private = seeded("shared")
    uid = "Shared <shared@example.org>"
    library = generate_key(uid, now=T0, private_keys=[private])
    by_sop = sop.generate_key([uid], now=T0, private_key=private, armor_out=False)
    assert by_sop == library.secret_packets
    v6 = sop.generate_key([uid], now=T0, private_key=private, profile="rfc9580")
    v6_cert = one(sop.extract_cert(v6))
    v6_library = one(generate_key(uid, now=T0, private_keys=[private], profile="v6").certificate)
    assert v6_cert.fingerprint == v6_library.fingerprint
    assert [(s.sig_type, [sp.type for sp in s.hashed]) for s in v6_cert.direct] == [
        (s.sig_type, [sp.type for sp in s.hashed]) for s in v6_library.direct
    ]


def test_generate_refuses_an_unknown_profile() -> None:
    with pytest.raises(ValueError, match="profile"):
        generate_key("x <x@example.org>", now=T0, profile="v5")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("never", None),
        ("0", None),
        ("90d", 90 * 86400),
        ("2y", 2 * 365 * 86400),
        ("6m", 180 * 86400),
        ("3w", 21 * 86400),
        ("10d", 10 * 86400),
        ("2025-01-31", 30 * 86400),
        ("2025-01-02T00:00:00Z", 86400),
    ],
)
def test_parse_expiry(text: str, seconds: int | None) -> None:
    assert parse_expiry(text, now=T0) == seconds


@pytest.mark.parametrize("text", ["soon", "-1d", "2024-12-31", "1x", "999999y", "5", "90"])
def test_parse_expiry_refuses(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        parse_expiry(text, now=T0)


def test_a_bare_number_says_which_units() -> None:
    with pytest.raises(ValueError, match="needs a unit: 5d, 5w, 5m or 5y"):
        parse_expiry("5", now=T0)


# --------------------------------------------------------------------------------------------------
# export


def test_export_gives_the_certificate() -> None:
    key = gen("exp", signing_subkey=True, passphrase=b"pw")
    result = export_certificate(key.secret_key)  # no passphrase needed
    assert result.fingerprint == key.fingerprint
    assert cert_to_bytes(one(result.certificate)) == cert_to_bytes(one(key.certificate))
    assert b"PRIVATE" not in result.certificate
    with pytest.raises(FormatError):
        export_certificate(b"not a key")


# --------------------------------------------------------------------------------------------------
# import: merge, nothing duplicated, nothing invalid


def test_import_merges_user_ids_subkeys_certifications(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    first = gen("merge")
    # Same primary key and creation time, another user ID: the same certificate, grown.
    second = gen("merge", uid="Merge Two <two@example.org>")
    with_sub = gen("merge", signing_subkey=True)
    assert one(first.certificate).fingerprint == one(with_sub.certificate).fingerprint
    r = import_keys(store, [("first", first.certificate)])
    assert statuses(r) == ["new"]
    r = import_keys(store, [("second", second.certificate), ("sub", with_sub.certificate)])
    assert statuses(r) == ["updated", "updated"]
    assert "1 new user ID" in r.items[0].details
    assert "1 new subkey" in r.items[1].details
    cert = store.load().get(first.fingerprint)
    assert cert is not None
    assert sorted(c.uid for c in cert.uids) == [
        "Merge Two <two@example.org>",
        "merge <merge@example.org>",
    ]
    assert len(cert.subkeys) == 1
    path = store.cert_path(first.fingerprint)
    before = path.read_bytes()
    r = import_keys(store, [("again", first.certificate), ("again2", with_sub.certificate)])
    assert statuses(r) == ["unchanged", "unchanged"]
    assert path.read_bytes() == before, "nothing is duplicated"


def test_import_keeps_only_public_parts(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    key = gen("secret")
    r = import_keys(store, [("sec", key.secret_key)])
    assert statuses(r) == ["new"]
    assert any("secret key material was not stored" in d for d in r.items[0].details)
    stored = store.cert_path(key.fingerprint).read_bytes()
    assert b"PRIVATE" not in stored
    assert all(p.tag != 5 for p in iter_packets(bytes(armor.decode(stored).data)))


def _flip_last_byte_of_signature(data: bytes, index: int) -> bytes:
    """Binary cert data with one byte of the ``index``-th signature's material changed."""
    out = []
    n = -1
    from pgpsig.openpgp.write import packet_header

    for p in iter_packets(data):
        body = p.body
        if p.tag == 2:
            n += 1
            if n == index:
                body = body[:-1] + bytes([body[-1] ^ 1])
        out.append(packet_header(p.tag, len(body)) + body)
    return b"".join(out)


def test_import_rejects_certificate_without_valid_self_signature(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    good = cert_to_bytes(one(gen("forged").certificate))
    bad = _flip_last_byte_of_signature(good, 0)
    r = import_keys(store, [("bad", bad)])
    assert statuses(r) == ["rejected"]
    assert any("no valid self-signature" in d for d in r.items[0].details)
    assert not store.load().certs


def test_import_drops_grafted_subkey_and_forged_certification(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    alice, mallory, master = gen("alice"), gen("mallory", signing_subkey=True), gen("master")
    import_keys(store, [("master", master.certificate)])
    a = one(alice.certificate)
    m = one(mallory.certificate)
    # Graft mallory's subkey (with its binding by mallory) onto alice.
    a.subkeys.append(m.subkeys[0])
    # A "certification" by the (known) master that does not verify.
    genuine = read_certs(
        certify(
            gen("bob").certificate, master.secret_key, passphrase=None, now=T0, policy=POLICY
        ).certificate
    )[0]
    forged = next(s for s in genuine.uids[0].signatures if s.sig_type == 0x10)
    a.uids[0].signatures.append(forged)
    r = import_keys(store, [("grafted", cert_to_bytes(a))])
    assert statuses(r) == ["new"]
    details = " ".join(r.items[0].details)
    assert "has no valid binding" in details
    assert f"a signature by {master.fingerprint} that does not verify was dropped" in details
    stored = store.load().get(alice.fingerprint)
    assert stored is not None
    assert not stored.subkeys
    assert [s.sig_type for s in stored.uids[0].signatures] == [0x13]


def test_import_keeps_certifications_by_unknown_issuers(tmp_path: Path) -> None:
    """An issuer not (yet) in the store: kept, judged at use; its import later makes it verifiable."""
    store = Store.at(tmp_path)
    master, dev = gen("master"), gen("dev")
    certified = certify(dev.certificate, master.secret_key, passphrase=None, now=T0, policy=POLICY)
    assert statuses(import_keys(store, [("dev", certified.certificate)])) == ["new"]
    ring = store.load()
    d = info(ring, dev.fingerprint, T0 + timedelta(days=1))
    assert d["certified_by"] == []
    assert d["unverified_certifiers"] == [master.fingerprint]
    import_keys(store, [("master", master.certificate)])
    d = info(store.load(), dev.fingerprint, T0 + timedelta(days=1))
    assert d["certified_by"] == [master.fingerprint]
    assert d["unverified_certifiers"] == []


def test_import_of_unparseable_input_is_one_rejected_item(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    r = import_keys(store, [("junk", b"\x00junk"), ("ok", gen("ok").certificate)])
    assert statuses(r) == ["rejected", "new"]
    assert not r.ok


def test_clean_cert_without_lookup_keeps_unknown_issuers() -> None:
    master, dev = gen("master"), gen("dev")
    certified = certify(dev.certificate, master.secret_key, passphrase=None, now=T0, policy=POLICY)
    cleaned, notes = clean_cert(one(certified.certificate))
    assert cleaned is not None
    assert not notes
    assert len(cleaned.uids[0].signatures) == 2


# --------------------------------------------------------------------------------------------------
# revoke and revocation certificates


def test_revocation_certificate_is_a_bare_signature_that_imports(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    key = gen("rev")
    rev = revoke_key(
        key.secret_key, passphrase=None, reason="retired", message="moved on", now=T0 + timedelta(1)
    )
    block = armor.decode(rev.revocation)
    assert block.label == "PGP PUBLIC KEY BLOCK"
    assert ("Comment", "This is a revocation certificate") in block.headers
    sigs = [parse_signature(p.body) for p in iter_packets(bytes(block.data))]
    assert [s.sig_type for s in sigs] == [0x20]
    assert sigs[0].revocation_reason == (3, b"moved on")
    material = read_key_material(rev.revocation)
    assert not material.certs
    assert len(material.signatures) == 1
    # Unknown key: kept pending in the store, applied when the key is imported.
    r = import_keys(store, [("rev", rev.revocation)])
    assert statuses(r) == ["pending"]
    assert r.ok
    assert "is not in the store" in r.items[0].details[0]
    assert [p.name for p in store.pending_files()] == [f"{key.fingerprint}.rev"]
    r = import_keys(store, [("key", key.certificate)])
    assert statuses(r) == ["new", "updated"]
    assert not store.pending_files()
    assert statuses(import_keys(store, [("rev", rev.revocation)])) == ["unchanged"]
    d = info(store.load(), key.fingerprint, T0 + timedelta(days=2))
    assert d["validity"] == "revoked"
    assert d["revocation"]["reason"] == "retired"
    assert d["revocation"]["message"] == "moved on"
    assert d["revocation"]["hard"] is False
    # A soft revocation: before it, the key was valid.
    assert info(store.load(), key.fingerprint, T0 + timedelta(hours=1))["validity"] == "valid"


def test_revocation_by_another_key_does_not_revoke_the_certificate_it_is_pasted_on(
    tmp_path: Path,
) -> None:
    """A key revocation naming another issuer is taken out of the certificate it sits in.

    It is resolved like a loose one: here it is the attacker's revocation of the attacker's own
    key, so it revokes that key (a revocation that verifies is a fact) and never the victim.
    """
    store = Store.at(tmp_path)
    victim, attacker = gen("victim"), gen("attacker")
    import_keys(store, [("v", victim.certificate), ("a", attacker.certificate)])
    rev = revoke_key(attacker.secret_key, passphrase=None, reason="compromised", now=T0)
    sig = parse_signature(next(iter_packets(bytes(armor.decode(rev.revocation).data))).body)
    v = one(victim.certificate)
    v.direct.append(sig)  # the attacker's own revocation, pasted onto the victim
    r = import_keys(store, [("pasted", cert_to_bytes(v))])
    assert statuses(r) == ["unchanged", "updated"]
    assert [i.fingerprint for i in r.items] == [victim.fingerprint, attacker.fingerprint]
    ring = store.load()
    assert ring.certs[victim.fingerprint].direct == []
    assert info(ring, victim.fingerprint, T0)["validity"] == "valid"
    assert info(ring, attacker.fingerprint, T0)["validity"] == "revoked"


# --------------------------------------------------------------------------------------------------
# list


def test_list_validity_expiry_subkeys() -> None:
    short = gen("short", expires_after=86400, signing_subkey=True)
    ring = Keyring()
    ring.add(one(short.certificate))
    d = info(ring, short.fingerprint, T0 + timedelta(hours=1))
    assert d["validity"] == "valid"
    assert d["expires"] == "2025-01-02T00:00:00Z"
    assert d["algorithm"] == "EdDSA"
    assert d["bits"] == 256
    assert d["created"] == "2025-01-01T00:00:00Z"
    assert d["user_ids"] == ["short <short@example.org>"]
    assert d["subkeys"][0]["flags"] == ["sign"]
    assert d["subkeys"][0]["validity"] == "valid"
    later = info(ring, short.fingerprint, T0 + timedelta(days=2))
    assert later["validity"] == "expired"
    assert later["subkeys"][0]["validity"] == "expired"
    before = info(ring, short.fingerprint, T0 - timedelta(days=1))
    assert before["validity"] == "invalid"


def test_list_json_has_the_contract_fields() -> None:
    ring = Keyring()
    ring.add(one(gen("json").certificate))
    d = info(ring, one(gen("json").certificate).fingerprint, T0)
    for name in (
        "fingerprint",
        "user_ids",
        "algorithm",
        "bits",
        "created",
        "expires",
        "validity",
        "subkeys",
        "certified_by",
    ):
        assert name in d
    json.dumps(d)


# --------------------------------------------------------------------------------------------------
# certify and revoke-certification


def test_certify_every_valid_user_id_with_optional_trust_signature() -> None:
    master = gen("master")
    dev = gen("dev")
    second = gen("dev", uid="Dev Two <two@example.org>")
    ring = Keyring()
    ring.add(one(dev.certificate))
    ring.add(one(second.certificate))
    both = cert_to_bytes(ring.certs[dev.fingerprint])
    when = T0 + timedelta(days=1)
    result = certify(
        both, master.secret_key, passphrase=None, now=when, policy=POLICY, trust=(1, 60)
    )
    assert sorted(result.user_ids) == ["Dev Two <two@example.org>", "dev <dev@example.org>"]
    cert = one(result.certificate)
    for uid in cert.uids:
        certs = [s for s in uid.signatures if s.sig_type == 0x10]
        assert len(certs) == 1
        assert certs[0].trust == (1, 60)
        assert certs[0].issuer_fingerprints == (master.fingerprint,)
    # Already certified: skipped, nothing new.
    again = certify(result.certificate, master.secret_key, passphrase=None, now=when, policy=POLICY)
    assert again.user_ids == ()
    assert len(again.skipped) == 2


def test_certify_refuses_revoked_target_and_self() -> None:
    master, dev = gen("master"), gen("dev")
    rev = revoke_key(dev.secret_key, passphrase=None, reason="compromised", now=T0)
    sig = parse_signature(next(iter_packets(bytes(armor.decode(rev.revocation).data))).body)
    revoked = one(dev.certificate)
    revoked.direct.append(sig)
    with pytest.raises(KeyRevokedError):
        certify(cert_to_bytes(revoked), master.secret_key, passphrase=None, now=T0, policy=POLICY)
    with pytest.raises(CertificateError, match="itself"):
        certify(master.certificate, master.secret_key, passphrase=None, now=T0, policy=POLICY)


def test_certify_needs_a_master_that_can_certify() -> None:
    sub_only = gen("master", signing_subkey=True)  # primary: certify only; fine
    dev = gen("dev")
    certify(dev.certificate, sub_only.secret_key, passphrase=None, now=T0, policy=POLICY)
    expired = gen("old", expires_after=86400)
    with pytest.raises(CertificateError, match="expired"):
        certify(
            dev.certificate,
            expired.secret_key,
            passphrase=None,
            now=T0 + timedelta(2),
            policy=POLICY,
        )
    pp = gen("ppmaster", passphrase=b"pw")
    with pytest.raises(PassphraseError):
        certify(dev.certificate, pp.secret_key, passphrase=None, now=T0, policy=POLICY)
    certify(dev.certificate, pp.secret_key, passphrase=b"pw", now=T0, policy=POLICY)


def test_revoke_certification(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    master, other, dev = gen("master"), gen("other"), gen("dev")
    c1 = certify(dev.certificate, master.secret_key, passphrase=None, now=T0, policy=POLICY)
    import_keys(store, [("m", master.certificate), ("o", other.certificate), ("d", c1.certificate)])
    with pytest.raises(CertificateError, match="no certification"):
        revoke_certification(c1.certificate, other.secret_key, passphrase=None, now=T0)
    later = T0 + timedelta(days=3)
    rc = revoke_certification(
        c1.certificate, master.secret_key, passphrase=None, reason="uid-invalid", now=later
    )
    assert rc.user_ids == ("dev <dev@example.org>",)
    revs = [s for s in one(rc.certificate).uids[0].signatures if s.sig_type == 0x30]
    assert len(revs) == 1
    assert revs[0].revocation_reason == (32, b"")
    assert statuses(import_keys(store, [("rc", rc.certificate)])) == ["updated"]
    ring = store.load()
    assert info(ring, dev.fingerprint, T0 + timedelta(days=1))["certified_by"] == [
        master.fingerprint
    ]
    d = info(ring, dev.fingerprint, later)
    assert d["certified_by"] == []
    assert [c["status"] for c in d["certifications"]] == ["revoked"]
    # Certifying again after the revocation is a new, valid certification.
    again = certify(
        cert_to_bytes(ring.certs[dev.fingerprint]),
        master.secret_key,
        passphrase=None,
        now=later + timedelta(days=1),
        policy=POLICY,
    )
    assert again.user_ids == ("dev <dev@example.org>",)


def test_revoke_refuses_bad_reason_and_multiline_message() -> None:
    key = gen("r")
    with pytest.raises(ValueError, match="reason"):
        revoke_key(key.secret_key, passphrase=None, reason="bored", now=T0)
    with pytest.raises(ValueError, match="one line"):
        revoke_key(key.secret_key, passphrase=None, reason="retired", message="a\nb", now=T0)


def test_key_without_primary_secret_cannot_certify_or_revoke() -> None:
    """A secret key with only subkeys (``gpg --export-secret-subkeys``) cannot certify or revoke."""
    key = gen("stub", signing_subkey=True)
    data = bytes(armor.decode(key.secret_key).data)
    out = []
    from pgpsig.openpgp.write import packet_header

    for p in iter_packets(data):
        body = p.body
        if p.tag == 5:  # replace the primary secret by a GnuPG stub (S2K usage 255, type 101)
            n = len(one(key.certificate).primary.body)
            body = body[:n] + bytes([255, 0, 101, 0]) + b"GNU" + bytes([1])
        out.append(packet_header(p.tag, len(body)) + body)
    stub = armor.encode("PGP PRIVATE KEY BLOCK", b"".join(out))
    assert [k.is_primary for k in load_signing_keys(stub)] == [False]
    with pytest.raises(InputError, match="primary"):
        revoke_key(stub, passphrase=None, reason="retired", now=T0)


# --------------------------------------------------------------------------------------------------
# trust roots


def test_trust_roots(tmp_path: Path) -> None:
    from pgpsig.keys import add_trust_root, list_trust_roots, remove_trust_root

    store = Store.at(tmp_path)
    master = gen("master")
    with pytest.raises(KeyringError, match="import its certificate first"):
        add_trust_root(store, master.fingerprint)
    import_keys(store, [("m", master.certificate)])
    add_trust_root(store, master.fingerprint[-16:])  # a key ID works too
    add_trust_root(store, master.fingerprint)  # twice: once
    assert store.roots() == [master.fingerprint]
    assert [r.user_id for r in list_trust_roots(store)] == ["master <master@example.org>"]
    assert remove_trust_root(store, master.fingerprint) == master.fingerprint
    assert store.roots() == []
    with pytest.raises(KeyringError, match="not a trust root"):
        remove_trust_root(store, master.fingerprint)


# --------------------------------------------------------------------------------------------------
# The CLI, end to end


def _env(home: Path) -> dict[str, str]:
    return {"PGPSIG_HOME": str(home), "PGPSIG_PASSPHRASE": ""}


def _ok(r: Any) -> Any:
    assert r.returncode == 0, (r.stdout.decode(), r.stderr.decode())
    return r


def _module(root: Path, name: str) -> Path:
    mod = root / name
    (mod / "lib").mkdir(parents=True)
    (mod / "module.xml").write_text(f"<module><rawname>{name}</rawname></module>\n")
    (mod / "lib" / "code.php").write_text(f"<?php // {name}\n")
    return mod


def _statuses(home: Path, mods: list[Path]) -> list[int]:
    r = run_pgpsig("check", *mods, "--json", env=_env(home))
    assert r.returncode in (0, 1), r.stderr
    return [m["status"] for m in json.loads(r.stdout)["modules"]]


@pytest.fixture
def lifecycle(tmp_path: Path) -> dict[str, Any]:
    """A store with a master (trust root) and a certified developer who signed three modules."""
    home = tmp_path / "home"
    env = _env(home)
    master, dev = tmp_path / "master.sec.asc", tmp_path / "dev.sec.asc"
    _ok(run_pgpsig("key", "generate", "--uid", "Master <m@example.org>", "--out", master, env=env))
    pw = tmp_path / "pw"
    pw.write_text("dev passphrase\n")
    _ok(
        run_pgpsig(
            "key",
            "generate",
            "--uid",
            "Dev <d@example.org>",
            "--out",
            dev,
            "--signing-subkey",
            "--passphrase-file",
            pw,
            env=env,
        )
    )
    master_cert, dev_cert = tmp_path / "master.asc", tmp_path / "dev.asc"
    _ok(run_pgpsig("key", "export", master, "--out", master_cert, env=env))
    _ok(run_pgpsig("key", "export", dev, "--out", dev_cert, env=env))
    certified = tmp_path / "dev.certified.asc"
    _ok(run_pgpsig("key", "certify", dev_cert, "--with", master, "--out", certified, env=env))
    _ok(run_pgpsig("key", "import", master_cert, certified, env=env))
    _ok(run_pgpsig("key", "trust-root", "add", master_cert, env=env))
    mods = [_module(tmp_path / "modules", n) for n in ("alpha", "beta", "gamma")]
    for m in mods:
        _ok(run_pgpsig("sign", m, "--key", dev, "--passphrase-file", pw, env=env))
    return {
        "home": home,
        "env": env,
        "master": master,
        "dev": dev,
        "dev_cert": dev_cert,
        "pw": pw,
        "mods": mods,
        "tmp": tmp_path,
    }


def test_cli_signer_revocation_makes_every_module_64(lifecycle: dict[str, Any]) -> None:
    lc = lifecycle
    assert _statuses(lc["home"], lc["mods"]) == [129, 129, 129]
    rev = lc["tmp"] / "dev.rev"
    _ok(
        run_pgpsig(
            "key",
            "revoke",
            lc["dev"],
            "--reason",
            "compromised",
            "--message",
            "laptop stolen",
            "--out",
            rev,
            "--passphrase-file",
            lc["pw"],
            env=lc["env"],
        )
    )
    r = _ok(run_pgpsig("key", "import", rev, env=lc["env"]))
    assert r.stdout.startswith(b"updated")
    assert _statuses(lc["home"], lc["mods"]) == [64, 64, 64]
    listing = json.loads(_ok(run_pgpsig("key", "list", "--json", env=lc["env"])).stdout)
    dev = next(k for k in listing["keys"] if k["user_ids"] == ["Dev <d@example.org>"])
    assert dev["validity"] == "revoked"
    assert dev["revocation"]["reason"] == "compromised"
    assert dev["revocation"]["message"] == "laptop stolen"
    master = next(k for k in listing["keys"] if k["trust_root"])
    assert dev["certified_by"] == [master["fingerprint"]]


def test_cli_certification_revocation_makes_every_module_64(lifecycle: dict[str, Any]) -> None:
    lc = lifecycle
    assert _statuses(lc["home"], lc["mods"]) == [129, 129, 129]
    out = lc["tmp"] / "dev.uncertified.asc"
    fpr = json.loads(_ok(run_pgpsig("key", "list", "--json", env=lc["env"])).stdout)["keys"]
    dev_fpr = next(k["fingerprint"] for k in fpr if k["user_ids"] == ["Dev <d@example.org>"])
    # CERT may name a key of the store instead of a file.
    _ok(
        run_pgpsig(
            "key",
            "revoke-certification",
            dev_fpr,
            "--with",
            lc["master"],
            "--out",
            out,
            env=lc["env"],
        )
    )
    _ok(run_pgpsig("key", "import", out, env=lc["env"]))
    assert _statuses(lc["home"], lc["mods"]) == [64, 64, 64]


def test_soft_revocation_spares_modules_signed_before_it(tmp_path: Path) -> None:
    """``superseded``/``retired`` only invalidate signatures made after the revocation (library)."""
    from pgpsig.engine.trust import TrustRoots
    from pgpsig.modules.check import CheckOptions, check_modules
    from pgpsig.modules.sign import sign_module

    store = Store.at(tmp_path / "home")
    master, dev = gen("master"), gen("dev", signing_subkey=True)
    certified = certify(dev.certificate, master.secret_key, passphrase=None, now=T0, policy=POLICY)
    import_keys(store, [("m", master.certificate), ("d", certified.certificate)])
    keys = load_signing_keys(dev.secret_key)
    old = _module(tmp_path / "modules", "old")
    new = _module(tmp_path / "modules", "new")
    sign_module(old, keys, now=T0 + timedelta(days=1), secret_key_data=dev.secret_key)
    sign_module(new, keys, now=T0 + timedelta(days=3), secret_key_data=dev.secret_key)
    rev = revoke_key(dev.secret_key, passphrase=None, reason="superseded", now=T0 + timedelta(2))
    assert statuses(import_keys(store, [("rev", rev.revocation)])) == ["updated"]
    ring = store.load()
    opts = CheckOptions(
        keyring=ring,
        roots=TrustRoots(frozenset({master.fingerprint})),
        policy=POLICY,
        now=T0 + timedelta(days=4),
    )
    reports = check_modules([("old", old), ("new", new)], opts)
    assert [int(r.status) for r in reports] == [129, 64]
    # A hard revocation (compromised) takes both.
    hard = revoke_key(dev.secret_key, passphrase=None, reason="compromised", now=T0 + timedelta(2))
    import_keys(store, [("hard", hard.revocation)])
    opts = CheckOptions(
        keyring=store.load(),
        roots=TrustRoots(frozenset({master.fingerprint})),
        policy=POLICY,
        now=T0 + timedelta(days=4),
    )
    assert [int(r.status) for r in check_modules([("old", old), ("new", new)], opts)] == [64, 64]


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    env = _env(tmp_path / "home")
    out = tmp_path / "k.asc"
    _ok(run_pgpsig("key", "generate", "--uid", "A <a@example.org>", "--out", out, env=env))
    assert out.stat().st_mode & 0o777 == 0o600
    r = run_pgpsig("key", "generate", "--uid", "A <a@example.org>", "--out", out, env=env)
    assert r.returncode == 2
    assert b"exists" in r.stderr
    for args in (
        ("key", "generate", "--uid", "", "--out", tmp_path / "x.asc"),
        ("key", "generate", "--uid", "B", "--out", tmp_path / "y.asc", "--expires", "soon"),
        ("key", "generate", "--uid", "B", "--out", tmp_path / "z.asc", "--algorithm", "dsa"),
        ("key", "revoke", out, "--reason", "bored", "--out", tmp_path / "r"),
        ("key", "import", tmp_path / "missing.asc"),
        ("key", "export", tmp_path / "missing.asc"),
        ("key", "certify", "0" * 40, "--with", out),
        ("key", "refresh"),
        ("key", "trust-root", "add", "0" * 40),
    ):
        r = run_pgpsig(*args, env=env)
        assert r.returncode == 2, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) >= 1
    junk = tmp_path / "junk.asc"
    junk.write_bytes(b"junk")
    r = run_pgpsig("key", "import", junk, env=env)
    assert r.returncode == 1
    assert r.stdout.startswith(b"rejected")


def test_cli_generate_json_and_list_human(tmp_path: Path) -> None:
    env = _env(tmp_path / "home")
    out = tmp_path / "k.asc"
    cert = tmp_path / "k.pub.asc"
    r = _ok(
        run_pgpsig(
            "key",
            "generate",
            "--uid",
            "A <a@example.org>",
            "--out",
            out,
            "--cert-out",
            cert,
            "--expires",
            "1y",
            "--json",
            env=env,
        )
    )
    doc = json.loads(r.stdout)
    assert doc["algorithm"] == "ed25519"
    assert doc["expires"] is not None
    assert b"not protected" in r.stderr
    _ok(run_pgpsig("key", "import", cert, env=env))
    r = _ok(run_pgpsig("key", "list", env=env))
    text = r.stdout.decode()
    assert doc["fingerprint"] in text
    assert "[valid]" in text
    assert "uid   A <a@example.org>" in text
    r = _ok(run_pgpsig("key", "list", "--keyring", cert, "--at", "2000-01-01", "--json", env=env))
    assert json.loads(r.stdout)["keys"][0]["validity"] == "invalid"
    r = _ok(run_pgpsig("key", "trust-root", "list", "--json", env=env))
    assert json.loads(r.stdout) == {"roots": []}


def test_cli_import_into_keyring_directory(tmp_path: Path) -> None:
    env = _env(tmp_path / "home")
    d = tmp_path / "ring"
    a, b = gen("a"), gen("b")
    (tmp_path / "a.asc").write_bytes(a.certificate)
    (tmp_path / "b.gpg").write_bytes(armor.decode(b.certificate).data)
    r = _ok(
        run_pgpsig(
            "key",
            "import",
            tmp_path / "a.asc",
            tmp_path / "b.gpg",
            "--keyring",
            d,
            "--json",
            env=env,
        )
    )
    assert [i["status"] for i in json.loads(r.stdout)["imported"]] == ["new", "new"]
    assert sorted(p.name for p in d.iterdir() if p.suffix == ".asc") == sorted(
        [f"{a.fingerprint}.asc", f"{b.fingerprint}.asc"]
    )
    assert not (tmp_path / "home").exists(), "the user's store was not touched"
    r = _ok(run_pgpsig("key", "list", "--keyring", d, "--at", "2025-06-01", "--json", env=env))
    assert len(json.loads(r.stdout)["keys"]) == 2


def test_revocation_packet_layout_matches_gpg_convention() -> None:
    """Hashed: creation time, issuer fingerprint, reason; unhashed: issuer key ID."""
    key = gen("layout")
    rev = revoke_key(key.secret_key, passphrase=None, reason="superseded", now=T0)
    sig = parse_signature(next(iter_packets(bytes(armor.decode(rev.revocation).data))).body)
    assert [sp.type for sp in sig.hashed] == [2, 33, 29]
    assert [sp.type for sp in sig.unhashed] == [16]
    assert sig.created == T0
    assert struct.unpack(">I", sig.hashed[0].body)[0] == int(T0.timestamp())


def test_misplaced_key_revocation_is_moved_to_the_primary_key(tmp_path: Path) -> None:
    """A 0x20 appended after the user ID (``cat cert.asc rev.asc`` in binary) still revokes."""
    store = Store.at(tmp_path)
    key = gen("misplaced", signing_subkey=True)
    rev = revoke_key(key.secret_key, passphrase=None, reason="compromised", now=T0)
    data = cert_to_bytes(one(key.certificate)) + bytes(armor.decode(rev.revocation).data)
    assert statuses(import_keys(store, [("cat", data)])) == ["new"]
    stored = store.load().certs[key.fingerprint]
    assert [s.sig_type for s in stored.direct] == [0x20]
    assert info(store.load(), key.fingerprint, T0)["validity"] == "revoked"


def _fake_certification(n: int) -> bytes:
    """A well-formed 0x10 by an unknown issuer (its signature cannot be checked, so it is kept)."""
    from pgpsig.openpgp.write import packet_header, subpacket

    issuer = hashlib.sha1(b"flood %d" % n).digest()  # noqa: S324
    hashed = subpacket(2, struct.pack(">I", int(T0.timestamp()))) + subpacket(33, b"\x04" + issuer)
    body = (
        bytes([4, 0x10, 22, 10])
        + struct.pack(">H", len(hashed))
        + hashed
        + b"\x00\x00"
        + b"\x12\x34"
        + b"\x00\x08\xff\x00\x08\xff"
    )
    return packet_header(2, len(body)) + body


def test_import_refuses_to_grow_a_certificate_past_the_packet_limit(tmp_path: Path) -> None:
    """Certificate flooding: a merge that could not be read back is refused, the store keeps its copy."""
    store = Store.at(tmp_path)
    key = gen("flooded")
    base = cert_to_bytes(one(key.certificate))
    first = base + b"".join(_fake_certification(i) for i in range(12_000))
    second = base + b"".join(_fake_certification(i) for i in range(12_000, 24_000))
    assert statuses(import_keys(store, [("first", first)])) == ["new"]
    r = import_keys(store, [("second", second)])
    assert statuses(r) == ["rejected"]
    assert "flooded" in r.items[0].details[-1]
    ring = store.load()
    assert not ring.problems
    assert len(ring.certs[key.fingerprint].uids[0].signatures) == 12_001


def test_revocation_before_its_certificate_in_one_import(tmp_path: Path) -> None:
    store = Store.at(tmp_path)
    key = gen("order")
    rev = revoke_key(key.secret_key, passphrase=None, reason="compromised", now=T0)
    r = import_keys(store, [("rev", rev.revocation), ("cert", key.certificate)])
    assert statuses(r) == ["new", "updated"]
    assert info(store.load(), key.fingerprint, T0)["validity"] == "revoked"


def test_certifications_by_revoked_or_expired_issuers_do_not_count() -> None:
    dev = gen("dev")
    ring = Keyring()
    issuers = {}
    for label, kw in (("ok", {}), ("shortlived", {"expires_after": 3600})):
        m = gen(label, **kw)
        issuers[label] = m
        ring.add(one(m.certificate))
        c = certify(
            dev.certificate,
            m.secret_key,
            passphrase=None,
            now=T0 + timedelta(minutes=1),
            policy=POLICY,
        )
        ring.add(one(c.certificate))
    hard = gen("hard")
    ring.add(one(hard.certificate))
    ring.add(
        one(
            certify(
                dev.certificate, hard.secret_key, passphrase=None, now=T0, policy=POLICY
            ).certificate
        )
    )
    rev = revoke_key(hard.secret_key, passphrase=None, reason="compromised", now=T0 + timedelta(2))
    ring.add_all(read_certs(cert_to_bytes(one(hard.certificate))))
    ring.certs[hard.fingerprint].direct.extend(read_key_material(rev.revocation).signatures)
    d = info(ring, dev.fingerprint, T0 + timedelta(days=3))
    status = {c["issuer"]: c["status"] for c in d["certifications"]}
    assert status == {
        issuers["ok"].fingerprint: "valid",
        issuers["shortlived"].fingerprint: "valid",  # it certified while alive; expired since
        hard.fingerprint: "issuer-revoked",
    }
    assert d["certified_by"] == [issuers["ok"].fingerprint, issuers["shortlived"].fingerprint]
    assert info(ring, dev.fingerprint, T0 - timedelta(days=1))["certifications"] == []


@pytest.mark.parametrize("passphrase", [None, b"pw"], ids=["plain", "protected"])
def test_ed25519_seed_with_leading_zero_octets_round_trips(passphrase: bytes | None) -> None:
    """The secret MPI drops leading zero octets; readers must pad it back to 32."""
    seed = b"\0\0" + bytes(range(1, 31))
    key = generate_key(
        "Zero <zero@example.org>",
        now=T0,
        private_keys=[ed25519.Ed25519PrivateKey.from_private_bytes(seed)],
        passphrase=passphrase,
    )
    loaded = load_signing_keys(key.secret_key, passphrase)
    assert loaded[0].fingerprint == key.fingerprint


def test_reports_on_stdout_unless_stdout_carries_the_output(tmp_path: Path) -> None:
    """One voice: what a key command did goes to stdout, but to stderr when the certificate itself
    goes to stdout (no --out); every file written is named."""
    env = _env(tmp_path / "home")
    master, dev = tmp_path / "master.sec.asc", tmp_path / "dev.sec.asc"
    dev_cert = tmp_path / "dev.asc"
    r = run_pgpsig(
        "key", "generate", "--uid", "Dev <d@example.org>", "--out", dev, "--cert-out", dev_cert,
        env=env,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert f"certificate written to {dev_cert}".encode() in r.stdout
    _ok(run_pgpsig("key", "generate", "--uid", "M <m@example.org>", "--out", master, env=env))
    out = tmp_path / "dev.certified.asc"
    r = run_pgpsig("key", "certify", dev_cert, "--with", master, "--out", out, env=env)
    assert r.returncode == 0, r.stderr
    assert b'certified "Dev <d@example.org>" of ' in r.stdout
    assert f"certificate written to {out}".encode() in r.stdout
    assert b"certified" not in r.stderr
    r = run_pgpsig("key", "certify", dev_cert, "--with", master, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert b'pgpsig: certified "Dev <d@example.org>" of ' in r.stderr
