"""Signing keys (PGPy adapter) and our own v4 signatures, checked by gpgv, sqv and sqop.

Keys are made by gpg at test time in a temporary GNUPGHOME (one session fixture), exported as
secret keys, loaded with ``load_signing_keys`` and used to sign; the independent implementations
must then accept every signature. The file runs with warnings as errors: PGPy's noise must be
silenced by ``pgpsig.openpgp._pgpy`` itself.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from conftest import require_oracle
from pgpsig.errors import (
    ArmorError,
    InputError,
    PacketError,
    PgpsigError,
    UnsupportedError,
)
from pgpsig.openpgp import clearsign, packets, signing, write
from pgpsig.openpgp.secretkey import PassphraseError, load_signing_keys
from pgpsig.openpgp.signing import sign_cleartext, sign_detached, signature_body, signature_packet
from pgpsig.openpgp.signingkey import PrivateKey, SigningKey, best_hash, make_signing_key
from pgpsig.openpgp.write import HashSink, key_hash_input, subpacket, user_id_hash_input

pytestmark = pytest.mark.filterwarnings("error")

#: gpg makes every key at this (faked) time, so signature times below are fixed, not "now".
KEYS_CREATED = datetime(2024, 1, 1, tzinfo=timezone.utc)
SIG_TIME = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)
PASSPHRASE = b"correct horse battery staple"

Oracle = Callable[[str], str]


# --------------------------------------------------------------------------------------------------
# Keys made by gpg, once per session


@dataclass(frozen=True)
class GpgKey:
    """A secret key made by gpg: its export and what gpg says about it."""

    label: str
    secret: bytes  # armored export
    passphrase: bytes | None
    fingerprints: tuple[str, ...]  # primary first, then subkeys, as gpg lists them
    signer: str  # fingerprint of the key meant to sign (the primary or the signing subkey)
    algorithm: int
    bits: int
    best_hash: str

    @property
    def primary(self) -> str:
        return self.fingerprints[0]


# label: (gpg algorithm of the primary, usage, passphrase, extra subkeys, OpenPGP algo, bits, hash)
KEY_SPECS: dict[str, tuple[str, str, bytes | None, tuple[tuple[str, str], ...], int, int, str]] = {
    "ed25519": ("ed25519", "sign", None, (), 22, 256, "SHA512"),
    "rsa2048": ("rsa2048", "sign", None, (), 1, 2048, "SHA256"),
    "rsa3072-passphrase": ("rsa3072", "sign", PASSPHRASE, (), 1, 3072, "SHA512"),
    "nistp256": ("nistp256", "sign", None, (), 19, 256, "SHA256"),
    "nistp384": ("nistp384", "sign", None, (), 19, 384, "SHA384"),
    "nistp521-passphrase": ("nistp521", "sign", PASSPHRASE, (), 19, 521, "SHA512"),
    "dsa2048": ("dsa2048", "sign", None, (), 17, 2048, "SHA256"),
    # A certify-only primary with a signing subkey and an encryption subkey; the subkey signs.
    "ed25519-signing-subkey": (
        "ed25519",
        "cert",
        PASSPHRASE,
        (("ed25519", "sign"), ("cv25519", "encr")),
        22,
        256,
        "SHA512",
    ),
}


@dataclass(frozen=True)
class GpgHome:
    """The session's GnuPG home, its keys, and a keyring file of all their certificates."""

    home: Path
    keyring: Path
    keys: dict[str, GpgKey]
    env: dict[str, str]

    def gpg(self, *args: str, stdin: bytes | None = None) -> bytes:
        r = subprocess.run(
            [require_oracle("gpg"), "--batch", "--pinentry-mode", "loopback", *args],
            input=stdin,
            capture_output=True,
            env=self.env,
            check=False,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr.decode(errors="replace")
        return r.stdout


@pytest.fixture(scope="session")
def gpg_home(tmp_path_factory: pytest.TempPathFactory) -> GpgHome:
    require_oracle("gpg")
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    env = {**os.environ, "GNUPGHOME": str(home), "TZ": "UTC"}
    g = GpgHome(home=home, keyring=home / "certs.pgp", keys={}, env=env)
    fake = ["--faked-system-time", KEYS_CREATED.strftime("%Y%m%dT%H%M%S!")]
    for label, (algo, usage, pw, subs, oalgo, bits, hsh) in KEY_SPECS.items():
        pw_args = ["--passphrase", (pw or b"").decode()]
        uid = f"{label} <{label}@example.org>"
        g.gpg(*fake, *pw_args, "--quick-gen-key", uid, algo, usage, "never")
        fprs = _fingerprints(g, uid)
        for sub_algo, sub_usage in subs:
            g.gpg(*fake, *pw_args, "--quick-add-key", fprs[0], sub_algo, sub_usage, "never")
        fprs = _fingerprints(g, uid)
        secret = g.gpg(*pw_args, "--armor", "--export-secret-keys", fprs[0])
        signer = fprs[1] if subs else fprs[0]
        g.keys[label] = GpgKey(label, secret, pw, tuple(fprs), signer, oalgo, bits, hsh)
    g.keyring.write_bytes(g.gpg("--export"))
    return g


def _fingerprints(g: GpgHome, uid: str) -> list[str]:
    out = g.gpg("--with-colons", "--list-secret-keys", uid).decode()
    return [line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:")]


@pytest.fixture(scope="session")
def loaded(gpg_home: GpgHome) -> dict[str, SigningKey]:
    """The signing key of each gpg key, loaded once with ``load_signing_keys``."""
    out = {}
    for label, key in gpg_home.keys.items():
        keys = load_signing_keys(key.secret, key.passphrase)
        (signer,) = [k for k in keys if k.fingerprint == key.signer]
        out[label] = signer
    return out


LABELS = list(KEY_SPECS)


@pytest.fixture(scope="session")
def made() -> dict[str, SigningKey]:
    """Keys built here from ``cryptography`` keys, for the tests that need no oracle."""
    return {
        "ed25519": make_signing_key(_ed25519(7), created=KEYS_CREATED),
        "nistp256": make_signing_key(
            ec.derive_private_key(98765432109876543210, ec.SECP256R1()), created=KEYS_CREATED
        ),
        "rsa2048": make_signing_key(rsa.generate_private_key(65537, 2048), created=KEYS_CREATED),
    }


# --------------------------------------------------------------------------------------------------
# Running the oracles


def run(
    *args: str | Path, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(a) for a in args], input=stdin, capture_output=True, check=False, env=env, timeout=60
    )


def gpgv_ok(
    gpgv: str, g: GpgHome, args: list[str | Path], signer: str, primary: str, sig_class: int
) -> bytes:
    """Run gpgv; assert a VALIDSIG by ``signer`` (of ``primary``) at SIG_TIME; return stdout."""
    r = run(gpgv, "--homedir", g.home, "--keyring", g.keyring, "--status-fd", "2", *args, env=g.env)
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 0, err
    valid = re.search(r"^\[GNUPG:\] VALIDSIG (.*)$", err, re.MULTILINE)
    assert valid, err
    fields = valid.group(1).split()
    assert fields[0] == signer
    assert int(fields[2]) == int(SIG_TIME.timestamp())
    assert int(fields[8], 16) == sig_class
    assert fields[9] == primary
    return r.stdout


def sqv_ok(sqv: str, keyring: Path, sig: Path, data: Path, primary: str) -> None:
    """Run sqv; assert success and that it names the certificate (sqv prints the primary)."""
    r = run(sqv, "--keyring", keyring, sig, data)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert r.stdout.decode().split() == [primary]


def sqop_inline_ok(
    sqop: str, cert: Path, message: bytes, signer: str, primary: str, workdir: Path
) -> bytes:
    """Run ``sqop inline-verify``; assert it names signer and primary; return the text."""
    verifications = workdir / "verifications.txt"
    r = run(sqop, "inline-verify", "--verifications-out", verifications, cert, stdin=message)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    line = verifications.read_text().strip()
    assert f" {signer} {primary}" in line, line
    return r.stdout


# --------------------------------------------------------------------------------------------------
# Loading secret keys


@pytest.mark.oracle
@pytest.mark.parametrize("label", LABELS)
def test_load_gpg_secret_key(gpg_home: GpgHome, label: str) -> None:
    key = gpg_home.keys[label]
    keys = load_signing_keys(key.secret, key.passphrase)
    signer = next(k for k in keys if k.fingerprint == key.signer)
    assert signer.primary_fingerprint == key.primary
    assert signer.key_id == key.signer[-16:]
    assert signer.algorithm == key.algorithm
    assert signer.bits == key.bits
    assert signer.created == KEYS_CREATED
    assert best_hash(signer) == key.best_hash
    assert keys[0].fingerprint == key.primary  # primary first
    # Only signing algorithms come back: the cv25519 encryption subkey is left out.
    assert [k.fingerprint for k in keys] == [
        f for f in key.fingerprints if f in {k.fingerprint for k in keys}
    ]
    assert all(k.algorithm != 18 for k in keys)


@pytest.mark.oracle
def test_binary_and_armored_input_give_the_same_keys(gpg_home: GpgHome) -> None:
    key = gpg_home.keys["ed25519"]
    binary = gpg_home.gpg("--export-secret-keys", key.primary)
    a = load_signing_keys(key.secret)
    b = load_signing_keys(binary)
    assert [k.public_packet_body for k in a] == [k.public_packet_body for k in b]


@pytest.mark.oracle
def test_key_flags_hint(gpg_home: GpgHome) -> None:
    key = gpg_home.keys["ed25519-signing-subkey"]
    primary, subkey = load_signing_keys(key.secret, key.passphrase)
    assert primary.is_primary
    assert primary.key_flags == 0x01  # certify only
    assert not subkey.is_primary
    assert subkey.key_flags == 0x02  # sign
    assert load_signing_keys(gpg_home.keys["ed25519"].secret)[0].key_flags == 0x03


@pytest.mark.oracle
def test_stub_primary_from_export_secret_subkeys(
    gpg_home: GpgHome, oracle: Oracle, tmp_path: Path
) -> None:
    """``gpg --export-secret-subkeys`` writes a GnuPG stub for the primary; PGPy's own
    ``unlock()`` fails on it, the adapter skips it and unlocks the subkey."""
    key = gpg_home.keys["ed25519-signing-subkey"]
    data = gpg_home.gpg("--passphrase", PASSPHRASE.decode(), "--export-secret-subkeys", key.primary)
    (subkey,) = load_signing_keys(data, PASSPHRASE)
    assert subkey.fingerprint == key.signer
    assert subkey.primary_fingerprint == key.primary
    assert not subkey.is_primary
    (tmp_path / "d").write_bytes(b"data")
    (tmp_path / "d.sig").write_bytes(sign_detached(b"data", subkey, created=SIG_TIME))
    sqv_ok(oracle("sqv"), gpg_home.keyring, tmp_path / "d.sig", tmp_path / "d", key.primary)


@pytest.mark.oracle
@pytest.mark.parametrize("label", ["rsa3072-passphrase", "ed25519-signing-subkey"])
def test_wrong_or_missing_passphrase(gpg_home: GpgHome, label: str) -> None:
    key = gpg_home.keys[label]
    with pytest.raises(PassphraseError, match="wrong passphrase"):
        load_signing_keys(key.secret, b"not the passphrase")
    with pytest.raises(PassphraseError, match="passphrase is needed"):
        load_signing_keys(key.secret)
    assert issubclass(PassphraseError, InputError)


@pytest.mark.oracle
def test_unprotected_key_ignores_a_passphrase(gpg_home: GpgHome) -> None:
    assert load_signing_keys(gpg_home.keys["ed25519"].secret, b"anything")


@pytest.mark.oracle
def test_certificate_is_not_a_secret_key(gpg_home: GpgHome) -> None:
    cert = gpg_home.gpg("--export", gpg_home.keys["ed25519"].primary)
    with pytest.raises(InputError, match="certificate"):
        load_signing_keys(cert)
    armored = gpg_home.gpg("--armor", "--export", gpg_home.keys["ed25519"].primary)
    with pytest.raises(InputError, match="certificate"):
        load_signing_keys(armored)


@pytest.mark.oracle
def test_two_keys_in_one_file(gpg_home: GpgHome) -> None:
    data = gpg_home.gpg(
        "--export-secret-keys", gpg_home.keys["ed25519"].primary, gpg_home.keys["rsa2048"].primary
    )
    with pytest.raises(InputError, match="more than one key"):
        load_signing_keys(data)


@pytest.mark.oracle
def test_malformed_secret_keys(gpg_home: GpgHome) -> None:
    binary = gpg_home.gpg("--export-secret-keys", gpg_home.keys["ed25519"].primary)
    with pytest.raises(PacketError):
        load_signing_keys(binary[:-10])  # truncated
    with pytest.raises(PacketError):
        load_signing_keys(b"\x00\x01 not OpenPGP at all")  # PGPy "loads" this without a word
    with pytest.raises(PacketError):
        load_signing_keys(b"")
    with pytest.raises(ArmorError):
        load_signing_keys(
            b"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n!!!\n-----END PGP PRIVATE KEY BLOCK-----\n"
        )


@pytest.mark.oracle
def test_corrupt_unprotected_secret_is_refused(gpg_home: GpgHome) -> None:
    """PGPy does not check an unprotected key's checksum; the adapter compares the key pair."""
    binary = bytearray(gpg_home.gpg("--export-secret-keys", gpg_home.keys["ed25519"].primary))
    first = next(packets.iter_packets(bytes(binary)))
    at = bytes(binary).index(first.body) + len(first.body) - 5  # inside the secret scalar
    binary[at] ^= 0x01
    with pytest.raises(PacketError, match="does not match"):
        load_signing_keys(bytes(binary))


def test_secret_key_codec_and_writer_stand_below_the_signer() -> None:
    """No cycle: the codec and the packet writer load without the signing module (no lazy import)."""
    for module in ("pgpsig.openpgp.secretkey", "pgpsig.openpgp.write", "pgpsig.openpgp.signingkey"):
        code = f"import sys, {module}; sys.exit('pgpsig.openpgp.signing' in sys.modules)"
        assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0, module


def test_import_pgpsig_signing_does_not_import_pgpy() -> None:
    code = "import sys, pgpsig.openpgp.signing; sys.exit('pgpy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.xfail(
    strict=True,
    raises=PgpsigError,
    reason="PGPy (PGPym 0.6.2) cannot read RFC 9580 Ed25519 (algorithm 27) secret keys",
)
def test_load_ed25519_algorithm_27_secret_key() -> None:
    private = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    key = make_signing_key(private, created=KEYS_CREATED, algorithm=27)
    seed = bytes(range(32))
    secret_body = key.public_packet_body + b"\x00" + seed + (sum(seed) % 65536).to_bytes(2, "big")
    uid = b"algo27 <algo27@example.org>"
    selfsig = signature_packet(
        key,
        key_hash_input(key.public_packet_body) + user_id_hash_input(uid),
        sig_type=0x13,
        created=KEYS_CREATED,
        hash_name="SHA512",
        extra_hashed_subpackets=[subpacket(27, b"\x03")],
    )
    data = _packet(5, secret_body) + _packet(13, uid) + selfsig
    (loaded_key,) = load_signing_keys(data)
    assert loaded_key.fingerprint == key.fingerprint


# --------------------------------------------------------------------------------------------------
# Clear-signed messages

TEXTS: dict[str, bytes] = {
    "plain": b"hello world\n",
    "trailing-spaces": b"spaces   \nmore \t \nend\n",
    "tabs": b"\tindented\tline\t\n\t\n",
    "crlf": b"one\r\ntwo  \r\nthree\r\n",
    "dash-lines": b"-dash\n- escaped\n--\n-----BEGIN PGP SIGNATURE-----\n-----END\n",
    "from-lines": b"From me\nFrom: header\n>From quoted\nFrom\n",
    "no-final-newline": b"first\nlast line",
    "empty": b"",
    "only-newline": b"\n",
    "blank-lines": b"\n\nmiddle\n\n\n",
    "non-utf8": b"caf\xe9 \xff\xfe\x00nul \x1b[0m\n",
    "longest-line": b"x" * signing.MAX_CLEARTEXT_LINE + b"\n",
    "longest-dash-line": b"-" * (signing.MAX_CLEARTEXT_LINE - 2) + b"\r\n",
    "manifest": (
        b";################################################\n"
        b";#        Signature File                        #\n"
        b";################################################\n"
        b"[config]\nversion=1\nhash=sha256\nsignedwith=ABCDEF0123456789\n"
        b"[hashes]\nmodule.xml = 8d2a1e0b\nfunctions.inc.php = 77f00\n;# End\n"
    ),
}


def expected_output(text: bytes) -> bytes:
    """What a verifier outputs: the text without trailing whitespace, LF endings, a final LF."""
    if text.endswith(b"\n"):
        text = text[:-1]
    lines = text.replace(b"\r\n", b"\n").split(b"\n")
    return b"".join(line.rstrip(b" \t\r") + b"\n" for line in lines)


@pytest.mark.oracle
@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("name", list(TEXTS))
def test_cleartext_verified_by_gpgv_and_sqop(
    gpg_home: GpgHome,
    loaded: dict[str, SigningKey],
    oracle: Oracle,
    tmp_path: Path,
    label: str,
    name: str,
) -> None:
    gpgv, sqop = oracle("gpgv"), oracle("sqop")
    key, text = loaded[label], TEXTS[name]
    message = sign_cleartext(text, key, created=SIG_TIME)
    msg_file = tmp_path / "msg.asc"
    msg_file.write_bytes(message)
    assert f"Hash: {best_hash(key)}\n".encode() in message

    out = gpgv_ok(
        gpgv,
        gpg_home,
        ["--output", "-", msg_file],
        key.fingerprint,
        key.primary_fingerprint,
        0x01,
    )
    assert out.replace(b"\r\n", b"\n") == expected_output(text)
    sq_out = sqop_inline_ok(
        sqop, gpg_home.keyring, message, key.fingerprint, key.primary_fingerprint, tmp_path
    )
    assert sq_out.replace(b"\r\n", b"\n") == expected_output(text)
    # Our own decoder agrees on what was signed.
    body = text[:-1] if text.endswith(b"\n") else text
    assert clearsign.decode(message).canonical == clearsign.canonicalize(body)


@pytest.mark.oracle
@pytest.mark.parametrize("hash_name", ["SHA256", "SHA384", "SHA512", "sha512"])
def test_cleartext_with_each_hash(
    gpg_home: GpgHome, loaded: dict[str, SigningKey], oracle: Oracle, tmp_path: Path, hash_name: str
) -> None:
    key = loaded["ed25519"]
    message = sign_cleartext(b"hash me\n", key, created=SIG_TIME, hash_name=hash_name)
    assert f"Hash: {hash_name.upper()}\n".encode() in message
    (tmp_path / "m.asc").write_bytes(message)
    gpgv_ok(
        oracle("gpgv"), gpg_home, [tmp_path / "m.asc"], key.fingerprint, key.primary_fingerprint, 1
    )


@pytest.mark.oracle
def test_gpg_clearsign_and_ours_frame_the_text_alike(
    gpg_home: GpgHome, loaded: dict[str, SigningKey], tmp_path: Path
) -> None:
    """Same frame as ``gpg --clearsign``: only the armored signature differs."""
    key = gpg_home.keys["ed25519"]
    text = TEXTS["dash-lines"] + TEXTS["from-lines"] + TEXTS["trailing-spaces"]
    (tmp_path / "t").write_bytes(text)
    theirs = gpg_home.gpg(
        "--clearsign", "--digest-algo", "SHA512", "-u", key.primary, "-o", "-", str(tmp_path / "t")
    )
    ours = sign_cleartext(text, loaded["ed25519"], created=SIG_TIME)
    split = b"-----BEGIN PGP SIGNATURE-----"
    assert ours.split(split)[0] == theirs.split(split)[0]


@pytest.mark.parametrize(
    "text",
    [
        b"x" * (signing.MAX_CLEARTEXT_LINE + 1),
        b"ok\n" + b"-" * (signing.MAX_CLEARTEXT_LINE - 1) + b"\nok\n",
        b"From " + b"x" * (signing.MAX_CLEARTEXT_LINE - 6) + b"\r\n\n",
    ],
    ids=["plain", "dash-escaped", "from-escaped"],
)
def test_cleartext_refuses_lines_gpg_cannot_read(made: dict[str, SigningKey], text: bytes) -> None:
    """gpg 2.2 reports a BAD signature when a frame line exceeds its buffer."""
    with pytest.raises(ValueError, match="gpg cannot verify"):
        sign_cleartext(text, made["ed25519"], created=SIG_TIME)


# --------------------------------------------------------------------------------------------------
# Detached signatures

DATA: dict[str, bytes] = {
    "text": b"text  \nwith\r\nmixed endings\n\ttab\t\n",
    "binary": bytes(range(256)) * 4 + b"\r\n\r\r\n",
    "empty": b"",
}


@pytest.mark.oracle
@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("text_mode", [False, True], ids=["binary-sig", "text-sig"])
@pytest.mark.parametrize("name", list(DATA))
def test_detached_verified_by_gpgv_and_sqv(
    gpg_home: GpgHome,
    loaded: dict[str, SigningKey],
    oracle: Oracle,
    tmp_path: Path,
    label: str,
    text_mode: bool,
    name: str,
) -> None:
    key, data = loaded[label], DATA[name]
    if text_mode and name == "binary":
        with pytest.raises(ValueError, match="lone CR"):
            sign_detached(data, key, created=SIG_TIME, text=True)
        return
    sig = sign_detached(io.BytesIO(data), key, created=SIG_TIME, text=text_mode)
    assert sig[0] == 0xC2  # new-format signature packet
    (tmp_path / "d").write_bytes(data)
    (tmp_path / "d.sig").write_bytes(sig)
    cls = 0x01 if text_mode else 0x00
    gpgv_ok(
        oracle("gpgv"),
        gpg_home,
        [tmp_path / "d.sig", tmp_path / "d"],
        key.fingerprint,
        key.primary_fingerprint,
        cls,
    )
    sqv_ok(
        oracle("sqv"), gpg_home.keyring, tmp_path / "d.sig", tmp_path / "d", key.primary_fingerprint
    )


@pytest.mark.oracle
def test_detached_streams_large_input(
    gpg_home: GpgHome, loaded: dict[str, SigningKey], oracle: Oracle, tmp_path: Path
) -> None:
    """More than one read chunk, with a CRLF split across the chunk boundary (text mode)."""
    key = loaded["ed25519"]  # deterministic signatures: streamed and in-memory must be identical
    data = b"a" * (signing._CHUNK - 1) + b"\r\n" + b"line\n" * 100_000
    for text_mode in (False, True):
        streamed = sign_detached(io.BytesIO(data), key, created=SIG_TIME, text=text_mode)
        assert streamed == sign_detached(data, key, created=SIG_TIME, text=text_mode)
        (tmp_path / "d").write_bytes(data)
        (tmp_path / "d.sig").write_bytes(streamed)
        sqv_ok(
            oracle("sqv"),
            gpg_home.keyring,
            tmp_path / "d.sig",
            tmp_path / "d",
            key.primary_fingerprint,
        )


@pytest.mark.parametrize(
    "data", [b"a\rb\n", b"ends with CR\r", b"a\r\r\nb"], ids=["inside", "at-end", "before-crlf"]
)
def test_text_signature_refuses_lone_cr(made: dict[str, SigningKey], data: bytes) -> None:
    """gpg hashes a lone CR as data, Sequoia as a line ending: no text signature can satisfy both."""
    with pytest.raises(ValueError, match="lone CR"):
        sign_detached(io.BytesIO(data), made["ed25519"], created=SIG_TIME, text=True)
    assert sign_detached(data, made["ed25519"], created=SIG_TIME)  # binary is fine


# --------------------------------------------------------------------------------------------------
# The packet itself, as gpg --list-packets sees it


@pytest.mark.oracle
@pytest.mark.parametrize("label", ["ed25519", "rsa2048", "nistp384"])
def test_signature_packet_subpackets_listed_by_gpg(
    gpg_home: GpgHome, loaded: dict[str, SigningKey], label: str
) -> None:
    key = loaded[label]
    notation = b"\x80\x00\x00\x00" + b"\x00\x10\x00\x05" + b"test@example.org" + b"value"
    packet = signature_packet(
        key,
        b"some data",
        sig_type=0x00,
        created=SIG_TIME,
        hash_name="SHA384",
        extra_hashed_subpackets=[subpacket(20, notation)],
    )
    listing = gpg_home.gpg("--list-packets", stdin=packet).decode()
    lines = [line.strip() for line in listing.splitlines()]
    kid = key.key_id
    (p,) = packets.iter_packets(packet)
    left16 = packets.parse_signature(p.body).left16
    assert f":signature packet: algo {key.algorithm}, keyid {kid}" in lines
    assert f"version 4, created {int(SIG_TIME.timestamp())}, md5len 0, sigclass 0x00" in lines
    assert f"digest algo 9, begin of digest {left16[0]:02x} {left16[1]:02x}" in lines
    assert "hashed subpkt 2 len 4 (sig created 2025-01-01)" in lines
    assert f"hashed subpkt 33 len 21 (issuer fpr v4 {key.fingerprint})" in lines
    assert "hashed subpkt 20 len 29 (notation: test@example.org=value)" in lines
    assert f"subpkt 16 len 8 (issuer key ID {kid})" in lines
    # Order: creation time, issuer fingerprint, then the extras; only the key ID unhashed.
    subs = [line for line in lines if "subpkt" in line]
    assert [s.split(" len")[0] for s in subs] == [
        "hashed subpkt 2",
        "hashed subpkt 33",
        "hashed subpkt 20",
        "subpkt 16",
    ]


# --------------------------------------------------------------------------------------------------
# Reuse for the key work: certifications and bindings made with signature_packet


def _packet(tag: int, body: bytes) -> bytes:
    return write.packet_header(tag, len(body)) + body


def build_cert(primary: SigningKey, uid: bytes, subkeys: tuple[SigningKey, ...] = ()) -> bytes:
    """A certificate made only of our packets: a 0x13 self-certification and, per signing
    subkey, a 0x18 binding with an embedded 0x19 back-signature."""
    pub = primary.public_packet_body
    cert = _packet(6, pub) + _packet(13, uid)
    cert += signature_packet(
        primary,
        key_hash_input(pub) + user_id_hash_input(uid),
        sig_type=0x13,
        created=KEYS_CREATED,
        hash_name="SHA512",
        extra_hashed_subpackets=[subpacket(27, b"\x03")],  # certify and sign
    )
    for sub in subkeys:
        bound = key_hash_input(pub) + key_hash_input(sub.public_packet_body)
        back = signature_body(sub, bound, sig_type=0x19, created=KEYS_CREATED, hash_name="SHA512")

        def feed(h: HashSink, bound: bytes = bound) -> None:
            h.update(bound)  # a feed works as well as bytes

        cert += _packet(14, sub.public_packet_body) + signature_packet(
            primary,
            feed,
            sig_type=0x18,
            created=KEYS_CREATED,
            hash_name="SHA512",
            extra_hashed_subpackets=[subpacket(27, b"\x02"), subpacket(32, back, critical=True)],
        )
    return cert


def _ed25519(seed: int) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)


PRIMARY_MAKERS: dict[str, Callable[[], PrivateKey]] = {
    "eddsa-legacy": lambda: _ed25519(1),
    "ecdsa-p256": lambda: ec.derive_private_key(12345678901234567890, ec.SECP256R1()),
    "rsa2048": lambda: rsa.generate_private_key(65537, 2048),
}


@pytest.mark.oracle
@pytest.mark.parametrize("primary_kind", list(PRIMARY_MAKERS))
def test_certificate_made_of_our_signatures(
    oracle: Oracle, gpg_home: GpgHome, tmp_path: Path, primary_kind: str
) -> None:
    primary = make_signing_key(PRIMARY_MAKERS[primary_kind](), created=KEYS_CREATED)
    sub = make_signing_key(
        _ed25519(2), created=KEYS_CREATED, primary_fingerprint=primary.fingerprint
    )
    keyring = tmp_path / "cert.pgp"
    keyring.write_bytes(build_cert(primary, b"Made Here <made@example.org>", (sub,)))
    (tmp_path / "d").write_bytes(b"signed data\n")
    home = GpgHome(home=gpg_home.home, keyring=keyring, keys={}, env=gpg_home.env)
    for key in (primary, sub):
        (tmp_path / "d.sig").write_bytes(sign_detached(b"signed data\n", key, created=SIG_TIME))
        # sqv checks the self-certification, the binding and the back-signature.
        sqv_ok(oracle("sqv"), keyring, tmp_path / "d.sig", tmp_path / "d", primary.fingerprint)
        gpgv_ok(
            oracle("gpgv"),
            home,
            [tmp_path / "d.sig", tmp_path / "d"],
            key.fingerprint,
            primary.fingerprint,
            0x00,
        )


@pytest.mark.oracle
def test_third_party_certification_checked_by_gpg(
    gpg_home: GpgHome, loaded: dict[str, SigningKey], tmp_path: Path
) -> None:
    """Key ``ed25519`` certifies (0x10) the user ID of key ``rsa2048``; gpg checks it."""
    certifier, target = loaded["ed25519"], gpg_home.keys["rsa2048"]
    cert = gpg_home.gpg("--export", target.primary)
    out, uid_body, primary_body = b"", b"", b""
    for p in packets.iter_packets(cert):
        out += _packet(p.tag, p.body)
        if p.tag == 6:
            primary_body = p.body
        if p.tag == 13:
            uid_body = p.body
            out += signature_packet(
                certifier,
                key_hash_input(primary_body) + user_id_hash_input(uid_body),
                sig_type=0x10,
                created=SIG_TIME,
                hash_name="SHA256",
            )
    assert uid_body == b"rsa2048 <rsa2048@example.org>"
    fresh = tmp_path / "gnupg"
    fresh.mkdir(mode=0o700)
    g = GpgHome(home=fresh, keyring=fresh, keys={}, env={**gpg_home.env, "GNUPGHOME": str(fresh)})
    g.gpg("--import", stdin=gpg_home.gpg("--export", certifier.primary_fingerprint))
    g.gpg("--import", stdin=out)
    listing = g.gpg("--with-colons", "--check-sigs", target.primary).decode()
    sigs = [line.split(":") for line in listing.splitlines() if line.startswith("sig:")]
    ours = [s for s in sigs if s[4] == certifier.key_id]
    assert len(ours) == 1, listing
    assert ours[0][1] == "!"  # good signature
    assert ours[0][10] == "10x"  # exportable 0x10 certification
    assert ours[0][5] == str(int(SIG_TIME.timestamp()))


@pytest.mark.oracle
def test_make_signing_key_reproduces_gpg_public_packets(loaded: dict[str, SigningKey]) -> None:
    for label, key in loaded.items():
        again = make_signing_key(
            key.private_key,
            created=key.created,
            algorithm=key.algorithm,
            primary_fingerprint=key.primary_fingerprint,
        )
        assert again.public_packet_body == key.public_packet_body, label
        assert again.fingerprint == key.fingerprint, label
        assert again.bits == key.bits, label


def test_ed25519_algorithm_27_signature() -> None:
    """No oracle here reads algorithm 27 (gpg 2.2, Sequoia 1.x): check it by hand."""
    key = make_signing_key(_ed25519(3), created=KEYS_CREATED, algorithm=27)
    assert key.public_packet_body[5] == 27
    assert len(key.public_packet_body) == 6 + 32
    packet = sign_detached(b"data", key, created=SIG_TIME)
    (p,) = packets.iter_packets(packet)
    sig = packets.parse_signature(p.body)
    assert sig.pubkey_algorithm == 27
    assert sig.hash_name == "SHA512"
    assert isinstance(sig.material, bytes)
    assert len(sig.material) == 64
    h = sig.new_hash()
    h.update(b"data")
    h.update(sig.trailer())
    digest = h.digest()
    assert sig.left16 == digest[:2]
    assert isinstance(key.private_key, ed25519.Ed25519PrivateKey)
    key.private_key.public_key().verify(sig.material, digest)


# --------------------------------------------------------------------------------------------------
# Units: encodings, arguments, determinism


def test_hash_inputs() -> None:
    assert key_hash_input(b"\x04abc") == b"\x99\x00\x04\x04abc"
    assert user_id_hash_input(b"Me <me@example.org>") == b"\xb4\x00\x00\x00\x13Me <me@example.org>"
    with pytest.raises(ValueError, match="65535"):
        key_hash_input(b"\x04" * 65536)


@pytest.mark.parametrize(
    ("size", "head"),
    [
        (0, b"\x01"),
        (190, b"\xbf"),
        (191, b"\xc0\x00"),
        (8382, b"\xdf\xff"),
        (8383, b"\xff\x00\x00\x20\xc0"),
    ],
)
def test_subpacket_lengths(size: int, head: bytes) -> None:
    encoded = subpacket(20, b"x" * size)
    assert encoded == head + b"\x14" + b"x" * size
    parsed = packets._parse_subpackets(encoded, "hashed")
    assert parsed == (packets.Subpacket(20, False, b"x" * size),)


def test_subpacket_critical_and_range() -> None:
    assert subpacket(2, b"\0\0\0\0", critical=True) == b"\x05\x82\0\0\0\0"
    with pytest.raises(ValueError, match="0..127"):
        subpacket(128, b"")


def test_created_must_be_aware_and_in_range(made: dict[str, SigningKey]) -> None:
    key = made["ed25519"]
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_detached(b"x", key, created=datetime(2025, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="older than its key"):
        sign_detached(b"x", key, created=KEYS_CREATED - timedelta(seconds=1))
    with pytest.raises(ValueError, match="cannot be stored"):
        sign_detached(b"x", key, created=datetime(2107, 1, 1, tzinfo=timezone.utc))
    other_zone = SIG_TIME.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert sign_detached(b"x", key, created=other_zone) == sign_detached(
        b"x", key, created=SIG_TIME
    )


@pytest.mark.parametrize("name", ["SHA1", "MD5", "SHA224", "RIPEMD160", "nonsense"])
def test_weak_or_unknown_hashes_are_refused(made: dict[str, SigningKey], name: str) -> None:
    key = made["rsa2048"]
    with pytest.raises(UnsupportedError, match="not supported"):
        signature_packet(key, b"x", sig_type=0, created=SIG_TIME, hash_name=name)
    with pytest.raises(UnsupportedError):
        sign_cleartext(b"x", key, created=SIG_TIME, hash_name=name)
    with pytest.raises(UnsupportedError):
        sign_detached(b"x", key, created=SIG_TIME, hash_name=name)


@pytest.mark.parametrize(("curve", "hash_name"), [("P-384", "SHA256"), ("P-521", "SHA384")])
def test_ecdsa_hash_shorter_than_curve_is_refused(curve: str, hash_name: str) -> None:
    """gpg rejects such signatures ("General error"), though Sequoia accepts them."""
    ec_curve = ec.SECP384R1() if curve == "P-384" else ec.SECP521R1()
    key = make_signing_key(ec.derive_private_key(42, ec_curve), created=KEYS_CREATED)
    with pytest.raises(UnsupportedError, match="needs a hash of at least"):
        sign_detached(b"x", key, created=SIG_TIME, hash_name=hash_name)
    assert sign_detached(b"x", key, created=SIG_TIME)  # best_hash fits


def test_bad_signature_type_and_mismatched_key(made: dict[str, SigningKey]) -> None:
    key = made["ed25519"]
    with pytest.raises(ValueError, match="octet"):
        signature_packet(key, b"x", sig_type=0x100, created=SIG_TIME)
    liar = dataclasses.replace(key, algorithm=1)
    with pytest.raises(ValueError, match="cannot make algorithm 1"):
        signature_packet(liar, b"x", sig_type=0, created=SIG_TIME)
    with pytest.raises(ValueError, match="does not fit"):
        make_signing_key(key.private_key, created=KEYS_CREATED, algorithm=19)


@pytest.mark.parametrize("label", ["ed25519", "nistp256", "rsa2048"])
def test_signatures_are_deterministic(made: dict[str, SigningKey], label: str) -> None:
    """Ed25519 and RSA PKCS#1 v1.5 are deterministic, ECDSA uses RFC 6979 nonces: golden files
    can be byte-identical."""
    key = made[label]
    a = sign_cleartext(b"same\n", key, created=SIG_TIME)
    assert a == sign_cleartext(b"same\n", key, created=SIG_TIME)


def test_best_hash_rule() -> None:
    def key_of(algorithm: int, bits: int) -> SigningKey:
        return SigningKey("", "", "", algorithm, bits, _ed25519(1), b"")

    assert best_hash(key_of(22, 256)) == "SHA512"
    assert best_hash(key_of(27, 256)) == "SHA512"
    assert best_hash(key_of(19, 256)) == "SHA256"
    assert best_hash(key_of(19, 384)) == "SHA384"
    assert best_hash(key_of(19, 512)) == "SHA512"  # brainpoolP512r1
    assert best_hash(key_of(19, 521)) == "SHA512"
    assert best_hash(key_of(1, 2048)) == "SHA256"
    assert best_hash(key_of(1, 3072)) == "SHA512"
    assert best_hash(key_of(1, 4096)) == "SHA512"
    assert best_hash(key_of(17, 3072)) == "SHA256"


# --------------------------------------------------------------------------------------------------
# Keys unlocked in a process of their own (pgpsig sign): pack, unpack, load_signing_keys_apart


@pytest.mark.oracle
@pytest.mark.parametrize("label", LABELS)
def test_pack_unpack_keeps_the_key(loaded: dict[str, SigningKey], label: str) -> None:
    from pgpsig.openpgp.signingkey import pack, unpack

    key = loaded[label]
    again = unpack(pack(key))
    assert pack(again) == pack(key)
    assert dataclasses.replace(again, private_key=key.private_key) == key
    text = b"packed and unpacked\n"
    if key.algorithm in (22, 27, 28):  # EdDSA: deterministic, the same signature bytes
        assert sign_cleartext(text, again, created=KEYS_CREATED) == sign_cleartext(
            text, key, created=KEYS_CREATED
        )


@pytest.mark.oracle
def test_keys_loaded_apart_are_the_keys_loaded_here(gpg_home: GpgHome) -> None:
    """load_signing_keys_apart gives what load_signing_keys gives, errors included, and PGPy
    never enters the calling process."""
    from pgpsig.modules.sign import load_signing_keys_apart
    from pgpsig.openpgp.signingkey import pack

    key = gpg_home.keys["rsa3072-passphrase"]
    here = load_signing_keys(key.secret, key.passphrase)
    apart = load_signing_keys_apart(key.secret, key.passphrase)
    assert [pack(k) for k in apart] == [pack(k) for k in here]
    with pytest.raises(PassphraseError):
        load_signing_keys_apart(key.secret, b"not the passphrase")
    with pytest.raises(PassphraseError):
        load_signing_keys_apart(key.secret, None)
    code = (
        "import sys; from pgpsig.modules.sign import load_signing_keys_apart as f; "
        "keys = f(sys.stdin.buffer.read(), None); "
        "print(len(keys), 'pgpy' in sys.modules)"
    )
    unprotected = next(k for k in gpg_home.keys.values() if k.passphrase is None)
    out = subprocess.run(
        [sys.executable, "-c", code], input=unprotected.secret, capture_output=True, check=True
    )
    count, imported = out.stdout.decode().split()
    assert int(count) >= 1
    assert imported == "False"
