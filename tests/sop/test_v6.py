"""RFC 9580 version 6 keys and signatures through ``pgpsig verify``, ``pgpsig check`` and SOP.

Read in place from the conformance folder: RFC 9580 Appendix A.3 (v6 certificate), A.4 (its
secret key), A.6 (clear-signed, no ``Hash:`` header) and A.7 (inline-signed: a v6 one-pass
signature, literal data, a v6 signature), and rPGP's per-algorithm v6 samples (Ed25519, Ed448,
NIST P-256, RSA; each a secret key and a clear-signed "hello world"). All must verify, and copies
with one octet of signed text changed must not.

Signing: v6 keys make v6 signatures (salted, v6 issuer fingerprint, v6 one-pass packets, frames
without ``Hash:``). No oracle installed for CI reads v6 (gpg 2.2 and Sequoia 1.12 are RFC 4880
implementations), so this file carries messages Sequoia 2 (pysequoia 0.1.35) made with a key
pgpsig generated (pgpsig must accept them), and, when ``pysequoia`` is importable, has it check
what pgpsig makes.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed448, ed25519

from conftest import conformance_path, run_pgpsig
from pgpsig import sop
from pgpsig.certs.keyring import Keyring, read_certs
from pgpsig.errors import PacketError
from pgpsig.keys.generate import generate_key
from pgpsig.openpgp import armor, message, packets, secretkey, write
from pgpsig.openpgp.packets import parse_certs, parse_signature
from pgpsig.openpgp.secretkey import PassphraseError, load_signing_keys
from pgpsig.openpgp.signing import sign_cleartext, sign_detached, signature_body, signature_packet
from pgpsig.openpgp.signingkey import make_signing_key
from pgpsig.openpgp.write import subpacket
from pgpsig.policy import policy_named
from pgpsig.report import SigStatus
from pgpsig.verify import verify_clearsigned, verify_detached

PGPSIG_SOP = [sys.executable, "-c", "from pgpsig.cli import sop_main; sop_main()"]
A3_FPR = "CB186C4F0609A697E4D52DFA6C722B0C1F1E27C18A56708F6525EC27BAD9ACC9"
GROCERY = b"What we need from the grocery store:\n\n- tofu\n- vegetables\n- noodles\n"
LATER = datetime(2030, 1, 1, tzinfo=timezone.utc)
POLICY = policy_named("default")


def appendix(name: str) -> Path:
    base = conformance_path()
    if base is None:
        pytest.skip("conformance data not found (set PGPSIG_CONFORMANCE)")
    return base / "openpgp" / "rfc9580-appendix-a" / name


def rpgp_cases() -> list[str]:
    base = conformance_path()
    if base is None:
        return []
    return sorted(
        p.name for p in (base / "openpgp" / "rpgp" / "rfc9580-hello").iterdir() if p.is_dir()
    )


def rpgp(case: str) -> Path:
    base = conformance_path()
    assert base is not None
    return base / "openpgp" / "rpgp" / "rfc9580-hello" / case


def sop_run(
    *args: str, stdin: bytes = b"", cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    r = subprocess.run([*PGPSIG_SOP, *args], input=stdin, capture_output=True, cwd=cwd, check=False)
    assert b"Traceback" not in r.stderr, r.stderr.decode(errors="replace")
    return r


def ring_of(*paths: Path) -> Keyring:
    ring = Keyring()
    for p in paths:
        ring.add_all(read_certs(p.read_bytes()))
    return ring


# --------------------------------------------------------------------------------------------------
# RFC 9580 Appendix A


def test_a6_clearsigned_verifies() -> None:
    r = run_pgpsig(
        "verify",
        appendix("rfc9580-A6-cleartext-signed.asc"),
        "--keyring",
        appendix("rfc9580-A3-v6-cert.asc"),
        "--json",
    )
    assert r.returncode == 0, r.stderr
    (sig,) = json.loads(r.stdout)["signatures"]
    assert sig["status"] == "good"
    assert sig["signer"] == sig["primary"] == A3_FPR
    assert sig["created"] == "2022-12-13T16:08:03Z"
    assert sig["hash_algorithm"] == "SHA512"


def test_a6_has_no_hash_header() -> None:
    assert b"Hash:" not in appendix("rfc9580-A6-cleartext-signed.asc").read_bytes()


@pytest.mark.parametrize(("old", "new"), [(b"- - tofu", b"- - tofo"), (b"noodles", b"Noodles")])
def test_a6_tampered_fails(tmp_path: Path, old: bytes, new: bytes) -> None:
    bad = tmp_path / "a6.asc"
    data = appendix("rfc9580-A6-cleartext-signed.asc").read_bytes()
    assert old in data
    bad.write_bytes(data.replace(old, new))
    r = run_pgpsig("verify", bad, "--keyring", appendix("rfc9580-A3-v6-cert.asc"), "--json")
    assert r.returncode == 1
    assert json.loads(r.stdout)["signatures"][0]["status"] == "bad"


def test_a6_through_sop_inline_verify_and_detach(tmp_path: Path) -> None:
    cert = str(appendix("rfc9580-A3-v6-cert.asc"))
    msg = appendix("rfc9580-A6-cleartext-signed.asc").read_bytes()
    r = sop_run("inline-verify", "--verifications-out=v.txt", cert, stdin=msg, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == GROCERY + b"\n"  # the signed text, then the final LF (as gpgv and sqop)
    assert (tmp_path / "v.txt").read_text() == f"2022-12-13T16:08:03Z {A3_FPR} {A3_FPR} mode:text\n"
    d = sop_run("inline-detach", "--signatures-out=sig.asc", stdin=msg, cwd=tmp_path)
    assert d.returncode == 0, d.stderr
    assert d.stdout == GROCERY  # exactly the signed text (its last line break is signed)
    v = sop_run("verify", "sig.asc", cert, stdin=d.stdout, cwd=tmp_path)
    assert v.returncode == 0, v.stderr
    assert v.stdout.decode().split()[1:] == [A3_FPR, A3_FPR, "mode:text"]


def test_a7_inline_signed_verifies(tmp_path: Path) -> None:
    cert = str(appendix("rfc9580-A3-v6-cert.asc"))
    msg = appendix("rfc9580-A7-inline-signed.asc").read_bytes()
    r = sop_run("inline-verify", "--verifications-out=v.txt", cert, stdin=msg, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == GROCERY
    assert (tmp_path / "v.txt").read_text() == f"2022-12-13T16:08:03Z {A3_FPR} {A3_FPR} mode:text\n"
    parsed = message.parse_inline(armor.decode(msg).data)
    (ops,) = parsed.one_pass
    (sig,) = parsed.signatures
    assert (ops.version, ops.issuer, ops.salt) == (6, A3_FPR, sig.salt)
    assert parsed.literal.format == "u"


@pytest.mark.parametrize("where", ["literal", "signature-salt"])
def test_a7_tampered_fails(tmp_path: Path, where: str) -> None:
    cert = str(appendix("rfc9580-A3-v6-cert.asc"))
    binary = armor.decode(appendix("rfc9580-A7-inline-signed.asc").read_bytes()).data
    parsed = message.parse_inline(binary)
    if where == "literal":
        bad = binary.replace(b"tofu", b"tofo")
    else:  # the salt in the signature packet (the one-pass packet keeps the original)
        salt = parsed.signatures[0].salt
        at = binary.rindex(salt)
        bad = binary[:at] + bytes([salt[0] ^ 1]) + binary[at + 1 :]
    assert bad != binary
    r = sop_run("inline-verify", cert, stdin=armor.encode("PGP MESSAGE", bad), cwd=tmp_path)
    assert r.returncode == 3, r.stderr
    assert r.stdout == b"", "no data is written when nothing verifies"


def test_a3_self_signature_must_verify() -> None:
    """A v6 certificate whose direct-key self-signature (0x9B key prefix) is corrupt is invalid."""
    cert_bytes = armor.decode(appendix("rfc9580-A3-v6-cert.asc").read_bytes()).data
    (cert,) = parse_certs(cert_bytes)
    (direct,) = cert.direct
    material = direct.material
    assert isinstance(material, bytes)
    broken = direct.raw[: -len(material)] + bytes([material[0] ^ 1]) + material[1:]
    bad_cert = cert_bytes.replace(direct.raw, broken)
    ring = Keyring()
    ring.add_all(parse_certs(bad_cert))
    good_ring = Keyring()
    good_ring.add_all(parse_certs(cert_bytes))
    msg = appendix("rfc9580-A6-cleartext-signed.asc").read_bytes()
    good = verify_clearsigned(msg, good_ring, policy=POLICY, now=LATER)
    assert good.ok
    report = verify_clearsigned(msg, ring, policy=POLICY, now=LATER)
    assert not report.ok
    assert report.signatures[0].status is SigStatus.INVALID_KEY


def test_a4_secret_key_is_read_by_pgpsig() -> None:
    (key,) = [
        k
        for k in load_signing_keys(appendix("rfc9580-A4-v6-secret-key.asc").read_bytes())
        if k.is_primary
    ]
    assert key.version == 6
    assert key.fingerprint == A3_FPR
    assert key.key_id == A3_FPR[:16]
    assert isinstance(key.private_key, ed25519.Ed25519PrivateKey)


def test_module_signed_with_v6_key_checks(tmp_path: Path) -> None:
    """``pgpsig sign`` with the A.4 key and ``pgpsig check`` with the A.3 certificate."""
    mod = tmp_path / "hello"
    (mod / "sub").mkdir(parents=True)
    (mod / "hello.php").write_text("<?php echo 'hello';\n")
    (mod / "sub" / "data.txt").write_text("data\n")
    (mod / "module.xml").write_text(
        "<module><rawname>hello</rawname><version>1.0</version></module>\n"
    )
    r = run_pgpsig("sign", mod, "--key", appendix("rfc9580-A4-v6-secret-key.asc"), "--json")
    assert r.returncode == 0, r.stderr
    sig_text = (mod / "module.sig").read_bytes()
    assert b"Hash:" not in sig_text, "a v6 frame has no Hash header"
    check = (
        "check",
        mod,
        "--keyring",
        appendix("rfc9580-A3-v6-cert.asc"),
        "--trust-root",
        A3_FPR,
        "--json",
    )
    r = run_pgpsig(*check)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    (m,) = json.loads(r.stdout)["modules"]
    assert m["status"] == 129
    assert m["signature"]["signer"] == A3_FPR
    (mod / "hello.php").write_text("<?php echo 'changed';\n")
    r = run_pgpsig(*check)
    assert r.returncode == 1
    assert json.loads(r.stdout)["modules"][0]["status"] == 130


# --------------------------------------------------------------------------------------------------
# rPGP's per-algorithm v6 samples


@pytest.mark.skipif(not rpgp_cases(), reason="conformance data not found (set PGPSIG_CONFORMANCE)")
@pytest.mark.parametrize("case", rpgp_cases())
def test_rpgp_sample_verifies(case: str, tmp_path: Path) -> None:
    d = rpgp(case)
    r = run_pgpsig("verify", d / "csf.msg", "--keyring", d / "tsk.asc", "--json")
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    (sig,) = json.loads(r.stdout)["signatures"]
    assert sig["status"] == "good"
    assert len(sig["signer"]) == (40 if case.startswith("v4") else 64)
    cert = sop_run("extract-cert", stdin=(d / "tsk.asc").read_bytes())
    assert cert.returncode == 0, cert.stderr
    (tmp_path / "cert.asc").write_bytes(cert.stdout)
    v = sop_run("inline-verify", "cert.asc", stdin=(d / "csf.msg").read_bytes(), cwd=tmp_path)
    assert v.returncode == 0, v.stderr
    assert v.stdout == b"hello world\n\n"


@pytest.mark.skipif(not rpgp_cases(), reason="conformance data not found (set PGPSIG_CONFORMANCE)")
@pytest.mark.parametrize("case", rpgp_cases())
def test_rpgp_sample_tampered_fails(case: str, tmp_path: Path) -> None:
    d = rpgp(case)
    data = (d / "csf.msg").read_bytes()
    bad = tmp_path / "csf.msg"
    bad.write_bytes(data.replace(b"hello world", b"hello World", 1))
    assert bad.read_bytes() != data
    r = run_pgpsig("verify", bad, "--keyring", d / "tsk.asc", "--json")
    assert r.returncode == 1
    assert json.loads(r.stdout)["signatures"][0]["status"] == "bad"


@pytest.mark.skipif(not rpgp_cases(), reason="conformance data not found (set PGPSIG_CONFORMANCE)")
@pytest.mark.parametrize("case", [c for c in rpgp_cases() if c.startswith("v6")])
def test_sop_signs_with_rpgp_v6_keys(case: str, tmp_path: Path) -> None:
    """pgpsig's own v6 secret-key reader, and v6 signing with Ed25519, Ed448, ECDSA and RSA."""
    d = rpgp(case)
    (tmp_path / "key.asc").write_bytes((d / "tsk.asc").read_bytes())
    (tmp_path / "cert.asc").write_bytes(
        sop_run("extract-cert", stdin=(d / "tsk.asc").read_bytes()).stdout
    )
    data = b"signed with an rPGP v6 key\n"
    for args in (("sign",), ("sign", "--as=text")):
        sig = sop_run(*args, "key.asc", stdin=data, cwd=tmp_path)
        assert sig.returncode == 0, sig.stderr
        (tmp_path / "sig.asc").write_bytes(sig.stdout)
        (s,) = packets.parse_signatures(armor.decode(sig.stdout).data)
        assert s.version == 6
        assert len(s.salt) == {8: 16, 9: 24, 10: 32}[s.hash_algorithm]
        v = sop_run("verify", "sig.asc", "cert.asc", stdin=data, cwd=tmp_path)
        assert v.returncode == 0, v.stderr
        assert (
            sop_run("verify", "sig.asc", "cert.asc", stdin=data + b"!", cwd=tmp_path).returncode
            == 3
        )
    for mode in ("binary", "text", "clearsigned"):
        m = sop_run("inline-sign", f"--as={mode}", "key.asc", stdin=data, cwd=tmp_path)
        assert m.returncode == 0, m.stderr
        if mode == "clearsigned":
            assert b"Hash:" not in m.stdout
        v = sop_run("inline-verify", "cert.asc", stdin=m.stdout, cwd=tmp_path)
        assert v.returncode == 0, v.stderr
        assert v.stdout == data


# --------------------------------------------------------------------------------------------------
# Keys pgpsig makes and signatures it makes


def test_sop_generates_v6_keys(tmp_path: Path) -> None:
    (tmp_path / "pw").write_bytes(b"sesame\n")
    for extra in ((), ("--with-key-password=pw",)):
        key = sop_run(
            "generate-key", "--profile=rfc9580", *extra, "Six <six@example.org>", cwd=tmp_path
        )
        assert key.returncode == 0, key.stderr
        binary = armor.decode(key.stdout).data
        first = next(packets.iter_packets(binary))
        assert (first.tag, first.body[0], first.body[5]) == (5, 6, 27)
        (tmp_path / "k.asc").write_bytes(key.stdout)
        (tmp_path / "c.asc").write_bytes(sop_run("extract-cert", stdin=key.stdout).stdout)
        (cert,) = read_certs((tmp_path / "c.asc").read_bytes())
        assert len(cert.fingerprint) == 64
        assert [s.sig_type for s in cert.direct] == [0x1F]
        sign = sop_run("sign", *extra, "k.asc", stdin=b"data", cwd=tmp_path)
        assert sign.returncode == 0, sign.stderr
        if extra:
            assert sop_run("sign", "k.asc", stdin=b"data", cwd=tmp_path).returncode == 67
        (tmp_path / "s.asc").write_bytes(sign.stdout)
        assert sop_run("verify", "s.asc", "c.asc", stdin=b"data", cwd=tmp_path).returncode == 0
        for name in ("k.asc", "c.asc", "s.asc"):
            (tmp_path / name).unlink()


def test_protected_v6_secret_key_round_trip() -> None:
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    key = make_signing_key(ed448.Ed448PrivateKey.generate(), created=now, version=6)
    pub = packets.parse_public_key(key.public_packet_body)[0]
    selfsig = signature_packet(
        key,
        pub.hash_prefix(),
        sig_type=0x1F,
        created=now,
        hash_name="SHA512",
        extra_hashed_subpackets=[subpacket(27, b"\x03")],
    )
    body = secretkey.secret_key_packet_body(key, b"sesame")
    tsk = write.packet_header(5, len(body)) + body + selfsig
    assert body[len(key.public_packet_body)] == 254
    (loaded,) = load_signing_keys(tsk, b"sesame")
    assert loaded.fingerprint == key.fingerprint
    assert loaded.key_flags == 3
    with pytest.raises(PassphraseError):
        load_signing_keys(tsk, b"wrong")
    with pytest.raises(PassphraseError):
        load_signing_keys(tsk)
    plain = secretkey.secret_key_packet_body(key)
    assert plain == key.public_packet_body + b"\x00" + key.private_key.private_bytes_raw()


def test_v6_signing_subkey_needs_its_back_signature() -> None:
    """A v6 signing subkey (Ed448 under an Ed25519 primary) with and without its 0x19."""
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    primary = make_signing_key(ed25519.Ed25519PrivateKey.generate(), created=now, version=6)
    sub = make_signing_key(
        ed448.Ed448PrivateKey.generate(),
        created=now,
        version=6,
        primary_fingerprint=primary.fingerprint,
    )
    p_pub = packets.parse_public_key(primary.public_packet_body)[0]
    s_pub = packets.parse_public_key(sub.public_packet_body, is_subkey=True)[0]
    pair = p_pub.hash_prefix() + s_pub.hash_prefix()
    assert pair.startswith(b"\x9b" + struct.pack(">I", len(primary.public_packet_body)))
    direct = signature_packet(
        primary,
        p_pub.hash_prefix(),
        sig_type=0x1F,
        created=now,
        hash_name="SHA512",
        extra_hashed_subpackets=[subpacket(27, b"\x01")],
    )
    back = signature_body(sub, pair, sig_type=0x19, created=now, hash_name="SHA512")

    def cert(with_back: bool) -> Keyring:
        extra = [subpacket(27, b"\x02")] + ([subpacket(32, back)] if with_back else [])
        binding = signature_packet(
            primary,
            pair,
            sig_type=0x18,
            created=now,
            hash_name="SHA512",
            extra_hashed_subpackets=extra,
        )
        data = (
            write.packet_header(6, len(primary.public_packet_body))
            + primary.public_packet_body
            + direct
            + write.packet_header(14, len(sub.public_packet_body))
            + sub.public_packet_body
            + binding
        )
        ring = Keyring()
        ring.add_all(parse_certs(data))
        return ring

    sig = sign_detached(b"data", sub, created=now)
    (parsed,) = packets.parse_signatures(sig)
    assert (parsed.version, parsed.pubkey_algorithm, len(parsed.material)) == (6, 28, 114)
    good = verify_detached(b"data", sig, cert(True), policy=POLICY, now=LATER)
    assert good.ok
    assert good.signatures[0].signer == sub.fingerprint
    assert good.signatures[0].primary == primary.fingerprint
    bad = verify_detached(b"data", sig, cert(False), policy=POLICY, now=LATER)
    assert bad.signatures[0].status is SigStatus.INVALID_KEY


def test_v6_salt_must_fit_the_hash() -> None:
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    key = make_signing_key(ed25519.Ed25519PrivateKey.generate(), created=now, version=6)
    with pytest.raises(ValueError, match="salt"):
        signature_packet(key, b"x", sig_type=0, created=now, hash_name="SHA512", salt=b"\0" * 16)
    body = signature_body(key, b"x", sig_type=0, created=now, hash_name="SHA256", salt=b"\1" * 16)
    sig = parse_signature(body)
    assert sig.salt == b"\1" * 16
    assert sig.issuer_fingerprints == (key.fingerprint,)
    assert sig.unhashed == ()  # no issuer key ID in a v6 signature
    wrong = body.replace(b"\x10" + b"\1" * 16, b"\x18" + b"\1" * 24)
    with pytest.raises(PacketError, match="salt"):
        parse_signature(wrong)
    v4 = make_signing_key(ed25519.Ed25519PrivateKey.generate(), created=now)
    with pytest.raises(ValueError, match="salt"):
        signature_packet(v4, b"x", sig_type=0, created=now, salt=b"\0" * 16)


def test_mixed_v4_and_v6_clear_signed_frame(tmp_path: Path) -> None:
    now = datetime.now(timezone.utc)
    v4 = sop.generate_key(["Four <4@example.org>"], now=now)
    v6 = sop.generate_key(["Six <6@example.org>"], now=now, profile="rfc9580")
    signed = sop.inline_sign(b"both\n", [v4, v6], now=now, mode="clearsigned")
    assert b"Hash: SHA512\n" in signed  # the v4 signature's hash only
    certs = [sop.extract_cert(v4), sop.extract_cert(v6)]
    text, found = sop.inline_verify(signed, certs, now=now)
    assert text == b"both\n"
    assert sorted(len(v.primary_fingerprint) for v in found) == [40, 64]


# --------------------------------------------------------------------------------------------------
# Sequoia 2 and pgpsig's v6 keys

#: Made by pysequoia 0.1.35 (Sequoia 2) with the v6 key that ``_deterministic_v6_key`` makes
#: (``Tsk.from_file`` of it, then ``sign(..., mode=INLINE | CLEAR | DETACHED)``).
SEQUOIA_SIGNED = b"Signed by Sequoia with a key made by pgpsig.\n"
SEQUOIA_INLINE = b"""-----BEGIN PGP MESSAGE-----

xEYGAAobIPSNHhLBnm9Fz18ozQ/FU289Nc0n5SKONTZxbzyq1WhklA1818Awu20i
TL5bT5jnlXGcEX9uSSrTe/IbUBjV0OYByzNiAAAAAABTaWduZWQgYnkgU2VxdW9p
YSB3aXRoIGEga2V5IG1hZGUgYnkgcGdwc2lnLgrCmAYAGwoAAAApBYJrAuSYIiEG
lA1818Awu20iTL5bT5jnlXGcEX9uSSrTe/IbUBjV0OYAAAAAH2Ag9I0eEsGeb0XP
XyjND8VTbz01zSflIo41NnFvPKrVaGTN24w2ZQPOFzkfLGIFsnXVbb+UFjDRR5tU
RIc9ckuXvq4ZR0wL6b45i+FlB7GsmCslz0udGWdZdvCpFwkUmy0I
-----END PGP MESSAGE-----
"""
SEQUOIA_CLEAR = b"""-----BEGIN PGP SIGNED MESSAGE-----

Signed by Sequoia with a key made by pgpsig.

-----BEGIN PGP SIGNATURE-----

wpgGARsKAAAAKQWCawLkmCIhBpQNfNfAMLttIky+W0+Y55VxnBF/bkkq03vyG1AY
1dDmAAAAALseIFyjUopCrvlVOgEWfAUSb1MDxsdnD7/9KE9KKOU8eNPxsF2UuwIm
H6o40mdlnnkKc9mIFwmoYrfhA9OSQQPLYWf1+kiGHwP+7NFxGo/9E7QU7orvQaf8
ADVSfhRP3dKBAA==
=nPgQ
-----END PGP SIGNATURE-----
"""
SEQUOIA_DETACHED = b"""-----BEGIN PGP SIGNATURE-----

wpgGABsKAAAAKQWCawLkmCIhBpQNfNfAMLttIky+W0+Y55VxnBF/bkkq03vyG1AY
1dDmAAAAAHcGIJytp17kb1YF0BK7/V+BIpFrD363AfPzKMWcxmOnE6pNhI2rs9PK
pCAymQyGccLzvtjDDJChjvWcgi6qNy78sfgeGGMaC4dzCZx1J20tlW1tE2zLeEWR
HMEEnVPYl8uoDg==
-----END PGP SIGNATURE-----
"""


def _deterministic_v6_key() -> bytes:
    private = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    return sop.generate_key(
        ["pgpsig v6 test <v6@example.org>"],
        now=datetime(2024, 1, 1, tzinfo=timezone.utc),
        profile="rfc9580",
        private_key=private,
    )


def test_sequoia_signatures_with_a_pgpsig_v6_key_verify() -> None:
    cert = sop.extract_cert(_deterministic_v6_key())
    (c,) = read_certs(cert)
    assert c.fingerprint == "940D7CD7C030BB6D224CBE5B4F98E795719C117F6E492AD37BF21B5018D5D0E6"
    data, found = sop.inline_verify(SEQUOIA_INLINE, [cert], now=LATER)
    assert data == SEQUOIA_SIGNED
    assert [v.mode for v in found] == ["binary"]
    text, found = sop.inline_verify(SEQUOIA_CLEAR, [cert], now=LATER)
    # Sequoia 2 signs the text's final line break (the frame then has an empty last line);
    # inline-verify writes the signed text plus the frame's LF, as gpgv and sqop 0.27 do.
    assert text == SEQUOIA_SIGNED + b"\n"
    assert sop.inline_detach(SEQUOIA_CLEAR)[0] == SEQUOIA_SIGNED
    assert [v.mode for v in found] == ["text"]
    found = sop.verify(SEQUOIA_SIGNED, SEQUOIA_DETACHED, [cert], now=LATER)
    assert [v.primary_fingerprint for v in found] == [c.fingerprint]
    with pytest.raises(sop.SopError) as e:
        sop.verify(SEQUOIA_SIGNED + b"!", SEQUOIA_DETACHED, [cert], now=LATER)
    assert e.value.code is sop.SopExit.NO_SIGNATURE


def test_sequoia_checks_what_pgpsig_makes() -> None:
    """Optional oracle (not installed in CI): Sequoia 2 through pysequoia verifies pgpsig's v6 output."""
    pysequoia = pytest.importorskip(
        "pysequoia", reason="pysequoia (Sequoia 2, reads v6) not installed"
    )
    now = datetime.now(timezone.utc)
    key = _deterministic_v6_key()
    cert = pysequoia.Cert.from_bytes(sop.extract_cert(key))
    data = b"made by pgpsig\n"
    for mode in ("binary", "text", "clearsigned"):
        signed = sop.inline_sign(data, [key], now=now, mode=mode)
        result = pysequoia.verify(signed, lambda _ids: [cert])
        assert len(result.valid_sigs) == 1, mode
    sig, _ = sop.sign(data, [key], now=now)
    result = pysequoia.verify(
        bytes=data, store=lambda _ids: [cert], signature=pysequoia.Sig.from_bytes(sig)
    )
    assert len(result.valid_sigs) == 1


# --------------------------------------------------------------------------------------------------
# v6 keys made by the library's key generator (pgpsig.keys.generate, profile "v6")


def test_library_v6_key_signs_a_module(tmp_path: Path) -> None:
    """``generate_key(profile="v6")`` with a signing subkey: ``pgpsig sign`` and ``check`` agree."""
    key = generate_key(
        "Six <six@example.org>",
        now=datetime.now(timezone.utc),
        profile="v6",
        signing_subkey=True,
    )
    (tmp_path / "key.asc").write_bytes(key.secret_key)
    (tmp_path / "cert.asc").write_bytes(key.certificate)
    mod = tmp_path / "six"
    mod.mkdir()
    (mod / "six.php").write_text("<?php echo 6;\n")
    (mod / "module.xml").write_text("<module><rawname>six</rawname></module>\n")
    r = run_pgpsig("sign", mod, "--key", tmp_path / "key.asc", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["signer"] == key.signing_fingerprint
    assert b"Hash:" not in (mod / "module.sig").read_bytes()
    check = ("check", mod, "--keyring", tmp_path / "cert.asc", "--trust-root", key.fingerprint)
    r = run_pgpsig(*check, "--json")
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    (m,) = json.loads(r.stdout)["modules"]
    assert (m["status"], m["signature"]["signer"]) == (129, key.signing_fingerprint)


@pytest.mark.parametrize(("algorithm", "subkey"), [("ed25519", True), ("rsa3072", False)])
def test_sequoia_checks_a_library_v6_key(algorithm: str, subkey: bool) -> None:
    """Optional oracle (not installed in CI): Sequoia 2 reads a library v6 key and its signatures."""
    pysequoia = pytest.importorskip(
        "pysequoia", reason="pysequoia (Sequoia 2, reads v6) not installed"
    )
    now = datetime.now(timezone.utc)
    key = generate_key(
        "Six <six@example.org>",
        now=now,
        algorithm=algorithm,
        profile="v6",
        signing_subkey=subkey,
        passphrase=b"sesame",
    )
    cert = pysequoia.Cert.from_bytes(key.certificate)
    assert cert.fingerprint.upper() == key.fingerprint
    signer = next(
        k
        for k in load_signing_keys(key.secret_key, b"sesame")
        if k.fingerprint == key.signing_fingerprint
    )
    data = b"made by a pgpsig v6 key\n"
    sig = sign_detached(data, signer, created=now)
    result = pysequoia.verify(
        bytes=data, store=lambda _ids: [cert], signature=pysequoia.Sig.from_bytes(sig)
    )
    assert len(result.valid_sigs) == 1
    clear = sign_cleartext(data, signer, created=now)
    assert len(pysequoia.verify(clear, lambda _ids: [cert]).valid_sigs) == 1
    # Sequoia unlocks the protected v6 key and signs; pgpsig verifies.
    signer_by_sequoia = pysequoia.Tsk.from_bytes(key.secret_key).signer("sesame")
    theirs = pysequoia.sign(signer_by_sequoia, data, mode=pysequoia.SignatureMode.DETACHED)
    ring = Keyring()
    ring.add_all(read_certs(key.certificate))
    report = verify_detached(data, theirs, ring, policy=POLICY, now=LATER)
    assert report.ok
    assert report.signatures[0].signer == key.signing_fingerprint
