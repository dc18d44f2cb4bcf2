#!/usr/bin/env python3
"""Write pgpsig's attack corpus (``vectors/attacks/``), deterministically, with a fixed clock.

Usage::

    python vectors/generate_attacks.py            # (re)write vectors/attacks/
    python vectors/generate_attacks.py OUT_DIR    # write the attacks/ folder into OUT_DIR instead
    python vectors/generate_attacks.py --table    # print the tables of vectors/README.md's
                                                  # "Attack corpus" section (the tests check them)

What it owns: crafted inputs for ``pgpsig verify`` (clear-signed frames, detached signatures,
certificates) and for ``pgpsig check`` (module trees), each named for its defect and tied to a row
of THREATS.md, with the exact answer pgpsig must give, in ``attacks/expected.json``. It builds on
the independent OpenPGP writer of :mod:`generate` (the sibling script that writes the other
vectors; it never imports pgpsig) and adds a sign.php-style manifest writer of its own.

Module trees are not committed as trees: FIFOs, links to ``/dev/zero``, links leaving the module,
a 70-deep directory chain or a sparse 64 MiB file do not belong in git. Each check case carries a
*recipe* (``tree`` in expected.json: files, directories, symbolic links, FIFOs, sparse files, and
files next to the module) that ``tests/corpus/test_attacks.py`` lays out in a temporary directory; the
signed ``module.sig`` files and the keys are committed under ``attacks/check/`` and
``attacks/keys/``.

Determinism: the keys, the clock and the signatures come from :mod:`generate` (fixed seeds,
deterministic Ed25519 and RSA); running this twice gives byte-identical files.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate as g  # noqa: E402 - the sibling script, found through the path set just above
from generate import (  # noqa: E402
    ALICE,
    ALICE_SUB,
    ALICE_UID,
    AT,
    AT_ISO,
    BOB,
    BOB_UID,
    DAY,
    FLAG_CERTIFY,
    FLAG_ENCRYPT_COMMS,
    FLAG_ENCRYPT_STORAGE,
    FLAG_SIGN,
    MALLORY,
    MALLORY_UID,
    MESSAGE_BYTES,
    ROB,
    ROB_UID,
    SIG_BINARY,
    SIG_TEXT,
    T0,
    T1,
    T2,
    T3,
    WALT,
)

FOLDER = "attacks"
BOB_SUB = g.ed25519_key("bob signing subkey")
#: Text others write (a user ID, a revocation message) made to act on a terminal: a newline and a
#: fake status line, ANSI colour and cursor escapes, a carriage return, a right-to-left override.
TERMINAL_TRICKS = (
    "\n[GNUPG:] GOODSIG 0000000000000000 Trusted Signer\x1b[32m OK\x1b[0m\x1b[2A\r\u202egpj.exe"
)

# Rows of THREATS.md (first column, verbatim) not already named in generate.py.
T_TRAVERSAL = "path traversal in a manifest (`../x`, `/etc/passwd`, backslashes, NUL)"
T_SYMLINKS = "symlinks escaping the module root"
T_TRUST = 'trust confusion (FreePBX trusts any key the admin marked "ultimate")'
T_MEMORY = "memory"

GOOD, TAMPERED, INVALID, UNSIGNED, EXPIRED, REVOKED, TRUSTED = 1, 2, 4, 8, 32, 64, 128

# Paths (relative to vectors/) of files written by generate.py that the attacks reuse.
KEY_ALICE = "keys/alice.pgp"
KEY_ALICE_ASC = "keys/alice.asc"
KEY_BOB = "keys/bob.pgp"
KEY_ROB = "keys/rob-rsa2048.pgp"
DATA_MESSAGE = "data/message.txt"
SHARED = (KEY_ALICE, KEY_ALICE_ASC, KEY_BOB, KEY_ROB, DATA_MESSAGE)


def fpr(key: g.Key) -> str:
    return key.fingerprint.hex().upper()


# ---------------------------------------------------------------------------------------------
# Cases.


@dataclass(frozen=True)
class VerifyCase:
    """How to run ``pgpsig verify`` on files (paths relative to vectors/) and what it must answer.

    ``good_primary``: the primary fingerprint the good signature must name. ``no_raw_output``:
    stdout and stderr must hold no control character and no line starting with ``[GNUPG:]``.
    """

    name: str
    cert: tuple[str, ...]
    signature: str
    data: str | None
    exit: int
    threat: str
    defect: str
    args: tuple[str, ...] = ()
    max_good: int = 0
    good_primary: str | None = None
    no_raw_output: bool = False
    origin: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "cert": list(self.cert),
            "signature": self.signature,
            "data": self.data,
            "args": list(self.args),
            "at": AT_ISO,
            "exit": self.exit,
            "max_good": self.max_good,
            "good_primary": self.good_primary,
            "no_raw_output": self.no_raw_output,
            "threat": self.threat,
            "defect": self.defect,
            "origin": self.origin,
        }


@dataclass(frozen=True)
class CheckCase:
    """A module tree recipe, how to run ``pgpsig check`` on it, and the exact status it must get.

    ``tree`` operations, in order (paths relative to the module directory ``sample``; ``../``
    reaches the scratch directory around it): ``{"base": "sample"}`` (the files of
    ``expected.json``'s ``base.sample``), ``{"remove": P}``, ``{"file": P, "text"|"base64"|"copy":
    ...}`` (``copy``: a file of vectors/), ``{"dir": P}``, ``{"symlink": P, "to": TARGET}``,
    ``{"fifo": P}``, ``{"sparse": P, "size": N}`` (a file of N octets with no data blocks).
    ``files``: lists the JSON ``files`` object must equal (only the keys given).
    ``signature``: the JSON signature ``status``. ``no_raw_output`` as for :class:`VerifyCase`
    (checked on the human output). ``status`` None: the run must be refused as a whole (exit 2,
    a usage error such as a trust root that names no primary key), no module reported good.
    """

    name: str
    tree: tuple[dict[str, Any], ...]
    keyring: tuple[str, ...]
    roots: tuple[str, ...]
    status: int | None
    threat: str
    defect: str
    args: tuple[str, ...] = ()
    files: tuple[tuple[str, tuple[str, ...]], ...] = ()
    signature: str | None = None
    no_raw_output: bool = False
    origin: str = ""

    @property
    def exit(self) -> int:
        if self.status is None:
            return 2
        return 0 if self.status == GOOD | TRUSTED else 1

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "module": "sample",
            "tree": list(self.tree),
            "keyring": list(self.keyring),
            "roots": list(self.roots),
            "args": list(self.args),
            "at": AT_ISO,
            "status": self.status,
            "exit": self.exit,
            "files": {k: list(v) for k, v in self.files},
            "signature": self.signature,
            "no_raw_output": self.no_raw_output,
            "threat": self.threat,
            "defect": self.defect,
            "origin": self.origin,
        }


Case = VerifyCase | CheckCase
Maker = Callable[[g.Output], Iterable[Case]]
MAKERS: list[Maker] = []


def maker(fn: Callable[[g.Output], Iterable[Case]]) -> Maker:
    """Register a case-making function; its name becomes each case's ``origin``."""

    def wrapped(out: g.Output) -> list[Case]:
        return [dataclasses.replace(c, origin=fn.__name__) for c in fn(out)]

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    MAKERS.append(wrapped)
    return wrapped


def verify_inline(
    out: g.Output,
    name: str,
    message: str | bytes,
    *,
    exit: int,  # noqa: A002 - the field name of expected.json
    threat: str,
    defect: str,
    cert: bytes | Sequence[str] = (KEY_ALICE_ASC,),
    **kw: Any,
) -> VerifyCase:
    """A clear-signed ``attacks/verify/NAME.asc`` case (``NAME.cert.pgp`` when cert is bytes)."""
    stem = f"{FOLDER}/verify/{name}"
    certs = (out.add(f"{stem}.cert.pgp", cert),) if isinstance(cert, bytes) else tuple(cert)
    sig = out.add(f"{stem}.asc", message)
    return VerifyCase(name, certs, sig, None, exit, threat, defect, **kw)


def verify_detached(
    out: g.Output,
    name: str,
    sig: bytes,
    *,
    exit: int,  # noqa: A002 - the field name of expected.json
    threat: str,
    defect: str,
    cert: bytes | Sequence[str] = (KEY_ALICE,),
    data: bytes | None = None,
    extra_certs: Sequence[str] = (),
    **kw: Any,
) -> VerifyCase:
    """A detached ``attacks/verify/NAME.sig`` case over data/message.txt (or ``NAME.txt``)."""
    stem = f"{FOLDER}/verify/{name}"
    certs = (out.add(f"{stem}.cert.pgp", cert),) if isinstance(cert, bytes) else tuple(cert)
    data_path = DATA_MESSAGE if data is None else out.add(f"{stem}.txt", data)
    return VerifyCase(
        name,
        (*certs, *extra_certs),
        out.add(f"{stem}.sig", sig),
        data_path,
        exit,
        threat,
        defect,
        **kw,
    )


def data_sig(signer: g.Key, **options: Any) -> bytes:
    """A 0x00 signature at T2 over the shared message (options go to ``standard_sign``)."""
    options.setdefault("created", T2)
    return g.standard_sign(signer, SIG_BINARY, MESSAGE_BYTES, **options)


def text_sig(signer: g.Key, text: str, **options: Any) -> bytes:
    """A 0x01 signature at T2 over the canonical form of clear-signed ``text``."""
    options.setdefault("created", T2)
    return g.standard_sign(signer, SIG_TEXT, g.canonical_text(text), **options)


CLEARTEXT = g.CLEARTEXT


def frame(text: str = CLEARTEXT, sigs: bytes | None = None, **options: Any) -> str:
    return g.clearsigned(text, text_sig(ALICE, text) if sigs is None else sigs, **options)


# ---------------------------------------------------------------------------------------------
# verify: the cleartext signature framework.


@maker
def cs_framing(out: g.Output) -> Iterable[Case]:
    """Framework lines that must be exact, and what hides inside the text."""
    bad_begin = frame().replace(
        "-----BEGIN PGP SIGNED MESSAGE-----\n", "-----BEGIN PGP SIGNED MESSAGE----- please\n"
    )
    yield verify_inline(
        out,
        "cs-begin-line-with-trailing-text",
        bad_begin,
        exit=2,
        threat=g.T_HEADERS,
        defect="the BEGIN PGP SIGNED MESSAGE line carries more text: there is no frame at all",
    )
    inner = "first line\n-----BEGIN PGP SIGNED MESSAGE-----\nsecond line\n"
    yield verify_inline(
        out,
        "cs-unescaped-begin-line-inside-text",
        frame(inner, escape=False),
        exit=2,
        threat=g.T_HEADERS,
        defect="an unescaped -----BEGIN PGP SIGNED MESSAGE----- line inside the signed text",
    )
    fake = g.armor("SIGNATURE", g.standard_sign(MALLORY, SIG_TEXT, b"x", created=T2))
    text = "Pay Mallory 10 EUR.\n" + fake + "Pay Mallory 1000 EUR.\n"
    yield verify_inline(
        out,
        "cs-fake-signature-armor-inside-text",
        frame(text),
        exit=0,
        max_good=1,
        threat=g.T_CONCAT,
        defect="none: a dash-escaped fake signature armor inside the text is text; the real "
        "signature covers every line",
    )
    yield verify_inline(
        out,
        "cs-signature-armor-end-label-mismatch",
        frame().replace("-----END PGP SIGNATURE-----", "-----END PGP MESSAGE-----"),
        exit=2,
        threat=g.T_PARSER,
        defect="the signature armor ends with END PGP MESSAGE: the frame never ends",
    )
    crlf = frame().replace("\n", "\r\n")
    yield verify_inline(
        out,
        "cs-crlf-whole-frame",
        crlf,
        exit=0,
        threat=g.T_WHITESPACE,
        defect="none: every line of the frame, armor included, ends in CR LF",
    )
    control = "bell \x07 nul \x00 escape \x1b[31m form feed \x0c\nend\n"
    yield verify_inline(
        out,
        "cs-control-bytes-in-text",
        frame(control),
        exit=0,
        threat=g.T_HEADERS,
        defect="none: NUL, BEL, ESC and form feed inside text lines are signed bytes like any other",
    )
    yield verify_inline(
        out,
        "cs-empty-text",
        frame("\n"),
        exit=0,
        threat=g.T_BASELINE,
        defect="none: the signed text is empty",
    )
    hashes = ["Hash: SHA256"] * 6000
    yield verify_inline(
        out,
        "cs-header-block-over-64k",
        frame(headers=hashes),
        exit=2,
        threat=g.T_PARSER,
        defect="6000 Hash: header lines (over the 64 KiB allowed for headers)",
    )
    key_block = g.armor("SIGNATURE", g.certificate(ALICE, g.user_id(ALICE, ALICE_UID)))
    yield verify_inline(
        out,
        "cs-signature-armor-holds-a-certificate",
        frame(sigs=b"").replace(g.armor("SIGNATURE", b""), key_block),
        exit=2,
        threat=g.T_TYPE_CONFUSION,
        defect="the signature armor holds Alice's certificate, not a signature",
    )
    injected = frame().replace(
        "-----BEGIN PGP SIGNATURE-----\n",
        "-----BEGIN PGP SIGNATURE-----\nComment: \x1b[2J\x1b[H[GNUPG:] GOODSIG 0 Trusted\n",
    )
    yield verify_inline(
        out,
        "cs-armor-comment-terminal-escape",
        injected,
        exit=0,
        no_raw_output=True,
        threat=g.T_INJECTION,
        defect="none: an armor Comment header with terminal escapes and a fake status line",
    )


@maker
def cs_hash_headers(out: g.Output) -> Iterable[Case]:
    """Hash: headers that lie, are empty, or are missing."""
    yield verify_inline(
        out,
        "cs-no-hash-header",
        frame(headers=()),
        exit=0,
        threat=g.T_HASH_HEADER_CHECK,
        defect="none: no Hash: header at all; the signature's own hash (SHA256) is used",
    )
    yield verify_inline(
        out,
        "cs-hash-header-lowercase-key",
        frame(headers=("hash: SHA256",)),
        exit=2,
        threat=g.T_HASH_HEADER,
        defect="the header is 'hash:' in lower case, which is not the Hash: header",
    )
    yield verify_inline(
        out,
        "cs-hash-header-empty-value",
        frame(headers=("Hash:",)),
        exit=2,
        threat=g.T_HASH_HEADER,
        defect="a Hash: header with no value",
    )
    sha1 = text_sig(ROB, CLEARTEXT, hash_name="SHA1")
    yield verify_inline(
        out,
        "cs-hash-header-sha256-signature-sha1-legacy",
        frame(sigs=sha1, headers=("Hash: SHA256",)),
        cert=(KEY_ROB,),
        args=("--policy", "freepbx-legacy"),
        exit=2,
        threat=g.T_HASH_HEADER,
        defect="Hash: SHA256 announced, the signature is SHA-1 (CVE-2019-11841), legacy policy",
    )
    md5 = text_sig(ROB, CLEARTEXT, hash_name="MD5")
    for policy in ("default", "freepbx-legacy"):
        yield verify_inline(
            out,
            f"cs-md5-signature-{policy}",
            frame(sigs=md5, headers=("Hash: MD5",)),
            cert=(KEY_ROB,),
            args=("--policy", policy),
            exit=1,
            threat=g.T_SHA1,
            defect=f"an MD5 text signature, honestly announced, under --policy {policy}",
        )


@maker
def cs_several(out: g.Output) -> Iterable[Case]:
    """Several signatures and blocks: each judged, a bad one never hidden."""
    bad = text_sig(ALICE, CLEARTEXT, corrupt=True)
    yield verify_inline(
        out,
        "cs-good-and-bad-signature-one-block",
        frame(sigs=text_sig(ALICE, CLEARTEXT) + bad),
        exit=1,
        max_good=1,
        threat=g.T_CONCAT,
        defect="one block, a good signature and a corrupted one by the same key",
    )
    yield verify_inline(
        out,
        "cs-good-and-unknown-signer",
        frame(sigs=text_sig(ALICE, CLEARTEXT) + text_sig(BOB, CLEARTEXT)),
        exit=0,
        max_good=1,
        threat=g.T_CONCAT,
        defect="none: a good signature and one by a key not in the keyring (it does not count)",
    )
    second = "A second block.\n"
    yield verify_inline(
        out,
        "cs-two-blocks-both-good",
        frame() + frame(second),
        exit=0,
        max_good=2,
        threat=g.T_CONCAT,
        defect="none: two concatenated blocks, each signed by Alice",
    )
    yield verify_inline(
        out,
        "cs-second-block-unknown-signer",
        frame() + frame(second, text_sig(BOB, second)),
        exit=1,
        max_good=1,
        threat=g.T_CONCAT,
        defect="two blocks; the second is signed by Bob, who is not in the keyring",
    )
    both = text_sig(ALICE, CLEARTEXT) + text_sig(ALICE_SUB, CLEARTEXT)
    yield verify_inline(
        out,
        "cs-primary-and-subkey-of-one-cert-min-2",
        frame(sigs=both),
        cert=alice_cert(g.subkey(ALICE, ALICE_SUB)),
        args=("--min-signatures", "2"),
        exit=1,
        max_good=2,
        threat=g.T_CONCAT,
        defect="Alice's primary key and her signing subkey both sign, --min-signatures 2: one "
        "certificate counts once",
    )
    for sig_type, what in ((0x02, "standalone"), (0x40, "timestamp")):
        sig = g.standard_sign(ALICE, sig_type, g.canonical_text(CLEARTEXT), created=T2)
        yield verify_inline(
            out,
            f"cs-signature-type-0x{sig_type:02x}",
            frame(sigs=sig),
            exit=1,
            threat=g.T_TYPE_CONFUSION,
            defect=f"a {what} signature (0x{sig_type:02X}) over the canonical text in the frame",
        )


# ---------------------------------------------------------------------------------------------
# verify: data signatures.


@maker
def sig_subpackets(out: g.Output) -> Iterable[Case]:
    """Creation times, expiry and criticality: only the hashed area counts."""
    sig = g.sign(
        ALICE,
        SIG_BINARY,
        MESSAGE_BYTES,
        hashed=[g.sp_created(T2), g.sp_created(T1), g.sp_issuer_fpr(ALICE)],
    )
    yield verify_detached(
        out,
        "sig-two-hashed-creation-times",
        sig,
        exit=1,
        threat=g.T_SIG_TIME,
        defect="two hashed creation-time subpackets (t2 and t1): ambiguous",
    )
    sig = g.sign(
        ALICE,
        SIG_BINARY,
        MESSAGE_BYTES,
        hashed=[g.sp_created(AT + DAY), g.sp_issuer_fpr(ALICE)],
        unhashed=[g.sp_created(T2)],
    )
    yield verify_detached(
        out,
        "sig-hashed-future-unhashed-past",
        sig,
        exit=1,
        threat=g.T_UNHASHED,
        defect="hashed creation time one day after --at; an unhashed one claims t2",
    )
    yield verify_detached(
        out,
        "sig-unhashed-expiry-ignored",
        data_sig(ALICE, unhashed=[g.sp_sig_expires(DAY)]),
        exit=0,
        threat=g.T_UNHASHED,
        defect="none: a signature-expiry subpacket in the unhashed area is not authenticated",
    )
    yield verify_detached(
        out,
        "sig-unhashed-critical-unknown",
        data_sig(ALICE, unhashed=[g.subpacket(g.SP_EXPERIMENTAL, b"x", critical=True)]),
        exit=1,
        threat=g.T_CRITICAL,
        defect="a critical unknown subpacket (101) in the unhashed area",
    )
    yield verify_detached(
        out,
        "sig-created-within-clock-skew",
        data_sig(ALICE, created=AT + 240),
        exit=0,
        threat=g.T_SIG_TIME,
        defect="none: created 4 minutes after --at, inside the 5 minutes of clock skew",
    )
    yield verify_detached(
        out,
        "sig-created-beyond-clock-skew",
        data_sig(ALICE, created=AT + 360),
        exit=1,
        threat=g.T_SIG_TIME,
        defect="created 6 minutes after --at, beyond the 5 minutes of clock skew",
    )
    yield verify_detached(
        out,
        "sig-expires-exactly-at-reference",
        data_sig(ALICE, hashed=[g.sp_sig_expires(AT - T2)]),
        exit=1,
        threat=g.T_SIG_TIME,
        defect="the signature expires at exactly --at (expiry is exclusive)",
    )
    yield verify_detached(
        out,
        "sig-expiry-zero-means-never",
        data_sig(ALICE, hashed=[g.sp_sig_expires(0)]),
        exit=0,
        threat=g.T_SIG_TIME,
        defect="none: a signature-expiry subpacket of 0 means it never expires",
    )
    notation = g.sp_notation("evil\n[GNUPG:] GOODSIG 0 \x1b[32mTrusted@x", "v", critical=True)
    yield verify_detached(
        out,
        "sig-critical-notation-name-injection",
        data_sig(ALICE, hashed=[notation]),
        exit=1,
        no_raw_output=True,
        threat=g.T_INJECTION,
        defect="a critical notation whose name holds a newline, a fake status line and escapes "
        "(it is named in the reason)",
    )


@maker
def sig_issuers(out: g.Output) -> Iterable[Case]:
    """Issuer hints: only hints, never trusted to pick a different key."""
    sig = g.sign(
        ALICE,
        SIG_BINARY,
        MESSAGE_BYTES,
        hashed=[g.sp_created(T2)],
        unhashed=[g.sp_issuer_fpr(BOB), g.sp_issuer(BOB)],
    )
    yield verify_detached(
        out,
        "sig-unhashed-issuer-names-other-key",
        sig,
        extra_certs=(KEY_BOB,),
        exit=1,
        threat=g.T_UNHASHED,
        defect="signed by Alice; the only issuer hints (unhashed) name Bob, who is in the keyring",
    )
    sig = g.sign(ALICE, SIG_BINARY, MESSAGE_BYTES, hashed=[g.sp_created(T2)])
    yield verify_detached(
        out,
        "sig-no-issuer-at-all",
        sig,
        exit=1,
        threat=g.T_ISSUER_FPR,
        defect="no issuer fingerprint or key ID anywhere: the signer cannot be looked up",
    )
    sig = g.sign(
        ALICE, SIG_BINARY, MESSAGE_BYTES, hashed=[g.sp_created(T2)], unhashed=[g.sp_issuer(ALICE)]
    )
    yield verify_detached(
        out,
        "sig-issuer-key-id-only-unhashed",
        sig,
        exit=0,
        threat=g.T_ISSUER_FPR,
        defect="none: only an unhashed issuer key ID (as old gpg wrote)",
    )


def _body(packet: bytes) -> bytes:
    return g.packet_header_and_body(packet)[1]


@maker
def sig_packets(out: g.Output) -> Iterable[Case]:
    """Malformed or unexpected packets around a good signature."""
    good = data_sig(ALICE)
    body = _body(good)
    yield verify_detached(
        out,
        "sig-version-3",
        g.old_packet(2, b"\x03" + body[1:]),
        exit=2,
        threat=g.T_PARSER,
        defect="the signature packet says version 3 (not supported) with a v4 body",
    )
    yield verify_detached(
        out,
        "sig-version-5",
        g.old_packet(2, b"\x05" + body[1:]),
        exit=2,
        threat=g.T_PARSER,
        defect="the signature packet says version 5 (an unpublished draft)",
    )
    literal = g.old_packet(11, b"b\x04name" + (0).to_bytes(4, "big") + MESSAGE_BYTES)
    yield verify_detached(
        out,
        "sig-followed-by-literal-packet",
        good + literal,
        exit=2,
        threat=g.T_TYPE_CONFUSION,
        defect="a literal data packet after the signature in the signature file",
    )
    marker = g.old_packet(10, b"PGP")
    yield verify_detached(
        out,
        "sig-marker-packet-first",
        marker + good,
        exit=0,
        threat=g.T_PARSER,
        defect="none: a marker packet (tag 10) before the signature is skipped",
    )
    yield verify_detached(
        out,
        "sig-hash-algorithm-unknown",
        g.old_packet(2, body[:3] + bytes([99]) + body[4:]),
        exit=1,
        threat=g.T_HASH_POLICY,
        defect="hash algorithm 99 (unknown)",
    )
    yield verify_detached(
        out,
        "sig-algorithm-rsa-on-ed25519-key",
        g.old_packet(2, body[:2] + bytes([1]) + body[3:]),
        exit=2,
        threat=g.T_TYPE_CONFUSION,
        defect="the signature claims RSA (the issuer's key is Ed25519): its two MPIs are not one",
    )
    offsets = g.mpi_offsets(body)
    s_at = offsets[-1]
    s = int.from_bytes(body[s_at + 2 :], "big")
    order = 2**252 + 27742317777372353535851937790883648493
    yield verify_detached(
        out,
        "sig-ed25519-s-not-reduced",
        g.old_packet(2, body[:s_at] + g.mpi(s + order)),
        exit=1,
        threat=g.T_BASELINE,
        defect="the Ed25519 S value plus the group order (a malleable, non-canonical encoding)",
    )
    left = body[offsets[0] - 2 : offsets[0]]
    flipped = bytes([left[0] ^ 0xFF, left[1]])
    yield verify_detached(
        out,
        "sig-hash-prefix-wrong",
        g.old_packet(2, body[: offsets[0] - 2] + flipped + body[offsets[0] :]),
        exit=1,
        threat=g.T_BASELINE,
        defect="a correct signature whose 16-bit digest prefix was altered",
    )
    many = [g.subpacket(g.SP_EXPERIMENTAL, b"")] * 513
    yield verify_detached(
        out,
        "sig-513-subpackets",
        data_sig(ALICE, unhashed=many),
        exit=2,
        threat=g.T_PARSER,
        defect="513 subpackets in the unhashed area (limit 512)",
    )
    yield verify_detached(
        out,
        "sig-513-signatures",
        good * 513,
        exit=2,
        threat=g.T_PARSER,
        defect="513 signature packets in one file (limit 512)",
    )
    yield verify_detached(
        out,
        "sig-packet-declares-16-mib-plus-one",
        bytes([0xC2, 0xFF]) + (16 * 1024 * 1024 + 1).to_bytes(4, "big") + body,
        exit=2,
        threat=g.T_PARSER,
        defect="a new-format signature packet declaring 16 MiB + 1 octets (limit 16 MiB)",
    )
    # New-format partial body lengths: a first part of 2**9 = 512 octets (the least allowed),
    # then the rest; the signature carries a long notation to be that large.
    padded = _body(data_sig(ALICE, hashed=[g.sp_notation("pad@pgpsig.example.org", "x" * 600)]))
    partial = bytes([0xC2, 0xE9]) + padded[:512] + g.new_length(len(padded) - 512) + padded[512:]
    yield verify_detached(
        out,
        "sig-partial-body-length",
        partial,
        exit=2,
        threat=g.T_PARSER,
        defect="a signature packet framed with partial body lengths (only data packets may be)",
    )
    two = g.armor("SIGNATURE", good) + "\n" + g.armor("SIGNATURE", data_sig(ALICE, created=T2 + 1))
    yield verify_detached(
        out,
        "sig-armored-two-blocks-same-signer",
        two.encode(),
        exit=0,
        max_good=2,
        threat=g.T_CONCAT,
        defect="none: two armored signature blocks by the same key in one file",
    )
    yield verify_detached(
        out,
        "sig-armored-key-block-as-signature",
        g.armor("PUBLIC KEY BLOCK", g.certificate(ALICE, g.user_id(ALICE, ALICE_UID))).encode(),
        exit=2,
        threat=g.T_TYPE_CONFUSION,
        defect="the signature file is an armored public key block",
    )
    for sig_type, what in (
        (0x02, "standalone"),
        (0x19, "primary key binding"),
        (0x20, "key revocation"),
        (0x28, "subkey revocation"),
        (0x30, "certification revocation"),
        (0x50, "third-party confirmation"),
    ):
        yield verify_detached(
            out,
            f"sig-type-0x{sig_type:02x}-over-data",
            g.standard_sign(ALICE, sig_type, MESSAGE_BYTES, created=T2),
            exit=1,
            threat=g.T_TYPE_CONFUSION,
            defect=f"signature type 0x{sig_type:02X} ({what}) computed over the data",
        )


# ---------------------------------------------------------------------------------------------
# verify: certificates.


def alice_cert(*parts: bytes, **uid_options: Any) -> bytes:
    return g.alice_cert(*parts, **uid_options)


def uid_sig(created: int, **options: Any) -> bytes:
    """A further self-signature over Alice's user ID (no user ID packet)."""
    return _only_sig(g.user_id(ALICE, ALICE_UID, created=created, **options))


def _only_sig(uid_block: bytes) -> bytes:
    header_len = 2 if uid_block[0] & 0x03 == 0 else 3
    n = int.from_bytes(uid_block[1:header_len], "big")
    return uid_block[header_len + n :]


@maker
def cert_self_signatures(out: g.Output) -> Iterable[Case]:
    """Which self-signature is in force, and what it must look like."""
    uid = g.old_packet(g.TAG_USER_ID, ALICE_UID.encode())
    yield verify_detached(
        out,
        "cert-no-self-signature",
        data_sig(ALICE),
        cert=g.certificate(ALICE, uid),
        exit=1,
        threat=g.T_SELF_SIGS,
        defect="a primary key and a user ID with no self-signature at all",
    )
    direct = g.direct_key(ALICE, created=T0, hashed=[g.sp_key_flags(FLAG_CERTIFY | FLAG_SIGN)])
    yield verify_detached(
        out,
        "cert-direct-key-signature-only",
        data_sig(ALICE),
        cert=g.certificate(ALICE, direct),
        exit=0,
        threat=g.T_SELF_SIGS,
        defect="none: no user ID; a direct-key self-signature (0x1F) with Sign binds the key",
    )
    yield verify_detached(
        out,
        "cert-self-signature-before-key",
        data_sig(ALICE),
        cert=alice_cert(created=T0 - DAY),
        exit=1,
        threat=g.T_SELF_SIGS,
        defect="the only self-signature claims to predate the key it binds",
    )
    yield verify_detached(
        out,
        "cert-self-signature-after-data-signature",
        data_sig(ALICE),
        cert=alice_cert(created=T3),
        exit=0,
        threat=g.T_SELF_SIGS,
        defect="none (documented gpg-compatible choice): the key existed at t2, its only "
        "self-signature was re-issued at t3",
    )
    yield verify_detached(
        out,
        "cert-self-signature-expired",
        data_sig(ALICE),
        cert=alice_cert(extra_hashed=[g.sp_sig_expires(T1 - T0)]),
        exit=1,
        threat=g.T_SIG_TIME,
        defect="the only self-signature itself expired at t1 (signature expiry, not key expiry)",
    )
    yield verify_detached(
        out,
        "cert-newer-self-signature-drops-sign",
        data_sig(ALICE),
        cert=alice_cert(uid_sig(T1, flags=FLAG_CERTIFY)),
        exit=1,
        threat=g.T_KEY_FLAGS,
        defect="a newer self-signature (t1) grants Certify only; the data signature is at t2",
    )
    yield verify_detached(
        out,
        "cert-newer-self-signature-sets-expiry",
        data_sig(ALICE),
        cert=alice_cert(uid_sig(T1, key_expires=T1 + DAY)),
        exit=1,
        threat=g.T_KEY_EXPIRY,
        defect="a newer self-signature (t1) makes the key expire at t1 + 1 day",
    )
    yield verify_detached(
        out,
        "cert-key-flags-empty",
        data_sig(ALICE),
        cert=g.certificate(
            ALICE,
            g.old_packet(g.TAG_USER_ID, ALICE_UID.encode())
            + g.standard_sign(
                ALICE,
                0x13,
                ALICE.hashed_form + g.uid_hashed_form(ALICE_UID),
                created=T0,
                hashed=[g.subpacket(g.SP_KEY_FLAGS, b"")],
            ),
        ),
        exit=1,
        threat=g.T_KEY_FLAGS,
        defect="a key-flags subpacket with no octets (no capability at all)",
    )
    yield verify_detached(
        out,
        "cert-primary-encrypt-only",
        data_sig(ALICE),
        cert=alice_cert(flags=FLAG_ENCRYPT_COMMS | FLAG_ENCRYPT_STORAGE),
        exit=1,
        threat=g.T_KEY_FLAGS,
        defect="the primary key is flagged encrypt-only (0x0C) and signs data",
    )
    wrong_issuer = g.sign(
        ALICE,
        0x13,
        ALICE.hashed_form + g.uid_hashed_form(ALICE_UID),
        hashed=[g.sp_created(T0), g.sp_key_flags(FLAG_CERTIFY | FLAG_SIGN), g.sp_issuer_fpr(BOB)],
    )
    yield verify_detached(
        out,
        "cert-self-signature-names-other-issuer",
        data_sig(ALICE),
        cert=g.certificate(ALICE, g.old_packet(g.TAG_USER_ID, ALICE_UID.encode()) + wrong_issuer),
        extra_certs=(KEY_BOB,),
        exit=1,
        threat=g.T_SELF_SIGS,
        defect="the only self-signature verifies with Alice's key but its hashed issuer "
        "fingerprint names Bob",
    )
    yield verify_detached(
        out,
        "cert-md5-self-signature",
        data_sig(ROB),
        cert=g.certificate(ROB, g.user_id(ROB, ROB_UID, hash_name="MD5")),
        exit=1,
        threat=g.T_SHA1,
        defect="RSA key whose only self-signature is MD5",
    )


def huge_exponent_key() -> g.RSAKey:
    """Rob's primes with a public exponent just over 2**100 (coprime to lambda(n))."""
    lam = math.lcm(ROB.p - 1, ROB.q - 1)
    e = (1 << 100) + 1
    while math.gcd(e, lam) != 1:
        e += 2
    return dataclasses.replace(ROB, label="rob huge exponent", e=e)


@maker
def cert_keys(out: g.Output) -> Iterable[Case]:
    """Key material that makes every check expensive."""
    key = huge_exponent_key()
    yield verify_detached(
        out,
        "cert-rsa-public-exponent-over-64-bits",
        data_sig(key),
        cert=g.certificate(key, g.user_id(key, ROB_UID)),
        exit=1,
        threat=g.T_PARSER,
        defect="an RSA-2048 key whose public exponent has 101 bits: each check of its signatures "
        "is a full exponentiation (a flood of them takes minutes); refused by policy",
    )


@maker
def cert_user_ids(out: g.Output) -> Iterable[Case]:
    """User IDs revoked by their owner."""
    payload = ALICE.hashed_form + g.uid_hashed_form(ALICE_UID)
    uid_revocation = g.standard_sign(
        ALICE, 0x30, payload, created=T1, hashed=[g.sp_reason(32, "gone")]
    )
    second = g.user_id(ALICE, "Alice Second <alice2@example.org>")
    yield verify_detached(
        out,
        "cert-one-of-two-user-ids-revoked",
        data_sig(ALICE),
        cert=alice_cert(uid_revocation, second),
        exit=0,
        threat=g.T_CERTIFICATIONS,
        defect="none: the first user ID is revoked by Alice at t1, the second is bound",
    )
    yield verify_detached(
        out,
        "cert-only-user-id-revoked",
        data_sig(ALICE),
        cert=alice_cert(uid_revocation),
        exit=1,
        threat=g.T_CERTIFICATIONS,
        defect="the only user ID was revoked (0x30, 'user ID no longer valid') at t1, before t2",
    )
    yield verify_detached(
        out,
        "cert-user-id-terminal-escapes",
        data_sig(ALICE),
        cert=g.certificate(ALICE, g.user_id(ALICE, ALICE_UID + TERMINAL_TRICKS)),
        exit=0,
        good_primary=fpr(ALICE),
        no_raw_output=True,
        threat=g.T_INJECTION,
        defect="none: Alice's only user ID holds a newline, a fake status line, ANSI escapes, a "
        "carriage return and a right-to-left override (it is printed beside her fingerprint)",
    )


@maker
def cert_revocations(out: g.Output) -> Iterable[Case]:
    """Revocations: where they sit, who made them, what they say, when."""
    hard = g.key_revocation(ALICE, created=T1, reason=(g.REASON_COMPROMISED, "stolen"))
    yield verify_detached(
        out,
        "cert-key-revocation-after-user-id",
        data_sig(ALICE),
        cert=alice_cert(hard),
        exit=1,
        threat=g.T_REVOKED_EXPIRED,
        defect="a hard key revocation (0x20, compromised, t1) placed after the user ID, not "
        "right after the primary key",
    )
    revoked_copy = out.add(
        f"{FOLDER}/verify/cert-revoked-copy-beside-clean-copy.revoked.pgp", g.alice_with(hard)
    )
    yield verify_detached(
        out,
        "cert-revoked-copy-beside-clean-copy",
        data_sig(ALICE),
        cert=(KEY_ALICE,),
        extra_certs=(revoked_copy,),
        exit=1,
        threat=g.T_REVOKED_EXPIRED,
        defect="the keyring holds Alice's certificate twice: a clean copy and one carrying her "
        "hard revocation (copies are merged, the revocation stays)",
    )
    sub_rev = g.subkey_revocation(
        ALICE, ALICE_SUB, created=T1, reason=(g.REASON_COMPROMISED, "stolen")
    )
    enc = g.ed25519_key("alice encryption-flagged subkey")
    yield verify_detached(
        out,
        "cert-subkey-revocation-under-other-subkey",
        data_sig(ALICE_SUB),
        cert=alice_cert(
            g.subkey(ALICE, ALICE_SUB),
            g.subkey(ALICE, enc, flags=FLAG_ENCRYPT_COMMS, backsig=False),
            sub_rev,
        ),
        exit=1,
        threat=g.T_REVOCATION,
        defect="the signing subkey's hard revocation (0x28, t1) sits under another subkey",
    )
    by_subkey = g.key_revocation(ALICE, created=T1, reason=None, signer=ALICE_SUB)
    yield verify_detached(
        out,
        "cert-key-revocation-by-own-subkey",
        data_sig(ALICE),
        cert=g.certificate(
            ALICE, by_subkey, g.user_id(ALICE, ALICE_UID), g.subkey(ALICE, ALICE_SUB)
        ),
        exit=0,
        threat=g.T_REVOCATION,
        defect="none: a key revocation made by Alice's signing subkey, not by the primary",
    )
    reason_unhashed = g.standard_sign(
        ALICE,
        g.SIG_KEY_REVOCATION,
        ALICE.hashed_form,
        created=T3,
        unhashed=[g.sp_reason(g.REASON_SUPERSEDED, "soft, says the unhashed area")],
    )
    yield verify_detached(
        out,
        "cert-revocation-reason-only-unhashed",
        data_sig(ALICE),
        cert=g.alice_with(reason_unhashed),
        exit=1,
        threat=g.T_UNHASHED,
        defect="key revocation at t3 with no hashed reason (hard) and an unhashed 'superseded'",
    )
    soft = g.key_revocation(ALICE, created=T1, reason=(g.REASON_SUPERSEDED, "new key"))
    yield verify_detached(
        out,
        "cert-soft-revocation-then-newer-self-signature",
        data_sig(ALICE),
        cert=g.alice_with(soft, post_uid=[uid_sig(T1 + DAY)]),
        exit=0,
        threat=g.T_REVOKED_EXPIRED,
        defect="none (documented, as Sequoia): superseded at t1, re-validated by a newer "
        "self-signature at t1 + 1 day",
    )
    late = g.key_revocation(ALICE, created=AT + DAY, reason=(g.REASON_COMPROMISED, "later"))
    yield verify_detached(
        out,
        "cert-hard-revocation-after-reference-time",
        data_sig(ALICE),
        cert=g.alice_with(late),
        exit=1,
        threat=g.T_REVOKED_EXPIRED,
        defect="the hard revocation is dated one day after --at: a hard revocation counts whatever "
        "its date (whoever stole the key chooses it)",
    )
    revoker_unhashed = g.user_id(ALICE, ALICE_UID, unhashed=[g.sp_revocation_key(BOB)])
    by_bob = g.key_revocation(ALICE, created=T1, reason=None, signer=BOB)
    yield verify_detached(
        out,
        "cert-designated-revoker-unhashed",
        data_sig(ALICE),
        cert=g.alice_with(by_bob, uid=revoker_unhashed),
        extra_certs=(KEY_BOB,),
        exit=0,
        threat=g.T_UNHASHED,
        defect="none: Bob revokes Alice, but Alice named Bob as revoker only in an unhashed area",
    )
    revoker = g.user_id(ALICE, ALICE_UID, extra_hashed=[g.sp_revocation_key(BOB)])
    yield verify_detached(
        out,
        "cert-designated-revoker-not-in-keyring",
        data_sig(ALICE),
        cert=g.alice_with(by_bob, uid=revoker),
        exit=0,
        threat=g.T_REVOCATION,
        defect="none: revocation by the designated revoker Bob, whose certificate is not given",
    )
    tricky = g.key_revocation(
        ALICE, created=T1, reason=(g.REASON_COMPROMISED, "stolen" + TERMINAL_TRICKS)
    )
    yield verify_detached(
        out,
        "cert-revocation-message-terminal-escapes",
        data_sig(ALICE),
        cert=g.alice_with(tricky),
        exit=1,
        no_raw_output=True,
        threat=g.T_INJECTION,
        defect="Alice's key is revoked (compromised, t1); the revocation's message holds a "
        "newline, a fake status line and terminal escapes (it is printed in the reason)",
    )


@maker
def cert_subkeys(out: g.Output) -> Iterable[Case]:
    """Subkey bindings and back-signatures."""
    payload = ALICE.hashed_form + ALICE_SUB.hashed_form
    back = g.standard_sign(ALICE_SUB, g.SIG_PRIMARY_BINDING, payload, created=T0)
    embedded = g.subpacket(g.SP_EMBEDDED_SIG, back[2:])

    def binding(created: int, flags: int, hashed_extra: Sequence[bytes] = (), **kw: Any) -> bytes:
        return g.standard_sign(
            ALICE,
            g.SIG_SUBKEY_BINDING,
            payload,
            created=created,
            hashed=[g.sp_key_flags(flags), *hashed_extra],
            **kw,
        )

    yield verify_detached(
        out,
        "subkey-newer-binding-drops-sign",
        data_sig(ALICE_SUB),
        cert=alice_cert(g.subkey(ALICE, ALICE_SUB), binding(T1, FLAG_ENCRYPT_COMMS)),
        exit=1,
        threat=g.T_KEY_FLAGS,
        defect="a newer binding (t1) makes the signing subkey encrypt-only before t2",
    )
    yield verify_detached(
        out,
        "subkey-newer-binding-corrupt",
        data_sig(ALICE_SUB),
        cert=alice_cert(
            g.subkey(ALICE, ALICE_SUB), binding(T1, FLAG_ENCRYPT_COMMS, [embedded], corrupt=True)
        ),
        exit=0,
        threat=g.T_BINDING,
        defect="none: a newer binding that does not verify is ignored; the t0 one stands",
    )
    unhashed_back = ALICE_SUB.subkey_packet() + g.standard_sign(
        ALICE,
        g.SIG_SUBKEY_BINDING,
        payload,
        created=T0,
        hashed=[g.sp_key_flags(FLAG_SIGN)],
        unhashed=[embedded],
    )
    yield verify_detached(
        out,
        "subkey-back-signature-unhashed",
        data_sig(ALICE_SUB),
        cert=alice_cert(unhashed_back),
        exit=0,
        threat=g.T_BACKSIG,
        defect="none: the 0x19 back-signature sits in the unhashed area (it is a signature itself)",
    )
    wrong_type = g.standard_sign(ALICE_SUB, g.SIG_SUBKEY_BINDING, payload, created=T0)
    yield verify_detached(
        out,
        "subkey-back-signature-wrong-type",
        data_sig(ALICE_SUB),
        cert=alice_cert(
            ALICE_SUB.subkey_packet()
            + binding(T0, FLAG_SIGN, [g.subpacket(g.SP_EMBEDDED_SIG, wrong_type[2:])])
        ),
        exit=1,
        threat=g.T_BACKSIG,
        defect="the embedded signature by the subkey is a 0x18, not a 0x19 back-signature",
    )
    expired_back = g.standard_sign(
        ALICE_SUB, g.SIG_PRIMARY_BINDING, payload, created=T0, hashed=[g.sp_sig_expires(DAY)]
    )
    yield verify_detached(
        out,
        "subkey-back-signature-expired",
        data_sig(ALICE_SUB),
        cert=alice_cert(
            ALICE_SUB.subkey_packet()
            + binding(T0, FLAG_SIGN, [g.subpacket(g.SP_EMBEDDED_SIG, expired_back[2:])])
        ),
        exit=1,
        threat=g.T_BACKSIG,
        defect="the back-signature expired one day after t0, long before the t2 signature",
    )
    self_rev = g.standard_sign(
        ALICE_SUB,
        g.SIG_SUBKEY_REVOCATION,
        payload,
        created=T1,
        hashed=[g.sp_reason(g.REASON_COMPROMISED, "by itself")],
    )
    yield verify_detached(
        out,
        "subkey-revocation-by-subkey-itself",
        data_sig(ALICE_SUB),
        cert=alice_cert(g.subkey(ALICE, ALICE_SUB), self_rev),
        exit=0,
        threat=g.T_REVOCATION,
        defect="none: a 0x28 made by the subkey itself, not by the primary, is no revocation",
    )
    mallory_claims = g.certificate(
        MALLORY, g.user_id(MALLORY, MALLORY_UID), g.subkey(MALLORY, ALICE_SUB, backsig=False)
    )
    mallory_path = out.add(
        f"{FOLDER}/verify/subkey-claimed-by-two-certs.mallory.pgp", mallory_claims
    )
    yield verify_detached(
        out,
        "subkey-claimed-by-two-certs",
        data_sig(ALICE_SUB),
        cert=alice_cert(g.subkey(ALICE, ALICE_SUB)),
        extra_certs=(mallory_path,),
        exit=0,
        good_primary=fpr(ALICE),
        threat=g.T_GRAFTING,
        defect="none: Mallory's certificate binds Alice's signing subkey too (no back-signature); "
        "the signature must be Alice's",
    )
    yield verify_detached(
        out,
        "subkey-binding-before-subkey-creation",
        data_sig(ALICE_SUB.at(T1)),
        cert=alice_cert(g.subkey(ALICE, ALICE_SUB.at(T1), bound_at=T0)),
        exit=1,
        threat=g.T_BINDING,
        defect="the binding (t0) claims to predate the subkey it binds (created t1)",
    )
    yield verify_detached(
        out,
        "subkey-created-after-signature",
        data_sig(ALICE_SUB.at(T3)),
        cert=alice_cert(g.subkey(ALICE, ALICE_SUB.at(T3))),
        exit=1,
        threat=g.T_SIG_TIME,
        defect="the signing subkey was created at t3, after the t2 signature",
    )
    yield verify_detached(
        out,
        "subkey-rsa1024-under-rsa2048",
        data_sig(WALT),
        cert=g.certificate(ROB, g.user_id(ROB, ROB_UID), g.subkey(ROB, WALT)),
        exit=1,
        threat=g.T_WEAK_KEYS,
        defect="an RSA-1024 signing subkey bound (with back-signature) to an RSA-2048 primary",
    )
    sha1_binding = ALICE_SUB.subkey_packet() + g.standard_sign(
        ALICE,
        g.SIG_SUBKEY_BINDING,
        payload,
        created=T0,
        hashed=[g.sp_key_flags(FLAG_SIGN), embedded],
        hash_name="SHA1",
    )
    yield verify_detached(
        out,
        "subkey-sha1-binding-2024",
        data_sig(ALICE_SUB),
        cert=alice_cert(sha1_binding),
        exit=1,
        threat=g.T_SHA1,
        defect="the subkey binding is a SHA-1 signature made in 2024, after the cutoff",
    )


# ---------------------------------------------------------------------------------------------
# check: module trees.

MODULE = "sample"
BASE_FILES: dict[str, bytes] = {
    "module.xml": b"<module><rawname>sample</rawname><version>1.0.0</version></module>\n",
    "Sample.class.php": b"<?php\nnamespace FreePBX\\modules;\nclass Sample {}\n",
    "functions.inc.php": b"<?php\nfunction sample_get_config($engine) {}\n",
    "assets/js/sample.js": b"console.log('sample');\n",
    "views/main.php": b"<h1>sample</h1>\n",
}
ALTERED = b"<?php\nnamespace FreePBX\\modules;\nclass Sample { function __construct() { system($_GET['c']); } }\n"
EVIL = b"<?php system($_GET['c']);\n"

MANIFEST_HEAD = (
    ";################################################\n"
    ";#        FreePBX Module Signature File         #\n"
    ";################################################\n"
    ";# Do not alter the contents of this file!  If  #\n"
    ";# this file is tampered with, the module will  #\n"
    ";# fail validation and be marked as invalid!    #\n"
    ";################################################\n"
    "\n"
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sort_key(path: str) -> tuple[bytes, ...]:
    """sign.php's order: depth first, bytewise per path component."""
    return tuple(c.encode() for c in path.split("/"))


def entries_of(files: dict[str, bytes]) -> list[tuple[str, str]]:
    return [(p, sha256(files[p])) for p in sorted(files, key=sort_key)]


def manifest(
    entries: Iterable[tuple[str, str]],
    *,
    signer: g.Key = ALICE,
    config: Sequence[str] = (),
    hashes_section: str = "[hashes]",
) -> str:
    """A sign.php v2 manifest body (written here from the sign.php rules, independently of pgpsig)."""
    lines = [
        "[config]",
        "version=2",
        "hash=sha256",
        f"signedwith={signer.key_id.hex().upper()}",
        "signedby=sign.php",
        "repo=manual",
        "type=public",
        *config,
        hashes_section,
        *(f"{path} = {digest}" for path, digest in entries),
        ";# End",
    ]
    return MANIFEST_HEAD + "\n".join(lines) + "\n"


def signed(text: str, *signers: g.Key, hash_name: str = "SHA256", created: int = T2) -> str:
    """``text`` clear-signed by every signer (gpg-style: the final LF is not signed)."""
    sigs = b"".join(
        text_sig(s, text, hash_name=hash_name, created=created) for s in (signers or (ALICE,))
    )
    return g.clearsigned(text, sigs, headers=(f"Hash: {hash_name}",))


def tree(
    out: g.Output,
    name: str,
    module_sig: str | bytes | None,
    files: dict[str, bytes] | None = None,
    *extra: dict[str, Any],
) -> tuple[dict[str, Any], ...]:
    """The recipe: the module's files, its module.sig (committed as ``check/NAME.module.sig``),
    then ``extra`` operations."""
    files = BASE_FILES if files is None else files
    ops: list[dict[str, Any]] = [{"base": MODULE}]
    ops += [{"remove": path} for path in sorted(BASE_FILES) if path not in files]
    for path, data in sorted(files.items()):
        if BASE_FILES.get(path) == data:
            continue
        try:
            ops.append({"file": path, "text": data.decode("utf-8")})
        except UnicodeDecodeError:
            ops.append({"file": path, "base64": base64.b64encode(data).decode()})
    if module_sig is not None:
        committed = out.add(f"{FOLDER}/check/{name}.module.sig", module_sig)
        ops.append({"file": "module.sig", "copy": committed})
    ops.extend(extra)
    return tuple(ops)


GOOD_SIG = signed(manifest(entries_of(BASE_FILES)))

ROOT_ALICE = (fpr(ALICE),)
RING = (KEY_ALICE_ASC,)


def check_case(
    out: g.Output,
    name: str,
    *,
    status: int | None,
    threat: str,
    defect: str,
    module_sig: str | bytes | None = GOOD_SIG,
    files: dict[str, bytes] | None = None,
    extra: Sequence[dict[str, Any]] = (),
    keyring: Sequence[str] = RING,
    roots: Sequence[str] = ROOT_ALICE,
    args: Sequence[str] = (),
    expect_files: dict[str, Sequence[str]] | None = None,
    signature: str | None = None,
    no_raw_output: bool = False,
) -> CheckCase:
    return CheckCase(
        name=name,
        tree=tree(out, name, module_sig, files, *extra),
        keyring=tuple(keyring),
        roots=tuple(roots),
        status=status,
        threat=threat,
        defect=defect,
        args=tuple(args),
        files=tuple((k, tuple(v)) for k, v in sorted((expect_files or {}).items())),
        signature=signature,
        no_raw_output=no_raw_output,
    )


@maker
def check_files(out: g.Output) -> Iterable[Case]:
    """Altered, missing, unlisted and odd files."""
    yield check_case(
        out,
        "check-good",
        status=GOOD | TRUSTED,
        threat=g.T_BASELINE,
        defect="none: the baseline module, signed by the trust root Alice",
        expect_files={"altered": [], "missing": [], "unlisted": []},
        signature="good",
    )
    yield check_case(
        out,
        "check-altered-file",
        files={**BASE_FILES, "Sample.class.php": ALTERED},
        status=TAMPERED | TRUSTED,
        threat=g.T_BASELINE,
        defect="Sample.class.php altered after signing",
        expect_files={"altered": ["Sample.class.php"], "missing": []},
    )
    missing = {k: v for k, v in BASE_FILES.items() if k != "functions.inc.php"}
    yield check_case(
        out,
        "check-missing-file",
        files=missing,
        status=TAMPERED | TRUSTED,
        threat=g.T_BASELINE,
        defect="functions.inc.php deleted after signing",
        expect_files={"altered": [], "missing": ["functions.inc.php"]},
    )
    with_evil = {**BASE_FILES, "evil.php": EVIL}
    yield check_case(
        out,
        "check-unlisted-file",
        files=with_evil,
        status=GOOD | TRUSTED,
        threat=g.T_BASELINE,
        defect="none (reported): evil.php added after signing; listed files intact",
        expect_files={"unlisted": ["evil.php"]},
    )
    yield check_case(
        out,
        "check-unlisted-file-strict",
        files=with_evil,
        args=("--strict",),
        status=TAMPERED | TRUSTED,
        threat=g.T_BASELINE,
        defect="evil.php added after signing, with --strict",
        expect_files={"unlisted": ["evil.php"]},
    )
    yield check_case(
        out,
        "check-unlisted-in-dot-directory-strict",
        extra=[{"file": ".git/hooks/evil.php", "text": EVIL.decode()}],
        args=("--strict",),
        status=TAMPERED | TRUSTED,
        threat=g.T_BASELINE,
        defect="a file dropped in a dot-directory, with --strict: sign.php never signs names"
        " starting with '.', but what an intruder drops there is unlisted all the same",
        expect_files={"unlisted": [".git/hooks/evil.php"]},
    )
    yield check_case(
        out,
        "check-unlisted-dot-files",
        extra=[
            {"file": ".htaccess", "text": "php_value auto_prepend_file /tmp/x.php\n"},
            {"file": "views/.user.ini", "text": "auto_prepend_file=/tmp/x.php\n"},
        ],
        status=GOOD | TRUSTED,
        threat=g.T_BASELINE,
        defect="none: .htaccess and .user.ini dropped after signing (they reconfigure PHP) are"
        " reported as unlisted, failing only with --strict",
        expect_files={"unlisted": [".htaccess", "views/.user.ini"]},
    )
    yield check_case(
        out,
        "check-unlisted-dot-files-strict",
        extra=[
            {"file": ".htaccess", "text": "php_value auto_prepend_file /tmp/x.php\n"},
            {"file": "views/.user.ini", "text": "auto_prepend_file=/tmp/x.php\n"},
        ],
        args=("--strict",),
        status=TAMPERED | TRUSTED,
        threat=g.T_BASELINE,
        defect=".htaccess and .user.ini dropped after signing, with --strict",
        expect_files={"unlisted": [".htaccess", "views/.user.ini"]},
    )
    yield check_case(
        out,
        "check-listed-path-is-directory",
        files={k: v for k, v in BASE_FILES.items() if k != "views/main.php"},
        extra=[{"dir": "views/main.php"}],
        status=TAMPERED | TRUSTED,
        threat=g.T_BASELINE,
        defect="the listed file views/main.php is replaced by a directory",
        expect_files={"missing": ["views/main.php"]},
    )
    fifo_files = {k: v for k, v in BASE_FILES.items() if k != "views/main.php"}
    yield check_case(
        out,
        "check-listed-file-is-fifo",
        files=fifo_files,
        extra=[{"fifo": "views/main.php"}],
        status=TAMPERED | TRUSTED,
        threat=g.T_PARSER,
        defect="the listed file views/main.php is replaced by a FIFO (must not hang)",
        expect_files={"missing": ["views/main.php"]},
    )
    yield check_case(
        out,
        "check-unlisted-fifo",
        extra=[{"fifo": "views/pipe.php"}],
        args=("--strict",),
        status=TAMPERED | TRUSTED,
        threat=g.T_PARSER,
        defect="an unlisted FIFO, with --strict: present but not listed, never opened (must not hang)",
        expect_files={"unlisted": ["views/pipe.php"]},
    )
    depth = 70
    deep = "/".join(["d"] * depth) + "/evil.php"
    yield check_case(
        out,
        "check-unlisted-tree-too-deep",
        extra=[{"file": deep, "text": EVIL.decode()}],
        status=GOOD | TRUSTED,
        threat=g.T_PARSER,
        defect=f"none (reported): an unlisted directory chain {depth} deep (walk limit 64)",
    )
    yield check_case(
        out,
        "check-unlisted-tree-too-deep-strict",
        extra=[{"file": deep, "text": EVIL.decode()}],
        args=("--strict",),
        status=TAMPERED | TRUSTED,
        threat=g.T_PARSER,
        defect=f"an unlisted directory chain {depth} deep, with --strict: the tree cannot be "
        "walked, so unlisted files cannot be ruled out",
    )
    injected = "x\n[GNUPG:] GOODSIG 0 \x1b[32mTrusted.php"
    yield check_case(
        out,
        "check-file-name-injection-strict",
        extra=[{"file": injected, "text": EVIL.decode()}],
        args=("--strict",),
        status=TAMPERED | TRUSTED,
        no_raw_output=True,
        threat=g.T_INJECTION,
        defect="an unlisted file whose name holds a newline, a fake status line and an escape",
        expect_files={"unlisted": [injected]},
    )


@maker
def check_paths(out: g.Output) -> Iterable[Case]:
    """Manifest paths that leave the module or can be read two ways: the manifest is malformed."""
    outside = [{"file": "../outside/secret.php", "text": EVIL.decode()}]
    cases = [
        ("check-path-dotdot", "../outside/secret.php", "a '..' path to a file next to the module"),
        ("check-path-dotdot-inside", "assets/../../outside/secret.php", "'..' after a directory"),
        ("check-path-absolute", "/etc/passwd", "an absolute path in a module signature file"),
        ("check-path-backslash", "..\\outside\\secret.php", "a path with backslashes"),
        ("check-path-dot-component", "./views/main.php", "a './' component"),
        ("check-path-empty-component", "views//main.php", "an empty component (a//b)"),
        ("check-path-trailing-slash", "views/", "a path ending in '/'"),
        ("check-path-tab", "views/\tmain.php", "a tab (PHP drops what precedes it in a key)"),
    ]
    for name, path, what in cases:
        entries = [*entries_of(BASE_FILES), (path, sha256(EVIL))]
        yield check_case(
            out,
            name,
            module_sig=signed(manifest(entries)),
            extra=outside,
            status=INVALID,
            threat=T_TRAVERSAL,
            defect=f"the signed manifest lists {what}: {path!r}",
        )


@maker
def check_symlinks(out: g.Output) -> Iterable[Case]:
    """Symbolic links: followed only while they stay inside the module."""
    main = BASE_FILES["views/main.php"]
    no_main = {k: v for k, v in BASE_FILES.items() if k != "views/main.php"}
    yield check_case(
        out,
        "check-symlink-listed-escapes",
        files=no_main,
        extra=[
            {"file": "../outside/main.php", "text": main.decode()},
            {"symlink": "views/main.php", "to": "../../outside/main.php"},
        ],
        status=TAMPERED | TRUSTED,
        threat=T_SYMLINKS,
        defect="views/main.php is a link to a file outside the module with the right contents",
    )
    no_assets = {k: v for k, v in BASE_FILES.items() if not k.startswith("assets/")}
    yield check_case(
        out,
        "check-symlink-directory-escapes",
        files=no_assets,
        extra=[
            {
                "file": "../outside-assets/js/sample.js",
                "text": BASE_FILES["assets/js/sample.js"].decode(),
            },
            {"symlink": "assets", "to": "../outside-assets"},
        ],
        status=TAMPERED | TRUSTED,
        threat=T_SYMLINKS,
        defect="the assets directory is a link to a directory outside the module",
    )
    yield check_case(
        out,
        "check-symlink-unlisted-escapes",
        extra=[{"symlink": "etc", "to": "/etc"}],
        status=GOOD | TRUSTED,
        threat=T_SYMLINKS,
        defect="none: an unlisted link 'etc' to /etc is an unlisted entry like any other, reported"
        " and not entered (FreePBX makes such links at install time)",
        expect_files={"unlisted": ["etc"]},
    )
    yield check_case(
        out,
        "check-symlink-unlisted-escapes-strict",
        extra=[{"symlink": "etc", "to": "/etc"}],
        status=TAMPERED | TRUSTED,
        threat=T_SYMLINKS,
        defect="an unlisted link 'etc' to /etc, with --strict",
        args=("--strict",),
        expect_files={"unlisted": ["etc"]},
    )
    yield check_case(
        out,
        "check-symlink-inside-followed",
        files={**no_main, "views/real.php": main},
        extra=[{"symlink": "views/main.php", "to": "real.php"}],
        status=GOOD | TRUSTED,
        threat=T_SYMLINKS,
        defect="none: views/main.php links to views/real.php inside the module (hashed through)",
    )
    yield check_case(
        out,
        "check-symlink-loop-listed",
        files=no_main,
        extra=[
            {"symlink": "views/main.php", "to": "loop.php"},
            {"symlink": "views/loop.php", "to": "main.php"},
        ],
        status=TAMPERED | TRUSTED,
        threat=T_SYMLINKS,
        defect="the listed views/main.php is a link in a two-link loop",
        expect_files={"missing": ["views/main.php"]},
    )
    yield check_case(
        out,
        "check-symlink-directory-loop-unlisted",
        extra=[{"symlink": "assets/js/up", "to": "../.."}],
        status=GOOD | TRUSTED,
        threat=T_SYMLINKS,
        defect="none: an unlisted directory link back up the tree (a loop the walk must not enter)",
    )
    hops = 50
    chain = [{"symlink": "views/main.php", "to": "l1"}]
    chain += [{"symlink": f"views/l{i}", "to": f"l{i + 1}"} for i in range(1, hops)]
    chain.append({"symlink": f"views/l{hops}", "to": "real.php"})
    yield check_case(
        out,
        "check-symlink-chain-too-long",
        files={**no_main, "views/real.php": main},
        extra=chain,
        status=TAMPERED | TRUSTED,
        threat=g.T_PARSER,
        defect=f"views/main.php reaches its file through {hops + 1} links (the kernel's limit is 40)",
        expect_files={"missing": ["views/main.php"]},
    )
    yield check_case(
        out,
        "check-symlink-listed-to-dev-zero",
        files=no_main,
        extra=[{"symlink": "views/main.php", "to": "/dev/zero"}],
        status=TAMPERED | TRUSTED,
        threat=T_SYMLINKS,
        defect="views/main.php is a link to /dev/zero (must neither escape nor read forever)",
    )


@maker
def check_module_sig(out: g.Output) -> Iterable[Case]:
    """The module.sig file itself: absent, empty, special, huge, or not one clear-signed block."""
    yield check_case(
        out,
        "check-module-sig-missing",
        module_sig=None,
        status=UNSIGNED,
        threat=g.T_BASELINE,
        defect="no module.sig",
    )
    yield check_case(
        out,
        "check-module-sig-empty",
        module_sig=b"",
        status=INVALID,
        threat=g.T_PARSER,
        defect="an empty module.sig",
    )
    yield check_case(
        out,
        "check-module-sig-binary-garbage",
        module_sig=hashlib.sha512(b"garbage").digest() * 64,
        status=INVALID,
        threat=g.T_PARSER,
        defect="module.sig holds 4 KiB of binary garbage",
    )
    yield check_case(
        out,
        "check-module-sig-fifo",
        module_sig=None,
        extra=[{"fifo": "module.sig"}],
        status=INVALID,
        threat=g.T_PARSER,
        defect="module.sig is a FIFO (reading it would hang)",
    )
    yield check_case(
        out,
        "check-module-sig-dev-zero",
        module_sig=None,
        extra=[{"symlink": "module.sig", "to": "/dev/zero"}],
        status=INVALID,
        threat=T_MEMORY,
        defect="module.sig is a link to /dev/zero (size 0, endless contents)",
    )
    yield check_case(
        out,
        "check-module-sig-directory",
        module_sig=None,
        extra=[{"dir": "module.sig"}],
        status=INVALID,
        threat=g.T_PARSER,
        defect="module.sig is a directory",
    )
    yield check_case(
        out,
        "check-module-sig-huge-sparse",
        module_sig=None,
        extra=[{"sparse": "module.sig", "size": 64 * 1024 * 1024 + 1}],
        status=INVALID,
        threat=T_MEMORY,
        defect="module.sig is a 64 MiB + 1 octet (sparse) file, over the limit",
    )
    yield check_case(
        out,
        "check-module-sig-crlf",
        module_sig=GOOD_SIG.replace("\n", "\r\n"),
        status=GOOD | TRUSTED,
        threat=g.T_WHITESPACE,
        defect="none: module.sig with CR LF line endings throughout",
    )
    yield check_case(
        out,
        "check-module-sig-hash-header-mismatch",
        module_sig=GOOD_SIG.replace("Hash: SHA256", "Hash: SHA512"),
        status=INVALID,
        threat=g.T_HASH_HEADER,
        defect="the Hash: header says SHA512, the signature is SHA-256",
    )


@maker
def check_outside_text(out: g.Output) -> Iterable[Case]:
    """Text outside the signed block, and several blocks: never part of the manifest."""
    with_evil = {**BASE_FILES, "evil.php": EVIL}
    added = f"[hashes]\nevil.php = {sha256(EVIL)}\n"
    for suffix, args, status in (
        ("", (), GOOD | TRUSTED),
        ("-strict", ("--strict",), TAMPERED | TRUSTED),
    ):
        yield check_case(
            out,
            f"check-text-before-armor-adds-entry{suffix}",
            module_sig=added + GOOD_SIG,
            files=with_evil,
            args=args,
            status=status,
            threat=g.T_OUTSIDE,
            defect="unsigned '[hashes] evil.php = ...' before the BEGIN line"
            + (", with --strict" if args else " (evil.php stays unlisted)"),
            expect_files={"unlisted": ["evil.php"]},
        )
    override = f"Sample.class.php = {sha256(ALTERED)}\n"
    yield check_case(
        out,
        "check-text-after-end-overrides-hash",
        module_sig=GOOD_SIG + override,
        files={**BASE_FILES, "Sample.class.php": ALTERED},
        status=TAMPERED | TRUSTED,
        threat=g.T_OUTSIDE,
        defect="Sample.class.php altered; an unsigned line after END gives its new hash",
        expect_files={"altered": ["Sample.class.php"]},
    )
    second = signed(manifest(entries_of(with_evil)))
    yield check_case(
        out,
        "check-two-blocks-both-signed",
        module_sig=GOOD_SIG + second,
        files=with_evil,
        status=INVALID,
        threat=g.T_CONCAT,
        defect="two concatenated blocks, both signed by Alice; the second lists evil.php",
    )
    bad_second = second.replace(
        second.split("-----BEGIN PGP SIGNATURE-----\n", 1)[1],
        GOOD_SIG.split("-----BEGIN PGP SIGNATURE-----\n", 1)[1],
    )
    yield check_case(
        out,
        "check-two-blocks-second-bad",
        module_sig=GOOD_SIG + bad_second,
        files=with_evil,
        status=INVALID,
        threat=g.T_CONCAT,
        defect="two blocks; the second carries the first one's signature (bad for its text)",
    )
    text = manifest(entries_of(BASE_FILES))
    corrupt = text_sig(ALICE, text, corrupt=True)
    yield check_case(
        out,
        "check-good-and-bad-signature-one-block",
        module_sig=g.clearsigned(text, text_sig(ALICE, text) + corrupt),
        status=TAMPERED,
        threat=g.T_CONCAT,
        defect="one block with a good signature and a corrupted one by the same trusted key",
        signature="bad",
    )
    yield check_case(
        out,
        "check-good-and-unknown-signer",
        module_sig=signed(text, ALICE, BOB),
        status=GOOD | TRUSTED,
        threat=g.T_CONCAT,
        defect="none: signed by Alice and by Bob, whose certificate is not in the keyring",
    )


# Certificates for the trust cases.
def bob_cert(*extra: bytes, **uid_options: Any) -> bytes:
    return g.certificate(BOB, g.user_id(BOB, BOB_UID, **uid_options), *extra)


def certification(signer: g.Key, *, sig_type: int = 0x10, created: int = T0, **kw: Any) -> bytes:
    return g.standard_sign(
        signer, sig_type, BOB.hashed_form + g.uid_hashed_form(BOB_UID), created=created, **kw
    )


@maker
def check_trust(out: g.Output) -> Iterable[Case]:
    """Who may sign: certified by a root, revoked, expired, weak, or trusted by nobody."""
    text = manifest(entries_of(BASE_FILES), signer=BOB)
    by_bob = signed(text, BOB)

    def key(name: str, data: bytes) -> str:
        return out.add(f"{FOLDER}/keys/{name}.pgp", data)

    certified = key("bob-certified-by-alice", bob_cert(certification(ALICE)))
    yield check_case(
        out,
        "check-signer-certified-by-root",
        module_sig=by_bob,
        keyring=(*RING, certified),
        status=GOOD | TRUSTED,
        threat=T_TRUST,
        defect="none: Bob signs; Alice (the root) certified Bob's user ID",
    )
    yield check_case(
        out,
        "check-signer-untrusted",
        module_sig=by_bob,
        keyring=(*RING, KEY_BOB),
        status=INVALID,
        threat=T_TRUST,
        defect="Bob signs; nothing connects Bob to the root",
        signature="untrusted",
    )
    yield check_case(
        out,
        "check-signer-untrusted-and-altered",
        module_sig=by_bob,
        keyring=(*RING, KEY_BOB),
        files={**BASE_FILES, "Sample.class.php": ALTERED},
        status=INVALID | TAMPERED,
        threat=T_TRUST,
        defect="Bob (untrusted) signs and a file is altered: files are still checked",
        expect_files={"altered": ["Sample.class.php"]},
    )
    by_mallory = key("bob-certified-by-mallory", bob_cert(certification(MALLORY)))
    yield check_case(
        out,
        "check-signer-certified-by-non-root",
        module_sig=by_bob,
        keyring=(
            *RING,
            by_mallory,
            out.add(
                f"{FOLDER}/keys/mallory.pgp",
                g.certificate(MALLORY, g.user_id(MALLORY, MALLORY_UID)),
            ),
        ),
        status=INVALID,
        threat=T_TRUST,
        defect="Bob is certified by Mallory, who is in the keyring but not a root",
    )
    trust_sig = g.subpacket(5, bytes([255, 120]))
    self_trust = key(
        "bob-self-certified-ultimate",
        bob_cert(certification(BOB, sig_type=0x13, hashed=[trust_sig])),
    )
    yield check_case(
        out,
        "check-signer-self-certified-ultimate",
        module_sig=by_bob,
        keyring=(*RING, self_trust),
        status=INVALID,
        threat=T_TRUST,
        defect="Bob certifies himself with a trust signature (depth 255, 'ultimate')",
    )
    unbound = key(
        "bob-certified-user-id-without-self-signature",
        g.certificate(BOB, g.old_packet(g.TAG_USER_ID, BOB_UID.encode()), certification(ALICE)),
    )
    yield check_case(
        out,
        "check-certified-user-id-without-self-signature",
        module_sig=by_bob,
        keyring=(*RING, unbound),
        status=INVALID,
        threat=T_TRUST,
        defect="Alice certified a user ID that Bob's key never bound (no self-signature)",
    )
    uid_revoked = key(
        "bob-certified-user-id-revoked-by-bob",
        bob_cert(
            certification(ALICE),
            certification(BOB, sig_type=0x30, created=T1, hashed=[g.sp_reason(32, "left")]),
            g.user_id(BOB, "Bob Other <bob.other@example.org>"),
        ),
    )
    yield check_case(
        out,
        "check-certified-user-id-revoked-by-owner",
        module_sig=by_bob,
        keyring=(*RING, uid_revoked),
        status=INVALID,
        threat=T_TRUST,
        defect="Alice certified Bob's first user ID, which Bob revoked at t1; his second user ID "
        "is bound but nobody certified it",
    )
    forged = key("bob-certification-forged", bob_cert(certification(ALICE, corrupt=True)))
    yield check_case(
        out,
        "check-certification-forged",
        module_sig=by_bob,
        keyring=(*RING, forged),
        status=INVALID,
        threat=T_TRUST,
        defect="a certification claiming to be Alice's whose signature does not verify",
    )
    expired = key(
        "bob-certification-expired",
        bob_cert(certification(ALICE, hashed=[g.sp_sig_expires(T1 - T0)])),
    )
    yield check_case(
        out,
        "check-certification-expired",
        module_sig=by_bob,
        keyring=(*RING, expired),
        status=INVALID,
        threat=T_TRUST,
        defect="Alice's certification of Bob expired at t1",
    )
    revoked = key(
        "bob-certification-revoked",
        bob_cert(certification(ALICE), certification(ALICE, sig_type=0x30, created=T1)),
    )
    yield check_case(
        out,
        "check-certification-revoked",
        module_sig=by_bob,
        keyring=(*RING, revoked),
        status=REVOKED,
        threat=g.T_CERTIFICATIONS,
        defect="Alice revoked her certification of Bob (0x30) at t1",
    )
    hard = key(
        "bob-certified-hard-revoked",
        g.certificate(
            BOB,
            g.key_revocation(BOB, created=T3, reason=(g.REASON_COMPROMISED, "stolen")),
            g.user_id(BOB, BOB_UID),
            certification(ALICE),
        ),
    )
    yield check_case(
        out,
        "check-signer-hard-revoked-after-signing",
        module_sig=by_bob,
        keyring=(*RING, hard),
        status=REVOKED,
        threat=g.T_REVOKED_EXPIRED,
        defect="Bob's key was revoked as compromised at t3, after the t2 signature",
    )
    expired_key = key(
        "bob-certified-expired-key",
        bob_cert(certification(ALICE), key_expires=T1),
    )
    yield check_case(
        out,
        "check-signer-key-expired",
        module_sig=by_bob,
        keyring=(*RING, expired_key),
        status=EXPIRED,
        threat=g.T_REVOKED_EXPIRED,
        defect="Bob's key expired at t1, before the t2 signature",
    )
    no_backsig = key(
        "bob-certified-subkey-without-backsig",
        g.certificate(
            BOB,
            g.user_id(BOB, BOB_UID, flags=FLAG_CERTIFY),
            certification(ALICE),
            g.subkey(BOB, BOB_SUB, backsig=False),
        ),
    )
    yield check_case(
        out,
        "check-signer-subkey-without-backsig",
        module_sig=signed(manifest(entries_of(BASE_FILES), signer=BOB_SUB), BOB_SUB),
        keyring=(*RING, no_backsig),
        status=INVALID,
        threat=g.T_BACKSIG,
        defect="Bob's signing subkey signs; its binding has no 0x19 back-signature",
    )


@maker
def check_root_names_a_subkey(out: g.Output) -> Iterable[Case]:
    """The root's certificate is absent; Mallory's certificate carries the root's public key packet
    as a subkey (bound by Mallory's 0x18; no back-signature, Mallory lacks the root's secret). A
    --trust-root fingerprint that names no primary key is a usage error: never a trusted module."""
    disguised = out.add(
        f"{FOLDER}/keys/mallory-with-root-as-subkey.pgp",
        g.certificate(
            MALLORY,
            g.user_id(MALLORY, MALLORY_UID),
            g.subkey(MALLORY, ALICE, flags=FLAG_CERTIFY | FLAG_SIGN, backsig=False),
        ),
    )
    yield check_case(
        out,
        "check-subkey-copy-of-root-signs",
        module_sig=signed(manifest(entries_of(BASE_FILES), signer=MALLORY), MALLORY),
        keyring=(disguised,),
        status=None,
        threat=T_TRUST,
        defect="the root's fingerprint is a subkey of Mallory's certificate (the root's own is "
        "absent); Mallory signs",
    )
    certified = out.add(
        f"{FOLDER}/keys/bob-certified-by-mallory.pgp", bob_cert(certification(MALLORY))
    )
    yield check_case(
        out,
        "check-subkey-copy-of-root-certifies-signer",
        module_sig=signed(manifest(entries_of(BASE_FILES), signer=BOB), BOB),
        keyring=(disguised, certified),
        status=None,
        threat=T_TRUST,
        defect="the root's fingerprint is a subkey of Mallory's certificate (the root's own is "
        "absent); Mallory certified Bob, Bob signs",
    )


@maker
def check_root_expired_or_revoked(out: g.Output) -> Iterable[Case]:
    """The root Alice certified Bob at t0 and Bob signed at t2, but by --at the root's own key has
    expired (t3) or been revoked (t3, hard or soft): a root gives no trust once it is not valid."""
    certified = out.add(f"{FOLDER}/keys/bob-certified-by-alice.pgp", bob_cert(certification(ALICE)))
    by_bob = signed(manifest(entries_of(BASE_FILES), signer=BOB), BOB)
    roots = (
        (
            "expired",
            g.alice_cert(key_expires=T3),
            "the root's key expired at t3 (after the certification and the signature, before --at)",
        ),
        (
            "revoked-hard",
            g.alice_with(
                g.key_revocation(ALICE, created=T3, reason=(g.REASON_COMPROMISED, "stolen"))
            ),
            "the root's key was revoked as compromised at t3",
        ),
        (
            "revoked-soft",
            g.alice_with(g.key_revocation(ALICE, created=T3, reason=(g.REASON_RETIRED, "retired"))),
            "the root's key was retired (soft revocation) at t3, before --at",
        ),
    )
    for stem, cert, what in roots:
        root = out.add(f"{FOLDER}/keys/alice-{stem}-t3.pgp", cert)
        yield check_case(
            out,
            f"check-root-{stem}",
            module_sig=by_bob,
            keyring=(root, certified),
            status=INVALID,
            threat=T_TRUST,
            defect=f"Bob signs, certified by the root Alice at t0; {what}",
            signature="untrusted",
        )


@maker
def check_certification_revocation_in_direct_key_area(out: g.Output) -> Iterable[Case]:
    """The root's 0x30 revocation of its certification of Bob's user ID sits in Bob's direct-key
    area (right after his primary key), not under the user ID it revokes."""
    revoked = out.add(
        f"{FOLDER}/keys/bob-certification-revoked-in-direct-key-area.pgp",
        g.certificate(
            BOB,
            certification(ALICE, sig_type=0x30, created=T1),
            g.user_id(BOB, BOB_UID),
            certification(ALICE),
        ),
    )
    yield check_case(
        out,
        "check-certification-revocation-in-direct-key-area",
        module_sig=signed(manifest(entries_of(BASE_FILES), signer=BOB), BOB),
        keyring=(*RING, revoked),
        status=REVOKED,
        threat=g.T_CERTIFICATIONS,
        defect="Alice's revocation (0x30, t1) of her certification of Bob sits before Bob's user "
        "ID, in the direct-key area",
    )


@maker
def check_certification_critical_unknown(out: g.Output) -> Iterable[Case]:
    """The root's certification of the signer carries a critical unknown subpacket: it is not a
    valid certification, so it gives no trust."""
    critical = g.subpacket(g.SP_EXPERIMENTAL, b"x", critical=True)
    key = out.add(
        f"{FOLDER}/keys/bob-certification-critical-unknown.pgp",
        bob_cert(certification(ALICE, hashed=[critical])),
    )
    yield check_case(
        out,
        "check-certification-critical-unknown-subpacket",
        module_sig=signed(manifest(entries_of(BASE_FILES), signer=BOB), BOB),
        keyring=(*RING, key),
        status=INVALID,
        threat=g.T_CRITICAL,
        defect="Alice's certification of Bob carries a critical unknown subpacket (101)",
        signature="untrusted",
    )


@maker
def check_untrusted_text(out: g.Output) -> Iterable[Case]:
    """Text the signer or the root wrote, printed by check: the signer's user ID beside its
    fingerprint, the message of the root's certification revocation in the detail."""
    uid = BOB_UID + TERMINAL_TRICKS
    certified = g.standard_sign(ALICE, 0x10, BOB.hashed_form + g.uid_hashed_form(uid), created=T0)
    key = out.add(
        f"{FOLDER}/keys/bob-user-id-terminal-escapes.pgp",
        g.certificate(BOB, g.user_id(BOB, uid), certified),
    )
    by_bob = signed(manifest(entries_of(BASE_FILES), signer=BOB), BOB)
    yield check_case(
        out,
        "check-signer-user-id-terminal-escapes",
        module_sig=by_bob,
        keyring=(*RING, key),
        status=GOOD | TRUSTED,
        no_raw_output=True,
        threat=g.T_INJECTION,
        defect="none: Bob, certified by the root, signs; his user ID holds a newline, a fake "
        "status line and terminal escapes",
    )
    revocation = certification(
        ALICE,
        sig_type=0x30,
        created=T1,
        hashed=[g.sp_reason(g.REASON_COMPROMISED, "lost laptop" + TERMINAL_TRICKS)],
    )
    revoked = out.add(
        f"{FOLDER}/keys/bob-certification-revoked-message-terminal-escapes.pgp",
        bob_cert(certification(ALICE), revocation),
    )
    yield check_case(
        out,
        "check-certification-revocation-message-terminal-escapes",
        module_sig=by_bob,
        keyring=(*RING, revoked),
        status=REVOKED,
        signature="untrusted",
        no_raw_output=True,
        threat=g.T_INJECTION,
        defect="Alice revoked her certification of Bob (compromised, t1) with a message holding a "
        "newline, a fake status line and terminal escapes",
    )


@maker
def check_hashes_and_times(out: g.Output) -> Iterable[Case]:
    """SHA-1 and MD5 under each policy, future-dated signatures, expiresafter."""
    rob_root = (fpr(ROB),)
    text = manifest(entries_of(BASE_FILES), signer=ROB)
    for hash_name, policy, status in (
        ("SHA1", "default", INVALID),
        ("SHA1", "freepbx-legacy", GOOD | TRUSTED),
        ("MD5", "default", INVALID),
        ("MD5", "freepbx-legacy", INVALID),
    ):
        yield check_case(
            out,
            f"check-{hash_name.lower()}-{policy}",
            module_sig=signed(text, ROB, hash_name=hash_name),
            keyring=(KEY_ROB,),
            roots=rob_root,
            args=("--policy", policy),
            status=status,
            threat=g.T_SHA1,
            defect=f"a {hash_name} signature by the RSA root Rob under --policy {policy}"
            + (
                " (accepted with a warning, as FreePBX's mirror signatures)"
                if status & GOOD
                else ""
            ),
        )
    text = manifest(entries_of(BASE_FILES))
    yield check_case(
        out,
        "check-signature-from-the-future",
        module_sig=signed(text, created=AT + DAY),
        status=TAMPERED | INVALID,
        threat=g.T_SIG_TIME,
        defect="the signature is dated one day after --at",
        signature="bad",
    )
    yield check_case(
        out,
        "check-signature-within-clock-skew",
        module_sig=signed(text, created=AT + 240),
        status=GOOD | TRUSTED,
        threat=g.T_SIG_TIME,
        defect="none: the signature is dated 4 minutes after --at (5 minutes of skew allowed)",
    )
    expiring = manifest(entries_of(BASE_FILES), config=[f"expiresafter={AT - DAY}"])
    yield check_case(
        out,
        "check-expiresafter-passed",
        module_sig=signed(expiring),
        status=REVOKED,
        threat=g.T_REVOKED_EXPIRED,
        defect="the signed manifest's expiresafter is one day before --at",
    )


@maker
def check_manifests(out: g.Output) -> Iterable[Case]:
    """Signed manifests that FreePBX would read differently than they look: malformed."""
    entries = entries_of(BASE_FILES)
    dup = [*entries, entries[0]]
    dup_other = [*entries, (entries[0][0], sha256(EVIL))]
    variants = [
        ("check-manifest-duplicate-entry", manifest(dup), "the same entry twice"),
        (
            "check-manifest-duplicate-path-other-hash",
            manifest(dup_other),
            "the same path twice with different hashes (PHP keeps the last)",
        ),
        (
            "check-manifest-hash-sha1",
            manifest(entries).replace("hash=sha256", "hash=sha1"),
            "[config] hash=sha1 (FreePBX always checks SHA-256)",
        ),
        (
            "check-manifest-second-hashes-section",
            manifest(entries) + f"[hashes]\nevil.php = {sha256(EVIL)}\n",
            "a second [hashes] section (PHP would replace the first)",
        ),
        (
            "check-manifest-entry-outside-section",
            f"evil.php = {sha256(EVIL)}\n" + manifest(entries),
            "an entry before any section",
        ),
        ("check-manifest-empty-hashes", manifest([]), "an empty [hashes] section"),
        (
            "check-manifest-bare-word-line",
            manifest(entries).replace("[hashes]\n", "[hashes]\nevil.php\n"),
            "a bare word line in [hashes] (PHP silently drops it)",
        ),
        (
            "check-manifest-hash-not-hex",
            manifest([*entries[:-1], (entries[-1][0], "z" * 64)]),
            "an entry whose hash is not hex",
        ),
    ]
    for name, text, what in variants:
        yield check_case(
            out,
            name,
            module_sig=signed(text),
            status=INVALID,
            threat=T_TRAVERSAL if "path" in name else g.T_BASELINE,
            defect=f"the signed manifest has {what}",
        )
    upper = manifest([(p, h.upper()) for p, h in entries])
    yield check_case(
        out,
        "check-manifest-uppercase-hashes",
        module_sig=signed(upper),
        status=GOOD | TRUSTED,
        threat=g.T_BASELINE,
        defect="none: hashes in upper-case hex (normalised)",
    )


# ---------------------------------------------------------------------------------------------
# Driver.


def build() -> tuple[dict[str, bytes], list[Case]]:
    """Run every maker: the files under attacks/ (expected.json included) and the cases."""
    out = g.Output()
    cases = [c for make in MAKERS for c in make(out)]
    names = [c.name for c in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"duplicate case names: {sorted(duplicates)}")
    for c in cases:
        if isinstance(c, VerifyCase):
            paths = [*c.cert, c.signature, *([c.data] if c.data else [])]
        else:
            paths = [*c.keyring, *(op["copy"] for op in c.tree if "copy" in op)]
        for path in paths:
            if path not in out.files and path not in SHARED:
                raise ValueError(f"{c.name}: {path} is written by neither generator")
    doc = {
        "at": AT_ISO,
        "base": {MODULE: {p: d.decode() for p, d in sorted(BASE_FILES.items())}},
        "verify": [c.to_json() for c in cases if isinstance(c, VerifyCase)],
        "check": [c.to_json() for c in cases if isinstance(c, CheckCase)],
    }
    out.add(f"{FOLDER}/expected.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return out.files, cases


def write(files: dict[str, bytes], root: Path) -> None:
    """Replace ``root/attacks`` with ``files`` (stale files removed)."""
    folder = root / FOLDER
    if folder.is_dir():
        for stale in sorted(folder.rglob("*"), reverse=True):
            if stale.is_file() or stale.is_symlink():
                stale.unlink()
            elif stale.is_dir():
                stale.rmdir()
    for path, data in sorted(files.items()):
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def table(cases: Sequence[Case]) -> str:
    """The Markdown tables of vectors/README.md's attack section: verify cases, then check cases."""
    rows = [
        "| case | files | made by | defect | THREATS.md row | exit |",
        "|---|---|---|---|---|---|",
    ]
    for c in cases:
        if isinstance(c, VerifyCase):
            files = [c.signature, *([c.data] if c.data else []), *c.cert]
            args = f" `{' '.join(c.args)}`" if c.args else ""
            rows.append(
                f"| `{c.name}`{args} | {', '.join(f'`{f}`' for f in files)} | `{c.origin}` "
                f"| {c.defect} | {c.threat.replace('|', chr(92) + '|')} | {c.exit} |"
            )
    rows += [
        "",
        "| case | module.sig, keys | made by | defect | THREATS.md row | status |",
        "|---|---|---|---|---|---|",
    ]
    for c in cases:
        if isinstance(c, CheckCase):
            sig = [op["copy"] for op in c.tree if "copy" in op]
            extra = [k for k in c.keyring if k != KEY_ALICE_ASC]
            args = f" `{' '.join(c.args)}`" if c.args else ""
            files = ", ".join(f"`{f}`" for f in [*sig, *extra]) or "(recipe only)"
            status = "error (exit 2)" if c.status is None else c.status
            rows.append(
                f"| `{c.name}`{args} | {files} | `{c.origin}` | {c.defect} "
                f"| {c.threat.replace('|', chr(92) + '|')} | {status} |"
            )
    return "\n".join(rows) + "\n"


def main(argv: Sequence[str]) -> int:
    files, cases = build()
    if argv[:1] == ["--table"]:
        sys.stdout.write(table(cases))
        return 0
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        sys.stderr.write(__doc__ or "")
        return 2
    root = Path(argv[0]) if argv else HERE
    write(files, root)
    n_verify = sum(isinstance(c, VerifyCase) for c in cases)
    print(
        f"wrote {len(files)} files, {n_verify} verify and {len(cases) - n_verify} check cases, "
        f"into {root / FOLDER}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
