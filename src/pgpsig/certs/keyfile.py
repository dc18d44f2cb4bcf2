"""Key files: certificates and loose signatures read from armored or binary bytes; writing, merging.

This module owns the content of one key file: it may be armored or binary and hold one or many
certificates (a Debian keyring, several armored blocks); a leading UTF-8 byte order mark (what some
editors save) is ignored. It also owns the one way a certificate is written back
(:func:`cert_to_bytes`) and the one merge rule of two copies of a certificate (:func:`merge_cert`).
Files and directories on disk, and the index over them, are :mod:`pgpsig.certs.keyring`.

**Revocation files.** A file may also hold revocation signatures on their own (0x20 key, 0x28
subkey, 0x30 certification revocations), alone or after its certificates: what ``pgpsig key
revoke`` and ``gpg --gen-revoke`` write, in any of these forms: an armored ``PGP PUBLIC KEY BLOCK``
or ``PGP SIGNATURE`` block, binary packets, gpg's layout with explanatory text and ``Comment:``
lines around the armor, and the copy gpg keeps in ``openpgp-revocs.d/<FPR>.rev``, whose BEGIN
line is escaped with a colon (``:-----BEGIN PGP PUBLIC KEY BLOCK-----``) so that it is not
imported by accident. That escape is undone and the revocation applied: the colon guards against
*publishing* a revocation by mistake; for a verifier, a revocation that verifies is a fact, and
ignoring one because of how its file was written would fail open. A key or subkey revocation that
packet grouping puts inside a certificate whose primary key it does not name (``cat v.gpg r.gpg
v.rev``: V's revocation follows R's certificate) is taken out and treated as loose too, unless it
is by a revoker that certificate designates. Which certificate a loose revocation belongs to is
:mod:`pgpsig.certs.revocations`'s question.
"""

from __future__ import annotations

import re

from pgpsig._dataclass import dataclass, field
from pgpsig.errors import ArmorError, FormatError, LimitError, PacketError
from pgpsig.openpgp import armor
from pgpsig.openpgp._crypto import verifies_over
from pgpsig.openpgp.ids import CERTIFICATION_TYPES, REVOCATION_TYPES, SignatureType
from pgpsig.openpgp.packets import (
    MAX_SUBPACKETS,
    Cert,
    Component,
    Signature,
    Tag,
    iter_packets,
    parse_certs,
    parse_signature,
    signature_identity,
)
from pgpsig.openpgp.write import packet as _packet

__all__ = [
    "MAX_KEYRING_FILE_BYTES",
    "KeyFile",
    "cert_to_bytes",
    "merge_cert",
    "read_certs",
    "read_key_file",
    "signature_identity",
]

#: Largest keyring file read (a full Debian keyring is ~ 20 MB).
MAX_KEYRING_FILE_BYTES = 256 * 1024 * 1024

#: Armor blocks a key file may hold (others, such as a ``PGP MESSAGE``, are passed over).
_KEY_FILE_LABELS = frozenset({"PGP PUBLIC KEY BLOCK", "PGP PRIVATE KEY BLOCK", "PGP SIGNATURE"})
#: Packets that may come before the first key or signature (marker, trust, padding).
_SKIPPED_BEFORE_KEY = frozenset({Tag.MARKER, Tag.TRUST, Tag.PADDING})
#: gpg's escaped BEGIN line (``openpgp-revocs.d``): a colon before the five dashes.
_ESCAPED_BEGIN = re.compile(rb"^:(?=-----BEGIN PGP )", re.MULTILINE)
_LEADING_WS = re.compile(rb"[ \t\r\n]*")
#: A UTF-8 byte order mark, which some editors put at the start of a text file.
_BOM = b"\xef\xbb\xbf"


def read_certs(data: bytes, *, source: str = "<data>") -> list[Cert]:
    """Parse certificates from armored or binary bytes.

    Raises:
        FormatError: the data is not a certificate (armor, packet or structure errors).
    """
    data = data.removeprefix(_BOM)
    if armor.is_armored(data):
        certs: list[Cert] = []
        for block in armor.decode_all(data, max_size=MAX_KEYRING_FILE_BYTES):
            if block.label not in ("PGP PUBLIC KEY BLOCK", "PGP PRIVATE KEY BLOCK"):
                continue
            certs.extend(parse_certs(block.data))
        if not certs:
            raise FormatError(f"{source}: no public key block found")
        return certs
    certs = parse_certs(data)
    if not certs:
        raise FormatError(f"{source}: no certificate found")
    return certs


@dataclass(slots=True)
class KeyFile:
    """What a key file holds: certificates, and signatures outside any certificate.

    ``signatures`` are the loose ones: those before the first key of a block or binary stream,
    those of a block holding no key (a revocation certificate), and key and subkey revocations
    found inside a certificate whose primary key they do not name. ``notes`` says what people
    should know about the file's content (one line each, without the file's name).
    """

    certs: list[Cert] = field(default_factory=list)
    signatures: list[Signature] = field(default_factory=list)
    had_secret: bool = False
    notes: list[str] = field(default_factory=list)
    _leading: int = 0
    _taken: int = 0


def _designations(cert: Cert) -> set[str]:
    """Fingerprints ``cert``'s self-signatures (as their issuer hints say) name as revokers.

    Not verified: this only decides what stays where it was read (the engine verifies).
    """
    p = cert.primary
    sigs = [s for s in cert.direct if s.sig_type == SignatureType.DIRECT_KEY]
    sigs += [
        s
        for c in (*cert.uids, *cert.uats)
        for s in c.signatures
        if s.sig_type in CERTIFICATION_TYPES
    ]
    return {
        f for s in sigs if s.revocation_keys and s.may_be_issued_by(p) for f in s.revocation_keys
    }


def _belongs(sig: Signature, cert: Cert, home: Component | None) -> bool:
    """Whether the revocation ``sig``, found under ``home`` (None: the primary key), stays there.

    Hintless ones may be anyone's: they stay. One by ``cert``'s primary key must verify where it
    sits (over the primary key for 0x20; over ``home`` for 0x28 and 0x30): ``cat dev.gpg root.gpg
    root-revokes-dev.sig`` puts the root's revocation of *dev*'s certification under the root's
    user ID, where it is the root's but revokes nothing; one check each, whatever else the
    certificate holds. A third party's 0x30 stays only under a user ID that party certified; its
    0x20 (a designated revoker's) stays (the validity engine judges it where it sits); its 0x28
    never belongs. What does not stay is resolved as loose, wherever in the keyring it belongs.
    """
    if not sig.has_issuer_hint:
        return True
    p = cert.primary
    if sig.may_be_issued_by(p):
        if sig.sig_type == SignatureType.KEY_REVOCATION:
            return verifies_over(sig, p, p.hash_prefix())
        wanted = "subkey" if sig.sig_type == SignatureType.SUBKEY_REVOCATION else ("uid", "uat")
        return (
            home is not None
            and home.kind in wanted
            and verifies_over(sig, p, p.hash_prefix() + home.hash_prefix())
        )
    if sig.sig_type == SignatureType.CERTIFICATION_REVOCATION:
        return home is not None and any(
            c.sig_type in CERTIFICATION_TYPES and c.has_issuer_hint and _same_issuer(c, sig)
            for c in home.signatures
        )
    return sig.sig_type == SignatureType.KEY_REVOCATION and any(
        sig.may_be_issued_by_fingerprint(f) for f in _designations(cert)
    )


def _revoker_elsewhere(sig: Signature, cert: Cert) -> bool:
    """A 0x20 by another key that stays in ``cert`` (a designated revoker's, :func:`_belongs`)."""
    return (
        sig.sig_type == SignatureType.KEY_REVOCATION
        and sig.has_issuer_hint
        and not sig.may_be_issued_by(cert.primary)
    )


def _same_issuer(a: Signature, b: Signature) -> bool:
    """Whether two signatures' issuer hints name the same key."""
    fa, fb = a.issuer_fingerprints, b.issuer_fingerprints
    if fa and fb:
        return bool(set(fa) & set(fb))
    return bool(set(a.issuer_key_ids) & set(b.issuer_key_ids))


def _take_foreign_revocations(cert: Cert, into: KeyFile) -> None:
    """Move the key and subkey revocations ``cert`` holds but does not own to the loose ones.

    Packet grouping gives a certificate every signature up to the next primary key, so a
    revocation appended after *another* certificate (``cat v.gpg r.gpg v.rev``, or one armored
    block holding certificates and then a revocation of an earlier one) lands in the wrong
    certificate, where it verifies over nothing and would be lost without a word. A 0x20, 0x28 or
    0x30 that does not belong to ``cert`` (:func:`_belongs`) is taken out and resolved like any
    loose revocation (:mod:`pgpsig.certs.revocations`). A 0x20 by a key that ``cert`` names as
    designated revoker stays: that is where it belongs (the store writes it there), and
    :mod:`pgpsig.engine` applies it there when the revoker's certificate is in the keyring.

    At most :data:`~pgpsig.openpgp.packets.MAX_SUBPACKETS` are taken out of one file (each is worth a
    search of the keyring); the rest stay where they are, noted.
    """
    left = 0
    homes: list[tuple[Component | None, list[Signature]]] = [(None, cert.direct)]
    homes += [(c, c.signatures) for c in (*cert.uids, *cert.uats, *cert.subkeys, *cert.unparsed)]
    for home, sigs in homes:
        if not any(s.sig_type in REVOCATION_TYPES for s in sigs):
            continue
        kept: list[Signature] = []
        for s in sigs:
            if s.sig_type in REVOCATION_TYPES and not _belongs(s, cert, home):
                if into._taken < MAX_SUBPACKETS:
                    into._taken += 1
                    into.signatures.append(s)
                    continue
                left += 1
            elif _revoker_elsewhere(s, cert) and into._taken < MAX_SUBPACKETS:
                # A designated revoker's 0x20 stays, and is offered as loose too: the revoker may
                # be designated by several certificates and have revoked another one of them.
                into._taken += 1
                into.signatures.append(s)
            kept.append(s)
        sigs[:] = kept
    if left:
        into.notes.append(
            f"certificate {cert.fingerprint} holds {left} more key or subkey revocation(s) by "
            f"other keys than the {MAX_SUBPACKETS} taken out of one file; they were left in it "
            "(where they revoke nothing)"
        )


def _split(binary: bytes, into: KeyFile) -> None:
    """Leading signature packets are loose signatures; from the first key on, certificates.

    Raises:
        LimitError: More than :data:`~pgpsig.openpgp.packets.MAX_SUBPACKETS` loose signatures before
            the keys of the file.
    """
    for p in iter_packets(binary):
        if p.tag in (Tag.PUBLIC_KEY, Tag.SECRET_KEY):
            certs = parse_certs(binary[p.offset :])
            for cert in certs:
                _take_foreign_revocations(cert, into)
            into.certs.extend(certs)
            into.had_secret = into.had_secret or any(c.had_secret for c in certs)
            return
        if p.tag == Tag.SIGNATURE:
            into.signatures.append(parse_signature(p.body))
            into._leading += 1
            if into._leading > MAX_SUBPACKETS:
                # Each may cost a scan of the keyring and a signature check or more.
                raise LimitError(
                    f"more than {MAX_SUBPACKETS} signatures outside any certificate in one file"
                )
        elif p.tag not in _SKIPPED_BEFORE_KEY:
            raise PacketError(f"unexpected packet (tag {p.tag}) where a key or signature belongs")


def read_key_file(data: bytes) -> KeyFile:
    """Parse the certificates and loose signatures of a key file (module docstring: forms).

    A leading UTF-8 byte order mark is dropped. Binary input then starts with a packet header
    (its first octet has the high bit set); anything else is read as text holding armor blocks,
    with any text around them (gpg's explanations, ``Comment:`` headers) and gpg's colon-escaped
    BEGIN line. Blocks other than public key, private key (public parts only) and signature blocks
    are passed over. Within a block or binary stream, signatures before the first key are loose;
    signatures after a key belong to it, except key and subkey revocations that name another
    issuer (:func:`_take_foreign_revocations`): they are loose too.

    Args:
        data: The file's content.

    Returns:
        The certificates and loose signatures (possibly neither: the caller decides).

    Raises:
        FormatError: Malformed armor or packets, a packet that belongs in no key file, or text
            without any armor block.
        LimitError: Input over a size limit, or more than 512 loose signatures before the keys.
    """
    out = KeyFile()
    data = data.removeprefix(_BOM)
    start = _LEADING_WS.match(data)
    first = data[start.end() : start.end() + 1] if start is not None else data[:1]
    if first and first[0] & 0x80:
        _split(data, out)
    elif first:
        text = _ESCAPED_BEGIN.sub(b"", data) if b":-----BEGIN PGP " in data else data
        blocks = 0
        # Each block parsed as it is decoded: the run's budget stops a file of tiny blocks (a
        # 100 MB one decoded whole took 8.7 s and 440 MB before its first block was read).
        for block in armor.iter_blocks(text, max_size=MAX_KEYRING_FILE_BYTES):
            blocks += 1
            if block.label in _KEY_FILE_LABELS:
                _split(bytes(block.data), out)
        if not blocks:
            raise ArmorError("no armor block found")
    return out


def cert_to_bytes(cert: Cert) -> bytes:
    """Serialise a certificate as a binary transferable public key (RFC 9580 section 10.1).

    Every packet the :class:`~pgpsig.openpgp.packets.Cert` holds is written, in the order it holds them:
    the primary key, its direct signatures, each user ID and user attribute with its signatures,
    each subkey with its signatures. Secret key material is never written (a ``Cert`` holds
    public parts only); packets :func:`~pgpsig.openpgp.packets.parse_certs` dropped (unparseable
    signatures, unknown packets) are not there to write. Subkey packets it could not parse
    (:attr:`~pgpsig.openpgp.packets.Cert.unparsed`) are not written either, nor the signatures kept with
    them: such a packet may be a secret subkey (whose secret part must never be written), and
    nothing about a key pgpsig cannot read can be verified (which is what a stored certificate
    holds); a key revocation found after one was moved to the primary key and is written there.
    Headers are new-format.

    Args:
        cert: The certificate.

    Returns:
        The binary packets; :func:`read_certs` reads them back to an equal certificate.
    """
    out = [_packet(Tag.PUBLIC_KEY, cert.primary.body)]
    out.extend(_packet(Tag.SIGNATURE, s.raw) for s in cert.direct)
    for tag, comps in ((Tag.USER_ID, cert.uids), (Tag.USER_ATTRIBUTE, cert.uats)):
        for comp in comps:
            out.append(_packet(tag, comp.value))
            out.extend(_packet(Tag.SIGNATURE, s.raw) for s in comp.signatures)
    for comp in cert.subkeys:
        assert comp.key is not None
        out.append(_packet(Tag.PUBLIC_SUBKEY, comp.key.body))
        out.extend(_packet(Tag.SIGNATURE, s.raw) for s in comp.signatures)
    return b"".join(out)


def merge_cert(into: Cert, other: Cert) -> int:
    """Merge ``other`` into ``into`` (same primary key); nothing is duplicated.

    New direct signatures, user IDs, user attributes, subkeys and component signatures of
    ``other`` are appended to ``into``; a signature already present (by
    :func:`signature_identity`) is skipped. Nothing is checked here: validate the result (see
    :mod:`pgpsig.keys`) before trusting or storing it.

    Args:
        into: The certificate to extend (modified in place).
        other: The certificate whose packets join it.

    Returns:
        How many packets (signatures and components) were added.

    Raises:
        ValueError: The primary keys differ.
    """
    if into.fingerprint != other.fingerprint:
        raise ValueError(f"cannot merge {other.fingerprint} into {into.fingerprint}")
    added = 0
    seen = {signature_identity(s) for s in into.direct}
    for s in other.direct:
        if signature_identity(s) not in seen:
            seen.add(signature_identity(s))
            into.direct.append(s)
            added += 1
    for attr in ("uids", "uats", "subkeys", "unparsed"):
        mine: list[Component] = getattr(into, attr)
        index = {c.value: c for c in mine}
        for comp in getattr(other, attr):
            have = index.get(comp.value)
            if have is None:
                have = Component(comp.kind, comp.value, key=comp.key)
                mine.append(have)
                index[comp.value] = have
                added += 1
            ids = {signature_identity(s) for s in have.signatures}
            for s in comp.signatures:
                if signature_identity(s) not in ids:
                    ids.add(signature_identity(s))
                    have.signatures.append(s)
                    added += 1
    return added
