"""Keyrings: certificates and loose revocations loaded from files and directories, indexed.

This module owns reading certificates from disk and looking them up: a file is read as
:mod:`pgpsig.certs.keyfile` reads key files (armored or binary, one or many certificates, loose
revocations; its names are re-exported here); a directory contributes every
``*.asc *.gpg *.pgp *.key *.rev`` file in it (not recursive). Certificates with the same primary
fingerprint are merged (:func:`merge_cert`, the one merge rule). Key IDs are only hints: lookup by
key ID returns every candidate and the verifier tries each.

Loose revocations (revocation files, and revocations found in a certificate they do not belong to):
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

from collections.abc import Iterable, Iterator, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from pgpsig._dataclass import dataclass, field
from pgpsig.certs.keyfile import (
    MAX_KEYRING_FILE_BYTES,
    KeyFile,
    cert_to_bytes,
    merge_cert,
    read_certs,
    read_key_file,
    signature_identity,
)
from pgpsig.errors import BudgetError, FormatError, KeyringError, LimitError
from pgpsig.openpgp.ids import REVOCATION_TYPES
from pgpsig.openpgp.packets import Cert, PublicKey
from pgpsig.pathargs import one_or_many

if TYPE_CHECKING:
    # Loose revocations are rare (revocation files): their module is imported when one is met.
    from pgpsig.certs.revocations import LooseRevocation

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
#: The suffix of revocation files: one that cannot be read fails the whole keyring directory.
REVOCATION_SUFFIX = ".rev"


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
        revs = list(revs)
        if not revs:
            return
        from pgpsig.certs import revocations  # noqa: PLC0415 - only when there is one
        from pgpsig.certs.revocations import Outcome  # noqa: PLC0415

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
                if sig.sig_type in REVOCATION_TYPES:
                    from pgpsig.certs.revocations import LooseRevocation  # noqa: PLC0415

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
        if not self.pending:
            return [*self._notes, *self._unusable]
        from pgpsig.certs import revocations  # noqa: PLC0415 - only when there is one
        from pgpsig.certs.revocations import Outcome  # noqa: PLC0415

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

    def __repr__(self) -> str:
        pending = f", {len(self.pending)} pending revocation(s)" if self.pending else ""
        problems = f", {len(self.problems)} file(s) skipped" if self.problems else ""
        return f"<Keyring: {len(self.certs)} certificate(s){pending}{problems}>"

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


def _load_error(path: Path | str, kf: KeyFile) -> str | None:
    """Why a key file adds nothing at all (no certificate, no revocation), or None."""
    if kf.certs or any(s.sig_type in REVOCATION_TYPES for s in kf.signatures):
        return None
    if kf.signatures:
        return f"{path}: no certificate or revocation found (only other signatures)"
    return f"{path}: no certificate or revocation found"


def keyring_from_bytes(data: bytes, *, name: str = "keyring data") -> Keyring:
    """A keyring of the certificates and loose revocations in ``data`` (one key file's bytes).

    Raises:
        FormatError: ``data`` holds neither a certificate nor a revocation, or is malformed
            (the message starts with ``name``).
        LimitError: ``data`` is larger than a keyring file may be.
    """
    if len(data) > MAX_KEYRING_FILE_BYTES:
        raise LimitError(f"{name}: larger than {MAX_KEYRING_FILE_BYTES} bytes")
    ring = Keyring()
    ring.add_key_files([(name, _named_key_file(data, name))])
    return ring


def _named_key_file(data: bytes, name: Path | str) -> KeyFile:
    """The key file a caller named (not one found in a directory): it must add something.

    Raises:
        FormatError: it is malformed, or holds neither a certificate nor a revocation (the
            message starts with ``name``).
    """
    try:
        kf = read_key_file(data)
    except FormatError as e:
        raise type(e)(f"{name}: {e}") from e
    why = _load_error(name, kf)
    if why is not None:
        raise FormatError(why)
    return kf


def load_keyring(paths: str | PathLike[str] | Iterable[str | PathLike[str]]) -> Keyring:
    """Load certificates and loose revocations from files and directories: one path or several.

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
    for given in one_or_many(paths):
        path = Path(given)
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
                except BudgetError:  # says nothing of the file: skipped, it could hide a revocation
                    raise
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
            files.append((str(path), _named_key_file(_read_file(path), path)))
        else:
            raise KeyringError(f"keyring {path} does not exist")
    ring.add_key_files(files)
    return ring
