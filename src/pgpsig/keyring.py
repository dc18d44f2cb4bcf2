"""Keyrings: certificates loaded from files and directories, indexed for signer lookup.

This module owns reading certificates from disk: a file may be armored or binary and hold one or
many certificates (a Debian keyring, several armored blocks); a directory contributes every
``*.asc *.gpg *.pgp *.key`` file in it (not recursive). Certificates with the same primary
fingerprint are merged. Key IDs are only hints: lookup by key ID returns every candidate and the
verifier tries each.

A file that cannot be parsed is an error when named directly; inside a directory it is recorded in
:attr:`Keyring.problems` and skipped, so one corrupt file does not hide the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pgpsig import armor
from pgpsig.errors import FormatError, KeyringError, LimitError
from pgpsig.packets import Cert, Component, PublicKey, Signature, Tag, packet_header, parse_certs

__all__ = [
    "KEY_SUFFIXES",
    "MAX_KEYRING_FILE_BYTES",
    "Keyring",
    "cert_to_bytes",
    "load_keyring",
    "merge_cert",
    "read_certs",
    "signature_identity",
]

KEY_SUFFIXES = (".asc", ".gpg", ".pgp", ".key")
#: Largest keyring file read (a full Debian keyring is ~ 20 MB).
MAX_KEYRING_FILE_BYTES = 256 * 1024 * 1024


def read_certs(data: bytes, *, source: str = "<data>") -> list[Cert]:
    """Parse certificates from armored or binary bytes.

    Raises:
        FormatError: the data is not a certificate (armor, packet or structure errors).
    """
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


def _merge(into: Cert, other: Cert) -> None:
    """Merge the components and signatures of ``other`` (same primary) into ``into``."""
    seen = {s.raw for s in into.direct}
    into.direct.extend(s for s in other.direct if s.raw not in seen)
    for attr in ("uids", "uats", "subkeys"):
        mine = getattr(into, attr)
        index = {c.value: c for c in mine}
        for comp in getattr(other, attr):
            have = index.get(comp.value)
            if have is None:
                mine.append(comp)
                index[comp.value] = comp
                continue
            raws = {s.raw for s in have.signatures}
            have.signatures.extend(s for s in comp.signatures if s.raw not in raws)


# Packet tags written by :func:`cert_to_bytes` (RFC 9580 section 5).


def _packet(tag: int, body: bytes) -> bytes:
    return packet_header(tag, len(body)) + body


def cert_to_bytes(cert: Cert) -> bytes:
    """Serialise a certificate as a binary transferable public key (RFC 9580 section 10.1).

    Every packet the :class:`~pgpsig.packets.Cert` holds is written, in the order it holds them:
    the primary key, its direct signatures, each user ID and user attribute with its signatures,
    each subkey with its signatures. Secret key material is never written (a ``Cert`` holds
    public parts only); packets :func:`~pgpsig.packets.parse_certs` dropped (unparseable
    signatures, unknown packets) are not there to write. Headers are new-format.

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


def signature_identity(sig: Signature) -> bytes:
    """What makes two signature packets the same signature: everything but the unhashed area.

    The unhashed area is not signed (a keyserver may add or strip an issuer hint there), so two
    packets that differ only in it are copies of one signature.
    """
    start = (6 if sig.version == 4 else 8) + len(sig.hashed_area)
    width = 2 if sig.version == 4 else 4
    ulen = int.from_bytes(sig.raw[start : start + width], "big")
    return sig.raw[:start] + sig.raw[start + width + ulen :]


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
    for attr in ("uids", "uats", "subkeys"):
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
    """An in-memory set of certificates with lookup by fingerprint and key ID."""

    certs: dict[str, Cert] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    _by_fpr: dict[str, list[tuple[Cert, PublicKey]]] = field(default_factory=dict)
    _by_kid: dict[str, list[tuple[Cert, PublicKey]]] = field(default_factory=dict)

    def add(self, cert: Cert) -> None:
        """Add (or merge) a certificate."""
        have = self.certs.get(cert.fingerprint)
        if have is None:
            self.certs[cert.fingerprint] = cert
        else:
            _merge(have, cert)
        self._reindex()

    def add_all(self, certs: Iterable[Cert]) -> None:
        """Add several certificates."""
        for c in certs:
            have = self.certs.get(c.fingerprint)
            if have is None:
                self.certs[c.fingerprint] = c
            else:
                _merge(have, c)
        self._reindex()

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


def load_keyring(paths: Iterable[Path]) -> Keyring:
    """Load certificates from files and directories.

    Raises:
        KeyringError: a named path does not exist or cannot be read.
        FormatError: a named *file* holds no valid certificate.
    """
    ring = Keyring()
    for path in paths:
        if path.is_dir():
            try:
                entries = sorted(p for p in path.iterdir() if p.suffix.lower() in KEY_SUFFIXES)
            except OSError as e:
                raise KeyringError(
                    f"cannot list keyring directory {path}: {e.strerror or e}"
                ) from e
            for p in entries:
                if not p.is_file():
                    continue
                try:
                    ring.add_all(read_certs(_read_file(p), source=str(p)))
                except (FormatError, KeyringError) as e:
                    ring.problems.append(f"{p}: {e}")
        elif path.exists():
            data = _read_file(path)
            try:
                ring.add_all(read_certs(data, source=str(path)))
            except FormatError as e:
                raise type(e)(f"{path}: {e}") from e
        else:
            raise KeyringError(f"keyring {path} does not exist")
    return ring
