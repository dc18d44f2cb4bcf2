"""Keyrings: certificates and loose revocations loaded from files and directories, indexed.

This module owns reading certificates from disk: a file may be armored or binary and hold one or
many certificates (a Debian keyring, several armored blocks); a directory contributes every
``*.asc *.gpg *.pgp *.key *.rev`` file in it (not recursive). Certificates with the same primary
fingerprint are merged (:func:`merge_cert`, the one merge rule). Key IDs are only hints: lookup by
key ID returns every candidate and the verifier tries each. A leading UTF-8 byte order mark (what
some editors save) is ignored.

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
is by a revoker that certificate designates.
:mod:`pgpsig.certs.revocations` decides which certificate each belongs to; one that verifies joins it,
one that revokes nothing in the keyring yet waits in :attr:`Keyring.pending` (and joins as soon as
its certificate is added, so the order of ``--keyring`` paths does not matter), one that can never
apply is ignored; both are reported in :attr:`Keyring.warnings`.

A file that cannot be parsed is an error when named directly; inside a directory it is recorded in
:attr:`Keyring.problems` and skipped, so one corrupt file does not hide the rest, except a
``.rev`` file: it exists to revoke, and skipping it would let a revoked key verify, so a keyring
directory holding a ``.rev`` file that cannot be read is an error (fail closed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pgpsig.certs import revocations
from pgpsig.certs.revocations import LooseRevocation, Outcome
from pgpsig.errors import FormatError, KeyringError, LimitError, PacketError
from pgpsig.openpgp import armor
from pgpsig.openpgp._crypto import verifies_over
from pgpsig.openpgp.packets import (
    MAX_SUBPACKETS,
    Cert,
    Component,
    PublicKey,
    Signature,
    Tag,
    iter_packets,
    parse_certs,
    parse_signature,
    signature_identity,
)
from pgpsig.openpgp.write import packet as _packet

__all__ = [
    "KEY_SUFFIXES",
    "MAX_KEYRING_FILE_BYTES",
    "REVOCATION_SUFFIX",
    "KeyFile",
    "Keyring",
    "cert_to_bytes",
    "load_keyring",
    "merge_cert",
    "read_certs",
    "read_key_file",
    "revocation_file_error",
    "signature_identity",
]

KEY_SUFFIXES = (".asc", ".gpg", ".pgp", ".key", ".rev")
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
#: Key and subkey revocations: taken out of a certificate whose primary key they do not name.
_FOREIGN_REVOCATIONS = frozenset({0x20, 0x28, 0x30})
#: The suffix of revocation files: one that cannot be read fails the whole keyring directory.
REVOCATION_SUFFIX = ".rev"


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
    sigs = [s for s in cert.direct if s.sig_type == 0x1F]
    sigs += [
        s for c in (*cert.uids, *cert.uats) for s in c.signatures if 0x10 <= s.sig_type <= 0x13
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
        if sig.sig_type == 0x20:
            return verifies_over(sig, p, p.hash_prefix())
        wanted = "subkey" if sig.sig_type == 0x28 else ("uid", "uat")
        return (
            home is not None
            and home.kind in wanted
            and verifies_over(sig, p, p.hash_prefix() + home.hash_prefix())
        )
    if sig.sig_type == 0x30:
        return home is not None and any(
            0x10 <= c.sig_type <= 0x13 and c.has_issuer_hint and _same_issuer(c, sig)
            for c in home.signatures
        )
    return sig.sig_type == 0x20 and any(
        sig.may_be_issued_by_fingerprint(f) for f in _designations(cert)
    )


def _revoker_elsewhere(sig: Signature, cert: Cert) -> bool:
    """A 0x20 by another key that stays in ``cert`` (a designated revoker's, :func:`_belongs`)."""
    return sig.sig_type == 0x20 and sig.has_issuer_hint and not sig.may_be_issued_by(cert.primary)


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
    :mod:`pgpsig.engine.validity` applies it there when the revoker's certificate is in the keyring.

    At most :data:`~pgpsig.openpgp.packets.MAX_SUBPACKETS` are taken out of one file (each is worth a
    search of the keyring); the rest stay where they are, noted.
    """
    left = 0
    homes: list[tuple[Component | None, list[Signature]]] = [(None, cert.direct)]
    homes += [(c, c.signatures) for c in (*cert.uids, *cert.uats, *cert.subkeys, *cert.unparsed)]
    for home, sigs in homes:
        if not any(s.sig_type in _FOREIGN_REVOCATIONS for s in sigs):
            continue
        kept: list[Signature] = []
        for s in sigs:
            if s.sig_type in _FOREIGN_REVOCATIONS and not _belongs(s, cert, home):
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
        for block in armor.decode_all(text, max_size=MAX_KEYRING_FILE_BYTES):
            if block.label in _KEY_FILE_LABELS:
                _split(bytes(block.data), out)
    return out


# Packet tags written by :func:`cert_to_bytes` (RFC 9580 section 5).


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


@dataclass(slots=True)
class Keyring:
    """An in-memory set of certificates with lookup by fingerprint and key ID.

    ``problems`` lists files that were skipped (unreadable, malformed). ``pending`` holds loose
    revocations that revoke nothing here yet (their issuer's certificate, or the one they revoke,
    is not here: :mod:`pgpsig.certs.revocations`); each time certificates are added they are tried
    again. ``warnings`` says, one line each, what is pending, what was ignored and what could not
    be parsed.
    """

    certs: dict[str, Cert] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    pending: list[LooseRevocation] = field(default_factory=list)
    _why: dict[int, str] = field(default_factory=dict)
    _unusable: list[str] = field(default_factory=list)
    _notes: list[str] = field(default_factory=list)
    _by_fpr: dict[str, list[tuple[Cert, PublicKey]]] = field(default_factory=dict)
    _by_kid: dict[str, list[tuple[Cert, PublicKey]]] = field(default_factory=dict)

    def add(self, cert: Cert) -> None:
        """Add (or merge) a certificate."""
        self.add_all([cert])

    def add_all(self, certs: Iterable[Cert]) -> None:
        """Add several certificates (merged by :func:`merge_cert`), then retry the pending ones."""
        for c in certs:
            have = self.certs.get(c.fingerprint)
            if have is None:
                self.certs[c.fingerprint] = c
            else:
                merge_cert(have, c)
        self._reindex()
        if self.pending:
            again, self.pending, self._why = self.pending, [], {}
            self.add_revocations(again)

    def add_revocations(self, revs: Iterable[LooseRevocation]) -> None:
        """Attach each loose revocation to the certificate it verifies over, or keep it aside.

        See :mod:`pgpsig.certs.revocations`: attached (no duplicates), else pending (it revokes nothing
        here yet) or ignored (it never can), and both reported in :attr:`warnings`.
        """
        targets = revocations.Targets()
        for rev in revs:
            found = revocations.resolve(rev.signature, self.certs, targets)
            if found.outcome is Outcome.ATTACH:
                revocations.attach(rev.signature, found)
            elif found.outcome is Outcome.PENDING:
                self.pending.append(rev)
                self._why[id(rev)] = found.reason
            elif found.outcome is Outcome.UNUSABLE:
                self._unusable.append(revocations.describe(rev, found))

    def add_key_files(self, files: Sequence[tuple[str, KeyFile]]) -> None:
        """Add what key files hold: every certificate first, then the loose revocations.

        A loose signature that is not a revocation is ignored, and a subkey packet that could not
        be parsed is noted, both in :attr:`warnings`.
        """
        loose: list[LooseRevocation] = []
        for source, kf in files:
            self._notes.extend(f"{source}: {note}" for note in kf.notes)
            for cert in kf.certs:
                for comp in cert.unparsed:
                    version = comp.value[0] if comp.value else 0
                    self._notes.append(
                        f"{source}: certificate {cert.fingerprint} holds a subkey packet pgpsig "
                        f"cannot parse (version {version} key); that subkey is unusable, and the "
                        f"{len(comp.signatures)} signature(s) after it are kept aside"
                        " (a key revocation among them still applies)"
                    )
            for sig in kf.signatures:
                if sig.sig_type in revocations.REVOCATION_TYPES:
                    loose.append(LooseRevocation(sig, source))
                else:
                    self._notes.append(
                        f"{source}: a type 0x{sig.sig_type:02X} signature outside any "
                        "certificate (not a revocation) was ignored"
                    )
        self.add_all(cert for _, kf in files for cert in kf.certs)
        self.add_revocations(loose)

    def add_keyring(self, other: Keyring) -> None:
        """Add everything ``other`` holds: its certificates, problems, notes and revocations.

        Its pending revocations are tried again here (they may belong to a certificate of this
        keyring).
        """
        self.problems.extend(other.problems)
        self._notes.extend(other._notes)
        self._unusable.extend(other._unusable)
        self.add_all(other.certs.values())
        self.add_revocations(other.pending)

    @property
    def warnings(self) -> list[str]:
        """What people should know about this keyring's content (not skipped files).

        Pending revocations, ignored revocations and other loose signatures, and subkey packets
        that could not be parsed, one line each (distinct from :attr:`problems`, which lists files
        that were skipped).
        """
        pending = [
            revocations.describe(
                rev, revocations.Resolution(Outcome.PENDING, reason=self._why.get(id(rev), ""))
            )
            for rev in self.pending
        ]
        return [*self._notes, *pending, *self._unusable]

    def _reindex(self) -> None:
        self._by_fpr = {}
        self._by_kid = {}
        for cert in self.certs.values():
            for key, _ in cert.all_keys():
                self._by_fpr.setdefault(key.fingerprint, []).append((cert, key))
                self._by_kid.setdefault(key.key_id, []).append((cert, key))

    def __len__(self) -> int:
        return len(self.certs)

    def __iter__(self) -> Iterator[Cert]:
        return iter(self.certs.values())

    def get(self, fingerprint: str) -> Cert | None:
        """The certificate whose primary fingerprint is ``fingerprint`` (any case), or None."""
        return self.certs.get(fingerprint.upper())

    def candidates(
        self, fingerprints: Iterable[str], key_ids: Iterable[str]
    ) -> list[tuple[Cert, PublicKey]]:
        """Keys (with their certificate) that may have made a signature with these issuer hints.

        Fingerprints are authoritative when present; key IDs are consulted only without them.
        """
        out: list[tuple[Cert, PublicKey]] = []
        fprs = [f.upper() for f in fingerprints]
        if fprs:
            for f in fprs:
                out.extend(x for x in self._by_fpr.get(f, []) if x not in out)
            return out
        for k in key_ids:
            out.extend(x for x in self._by_kid.get(k.upper(), []) if x not in out)
        return out

    def find(self, ref: str) -> Cert | None:
        """A certificate by primary or subkey fingerprint, or by a unique key ID (16 hex)."""
        ref = ref.upper().replace(" ", "").removeprefix("0X")
        if ref in self.certs:
            return self.certs[ref]
        hits = self._by_fpr.get(ref) or self._by_kid.get(ref[-16:], [])
        certs = {c.fingerprint: c for c, _ in hits}
        return next(iter(certs.values())) if len(certs) == 1 else None

    def find_primary(self, ref: str) -> Cert | None:
        """A certificate by its *primary* key only: for references that name a trust root.

        ``ref`` (any case, spaces and a ``0x`` prefix allowed) is a primary fingerprint (40 or 64
        hex digits, matched exactly) or a key ID (16 hex digits) that is the primary key ID of
        exactly one certificate. Subkeys never match (a certificate that carries a copy of
        another key as a subkey, bound or not, is not that key's certificate), and a fingerprint
        that is absent never falls back to its key ID (a colliding key ID is not the key).

        Returns:
            The certificate, or None: absent, a subkey only, an ambiguous key ID, or not a
            fingerprint or key ID at all.
        """
        ref = ref.upper().replace(" ", "").removeprefix("0X")
        if len(ref) in (40, 64):
            return self.certs.get(ref)
        if len(ref) != 16:
            return None
        hits = [c for c, key in self._by_kid.get(ref, []) if key is c.primary]
        return hits[0] if len(hits) == 1 else None


def _read_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_KEYRING_FILE_BYTES:
            raise LimitError(f"{path}: keyring file larger than {MAX_KEYRING_FILE_BYTES} bytes")
        with path.open("rb") as fp:  # bounded: a device (size 0) or a growing file is cut off
            data = fp.read(size + 1)
            if len(data) > size:
                data += fp.read(MAX_KEYRING_FILE_BYTES + 1 - len(data))
    except OSError as e:
        raise KeyringError(f"cannot read keyring {path}: {e.strerror or e}") from e
    if len(data) > MAX_KEYRING_FILE_BYTES:
        raise LimitError(f"{path}: keyring file larger than {MAX_KEYRING_FILE_BYTES} bytes")
    return data


def revocation_file_error(path: Path, error: Exception) -> KeyringError:
    """The error of a revocation file (``*.rev``) in a keyring directory that cannot be read.

    Such a file is not skipped like other key files: it exists to revoke, and a revocation that
    is not applied lets a revoked key verify.
    """
    return KeyringError(
        f"cannot read revocation file {path}: {error} (refusing to go on without it: a revocation "
        "that is not applied would let a revoked key verify; repair or remove the file)"
    )


def _load_error(path: Path, kf: KeyFile) -> str | None:
    """Why a key file adds nothing at all (no certificate, no revocation), or None."""
    if kf.certs or any(s.sig_type in revocations.REVOCATION_TYPES for s in kf.signatures):
        return None
    if kf.signatures:
        return f"{path}: no certificate or revocation found (only other signatures)"
    return f"{path}: no certificate or revocation found"


def load_keyring(paths: Iterable[Path]) -> Keyring:
    """Load certificates and loose revocations from files and directories.

    Every file is read first; then the certificates are added and the revocations attached, so
    that the order of the paths does not matter.

    Raises:
        KeyringError: a named path does not exist or cannot be read, or a ``.rev`` file of a
            directory cannot be read or parsed (:func:`revocation_file_error`).
        FormatError: a named *file* holds neither a certificate nor a revocation, or is
            malformed.
    """
    ring = Keyring()
    files: list[tuple[str, KeyFile]] = []
    for path in paths:
        if path.is_dir():
            try:
                entries = sorted(p for p in path.iterdir() if p.suffix.lower() in KEY_SUFFIXES)
            except OSError as e:
                raise KeyringError(
                    f"cannot list keyring directory {path}: {e.strerror or e}"
                ) from e
            for p in entries:
                is_rev = p.suffix.lower() == REVOCATION_SUFFIX
                if not p.is_file() and not (is_rev and p.is_symlink()):  # a dangling link fails
                    continue
                try:
                    kf = read_key_file(_read_file(p))
                except (FormatError, KeyringError) as e:
                    if is_rev:
                        raise revocation_file_error(p, e) from e
                    ring.problems.append(f"{p}: {e}")
                    continue
                why = _load_error(p, kf)
                if why is not None:
                    ring.problems.append(why)
                    continue
                files.append((str(p), kf))
        elif path.exists():
            data = _read_file(path)
            try:
                kf = read_key_file(data)
            except FormatError as e:
                raise type(e)(f"{path}: {e}") from e
            why = _load_error(path, kf)
            if why is not None:
                raise FormatError(why)
            files.append((str(path), kf))
        else:
            raise KeyringError(f"keyring {path} does not exist")
    ring.add_key_files(files)
    return ring
