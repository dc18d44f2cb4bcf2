"""Trust roots and certification paths: is this signer trusted, now?

This module owns one decision: a signer (a certificate whose signature already verified, see
:mod:`pgpsig.verify`) is *trusted* at the reference time T if

1. its primary fingerprint is a trust root that is not revoked at T; or
2. a trust root R validly certified one of its user IDs:

   a. the certification (0x10-0x13) is issued by R's primary key and verifies over the signer's
      primary key and that user ID;
   b. it has a hashed creation time at or before T, has not expired at T, carries no critical
      unknown subpacket, and its hash is accepted for certifications at its creation time
      (SHA-1 only before 2023-02-01: FreePBX's 2019 SHA-1 cross-certification by master v1 still
      counts; a keyring that holds master v2 trusts the mirror key through it either way);
   c. R could certify when it made it (valid, alive, unrevoked, Certify flag if flags are present);
      R is not hard-revoked at all;
   d. R has not revoked it: no verified certification revocation (0x30) by R over the same user ID
      made at or after the certification and at or before T, wherever it sits in the certificate;
   e. the user ID is bound to the signer by a valid self-signature and not revoked by the signer;
   f. R itself is valid at T: not expired, not revoked (hard, or soft and made at or before T). A
      root that is expired or revoked confers no trust (status 4, not 64: neither the signer's key
      nor its certification is revoked), as gpg's web of trust decides with an ownertrust (its
      ``--trusted-key`` does not look); a retired root included, so a master key that is replaced
      must re-certify its developers under its successor.
   g. with ``--require-fresh`` (:attr:`TrustRoots.stale`), R's keyring feed is in force at T: a
      root whose revocation data may be missing confers no trust (status 4), whoever it certified.

Rules a-e are :meth:`pgpsig.engine.judge.Judge.certification` (``key list`` reports the same verdicts);
this module adds only which issuers are roots and rule f.

Only direct certification by a root counts (a path of length one, as FreePBX's masters do with
their depth-1 trust signatures); anything the admin may have marked "ultimate" elsewhere does not
(THREATS.md: trust confusion).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from os import PathLike, fspath
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pgpsig._dataclass import dataclass, field
from pgpsig.certs.keyring import KEY_SUFFIXES, Keyring, load_keyring
from pgpsig.engine.judge import Judge
from pgpsig.errors import InputError, KeyringError
from pgpsig.openpgp.ids import CERTIFICATION_TYPES
from pgpsig.openpgp.packets import Cert
from pgpsig.openpgp.publickey import normalize_fingerprint
from pgpsig.pathargs import one_or_many

if TYPE_CHECKING:
    from pgpsig.certs.store import Store

__all__ = [
    "RootSource",
    "TrustDecision",
    "TrustRoot",
    "TrustRoots",
    "decide_trust",
    "root_references",
]

#: Where a trust root came from: a ``--trust-root`` of the command line (a fingerprint, key ID or
#: certificate file), the FreePBX preset's master keys, or the store's ``roots`` file.
RootSource = Literal["option", "freepbx-preset", "store"]


@dataclass(frozen=True, slots=True)
class TrustRoot:
    """One trust root in force: its primary fingerprint and where it came from."""

    fingerprint: str
    source: RootSource

    def to_dict(self) -> dict[str, str]:
        """The JSON form: ``{"fingerprint": ..., "source": "option" | "freepbx-preset" | "store"}``."""
        return {"fingerprint": self.fingerprint, "source": self.source}


@dataclass(frozen=True, slots=True)
class TrustRoots:
    """Fingerprints (upper-case hex) of the primary keys that are trusted to certify signers.

    :meth:`select` is the one rule for which roots are in force; ``origins`` says where each came
    from and ``warnings`` which references were set aside (empty when built from fingerprints).
    """

    fingerprints: frozenset[str] = field(default_factory=frozenset)
    origins: tuple[TrustRoot, ...] = ()
    warnings: tuple[str, ...] = ()
    #: Roots that certify no one now because their revocation data is not fresh (``check
    #: --require-fresh``: :func:`pgpsig.certs.feeds.staleness`), each with why.
    stale: Mapping[str, str] = field(default_factory=dict)

    def requiring_fresh(self, stale: Mapping[str, str]) -> TrustRoots:
        """These roots, those in ``stale`` (fingerprint: why) certifying no one."""
        return TrustRoots(self.fingerprints, self.origins, self.warnings, dict(stale))

    @classmethod
    def resolve(
        cls, refs: str | PathLike[str] | Iterable[str | PathLike[str]], keyring: Keyring
    ) -> TrustRoots:
        """Roots named explicitly, as ``--trust-root`` names them, and nothing else.

        ``refs`` is one reference or several: fingerprints, key IDs, or certificate files (whose
        certificates join ``keyring``: :func:`root_references`); then :meth:`select` with
        ``given=`` them.

        Raises:
            InputError: A reference is neither a certificate file, a fingerprint nor a key ID,
                or names a file that holds no certificate.
            KeyringError: A reference names no certificate's primary key in ``keyring``, or a
                certificate file cannot be read.
            FormatError: A certificate file cannot be parsed.
        """
        values = [fspath(r) for r in one_or_many(refs)]
        return cls.select(keyring, given=root_references(values, keyring))

    @classmethod
    def select(
        cls,
        keyring: Keyring,
        *,
        given: Iterable[str] = (),
        preset: Iterable[str] = (),
        stored: Callable[[], Iterable[str]] | None = None,
        stored_from: str = "the store's roots file",
    ) -> TrustRoots:
        """The roots in force: the explicit ones if there are any, else the stored ones.

        Explicit roots are those ``given`` (``--trust-root``) and the FreePBX ``preset``'s; when
        there is at least one, they are exactly the roots in force and ``stored`` is not even
        read. Only without any do the store's roots apply. Every reference must name a
        certificate's *primary* key in ``keyring`` (:meth:`Keyring.find_primary`): a subkey that
        carries a copy of a root's key never makes its certificate a root.

        Args:
            keyring: The certificates the check uses.
            given: Fingerprints or key IDs the user named.
            preset: The FreePBX preset's master fingerprints (when the preset is used).
            stored: Reads the store's roots (called only when nothing is explicit).
            stored_from: Where the stored roots come from, for warnings (the roots file).

        Returns:
            The roots, with ``origins`` in the order given and a warning for each preset or
            stored root that is not a certificate's primary key in the keyring.

        Raises:
            KeyringError: a *given* reference names no certificate's primary key.
        """
        refs: list[tuple[str, RootSource]] = [(r, "option") for r in given]
        refs += [(r, "freepbx-preset") for r in preset]
        if not refs and stored is not None:
            refs = [(r, "store") for r in stored()]
        origins: list[TrustRoot] = []
        warnings: list[str] = []
        for ref, source in refs:
            cert = keyring.find_primary(ref)
            if cert is None:
                why = _missing(ref, keyring)
                if source == "option":
                    raise KeyringError(f"trust root {ref} {why}")
                if source == "store":
                    warnings.append(f"trust root {ref} from {stored_from} {why}: ignored")
                else:
                    warnings.append(f"FreePBX preset trust root {ref} {why}: not a trust root")
                continue
            root = TrustRoot(cert.fingerprint, source)
            if root not in origins:
                origins.append(root)
        return cls(frozenset(o.fingerprint for o in origins), tuple(origins), tuple(warnings))

    @classmethod
    def from_values(
        cls,
        keyring: Keyring,
        values: Iterable[str] = (),
        *,
        preset: Iterable[str] = (),
        store: Store | None = None,
    ) -> TrustRoots:
        """The roots in force for roots named as ``--trust-root`` values, else the store's.

        :func:`root_references` turns ``values`` into references (a certificate file joins
        ``keyring``), then :meth:`select` decides, with the ``store``'s roots file as the stored
        roots: read only when neither ``values`` nor ``preset`` names a root.

        Args:
            keyring: The certificates the check uses (certificate files named in ``values`` join it).
            values: Fingerprints, key IDs or certificate files.
            preset: The FreePBX preset's master fingerprints (when the preset is used).
            store: The user's store, whose roots apply when nothing is named (None: no store).

        Returns:
            The roots, with their origins and warnings (see :meth:`select`).

        Raises:
            InputError: A value is not a certificate file, a fingerprint or a key ID, or names a
                file that holds no certificate.
            KeyringError: A value names no certificate's primary key; a certificate file or the
                roots file cannot be read.
            FormatError: A certificate file cannot be parsed.
        """
        given = root_references(values, keyring)
        if store is None:
            return cls.select(keyring, given=given, preset=preset)
        return cls.select(
            keyring,
            given=given,
            preset=preset,
            stored=store.roots,
            stored_from=str(store.roots_file),
        )

    def __contains__(self, fpr: object) -> bool:
        return isinstance(fpr, str) and fpr.upper() in self.fingerprints

    def __repr__(self) -> str:
        return f"TrustRoots({sorted(self.fingerprints)!r})"


def root_references(values: Iterable[str], keyring: Keyring) -> list[str]:
    """``--trust-root`` values as references for :meth:`TrustRoots.select`.

    A value naming a file is a certificate file: its certificates join ``keyring`` and their
    primary fingerprints are the references. Any other value must be a fingerprint or a key ID
    (16 hex digits; spaces and ``0x`` allowed) and stays as it is (``select`` finds its key).

    Raises:
        InputError: A file holds no certificate (a revocation file, say: it names no root, and
            must never read as "no root given"), or a value is neither a file, a fingerprint nor
            a key ID.
        KeyringError: A file cannot be read.
        FormatError: A file cannot be parsed.
    """
    # Imported here: the store (and the file writing under it) stays out of a library check.

    out: list[str] = []
    for ref in values:
        p = Path(ref)
        if p.is_file():
            extra = load_keyring([p])
            if not extra.certs:
                raise InputError(f"--trust-root {ref}: the file holds no certificate")
            keyring.add_keyring(extra)
            out.extend(extra.certs)
            continue
        kid = ref.strip().replace(" ", "").upper().removeprefix("0X")
        is_kid = len(kid) == 16 and all(c in "0123456789ABCDEF" for c in kid)
        if normalize_fingerprint(ref) is None and not is_kid:
            if p.is_dir():
                why = "a directory; give the master's certificate file, fingerprint or key ID"
            elif "/" in ref or p.suffix.lower() in KEY_SUFFIXES:
                why = "no such file (a trust root is a certificate file, a fingerprint or a key ID)"
            else:
                why = "not a certificate file, a fingerprint or a key ID"
            raise InputError(f"--trust-root {ref}: {why}")
        out.append(ref)
    return out


def _missing(ref: str, keyring: Keyring) -> str:
    """Why ``ref`` names no certificate's primary key in ``keyring`` (the end of a sentence)."""
    norm = ref.upper().replace(" ", "").removeprefix("0X")
    hits = (
        keyring.candidates([norm], []) if len(norm) in (40, 64) else keyring.candidates([], [norm])
    )
    holders = sorted({c.fingerprint for c, key in hits if key is not c.primary})
    if len(norm) == 16 and sum(1 for c, key in hits if key is c.primary) > 1:
        return "is the key ID of several certificates in the keyring: give the fingerprint"
    if holders:
        return (
            f"is not the primary key of a certificate in the keyring (only a subkey of"
            f" {', '.join(holders)} matches, and a subkey is never a trust root)"
        )
    return "is not in the keyring"


@dataclass(frozen=True, slots=True)
class TrustDecision:
    """Whether a signer is trusted, through which root, and what was considered.

    When it is not, ``reason`` says why; ``revoked`` when a revocation stands in the way (of the
    root certification, or of the root itself), and then ``reason`` carries that revocation's words:
    what it revokes, its reason, time and message (:meth:`~pgpsig.engine.revocation.RevocationInfo.describe`).
    """

    trusted: bool
    path: tuple[str, ...] = ()
    reason: str | None = None
    revoked: bool = False
    warnings: tuple[str, ...] = ()


def decide_trust(signer: Cert, *, roots: TrustRoots, judge: Judge) -> TrustDecision:
    """Decide whether ``signer`` is trusted as of ``judge.as_of`` (rules in the module docstring)."""
    now = judge.as_of
    view = judge.view(signer)
    if signer.fingerprint in roots:
        state = view.primary_state(now)
        if state.ok and signer.fingerprint in roots.stale:
            return TrustDecision(False, (), roots.stale[signer.fingerprint])
        if state.ok:
            return TrustDecision(True, (signer.fingerprint,))
        return TrustDecision(
            False, (), f"trust root {signer.fingerprint}: {state.reason}", state.status == "revoked"
        )
    root_keys = [c.primary for f in roots.fingerprints if (c := judge.lookup(f)) is not None]
    reasons: list[str] = []
    revoked: str | None = None  # why, when a revocation is what stands in the way
    for uid in signer.uids:
        for sig in uid.signatures:
            if sig.sig_type not in CERTIFICATION_TYPES:
                continue
            if not (sig.issuer_fingerprints or sig.issuer_key_ids) or not any(
                sig.may_be_issued_by(k) for k in root_keys
            ):
                continue
            verdict = judge.certification(signer, uid, sig)
            if verdict.issuer not in roots:
                continue
            if not verdict.ok:
                reasons.append(verdict.reason or verdict.status)
                if verdict.status == "revoked":
                    revoked = revoked or reasons[-1]
                continue
            root = judge.lookup(verdict.issuer)
            assert root is not None
            state = judge.view(root).primary_state(now)  # (f)
            if not state.ok:
                # Not the signer's key nor its certification (FreePBX's 64): no trust, status 4.
                reasons.append(f"trust root {root.fingerprint} is {state.status}: {state.reason}")
                continue
            if root.fingerprint in roots.stale:
                reasons.append(roots.stale[root.fingerprint])
                continue
            return TrustDecision(True, (root.fingerprint, signer.fingerprint))
    if reasons:
        return TrustDecision(False, (), revoked or reasons[0], revoked is not None)
    return TrustDecision(
        False, (), f"{signer.fingerprint} is not a trust root and no trust root certified it"
    )
