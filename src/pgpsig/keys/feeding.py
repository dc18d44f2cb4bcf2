"""Keyring feeds, end to end: ``pgpsig key publish`` (a trust root) and ``pgpsig key update`` (a host).

The format and where an applied feed lives are :mod:`pgpsig.certs.feeds`'s; this module owns the
two use cases and their rules, each with its steps numbered in its docstring and marked ``# (n)``:

* :func:`publish_feed`: what a master vouches for, in one signed, dated, expiring file.
* :func:`verify_feed` and :func:`apply_feed`: what a host accepts, and how it takes it in.

Choices (also in ``docs/keys.md``, "Keyring feeds"):

* **What a feed holds**: the master's own certificate, every certificate of the keyring that
  carries a certification or a certification revocation naming the master as its issuer (with
  everything the keyring holds of it: its own revocations, other masters' certifications), and
  the loose revocations the keyring holds that were made by one of those keys.
* **Deterministic**: the same keyring, key, time and window give the same octets (certificates
  by fingerprint, the literal's name empty and date 0) for EdDSA and RSA keys; a v6 signature's
  salt and an ECDSA signature are random by design, so theirs differ in those octets only.
* **The version is the signature's creation time** (whole seconds). A host refuses a feed that is
  not strictly newer than the one in force from the same root (rollback, replay), a feed whose
  signature has no expiration time (it would be fresh forever), an expired one, one made in the
  future (beyond the policy's clock skew), and one not signed by a trust root's key that may sign
  at the signature's time (revoked, expired, no signing flag: refused, as for any signature).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pgpsig._dataclass import dataclass, field
from pgpsig.certs import feeds
from pgpsig.certs.keyfile import read_key_file
from pgpsig.certs.keyring import Keyring, cert_to_bytes, read_certs
from pgpsig.certs.store import Store
from pgpsig.errors import FormatError, VerificationError
from pgpsig.keys._common import _copy, _require_aware
from pgpsig.keys.certifying import _signable
from pgpsig.openpgp.ids import CERTIFICATION_TYPES, SignatureType, SubpacketType
from pgpsig.openpgp.packets import Cert, Signature
from pgpsig.openpgp.write import packet_header, subpacket
from pgpsig.policy import Policy
from pgpsig.report import iso

__all__ = [
    "FeedRefusedError",
    "PublishResult",
    "UpdateResult",
    "VerifiedFeed",
    "apply_feed",
    "parse_validity",
    "publish_feed",
    "retire_feed",
    "verify_feed",
]

#: Shortest and longest validity window of a published feed.
MIN_VALIDITY = timedelta(minutes=1)
MAX_VALIDITY = timedelta(days=3650)


class FeedRefusedError(VerificationError):
    """A feed that is well formed but must not be applied (who signed it, its time, a rollback)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishResult:
    """A feed made by :func:`publish_feed`: its octets and what it holds."""

    feed: bytes = field(repr=False)
    by: str
    signer: str
    created: datetime
    expires: datetime
    certificates: tuple[str, ...]
    revocations: int
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "warnings": list(self.warnings),
            "by": self.by,
            "signer": self.signer,
            "created": iso(self.created),
            "expires": iso(self.expires),
            "certificates": list(self.certificates),
            "revocations": self.revocations,
        }


def parse_validity(text: str, *, now: datetime) -> timedelta:
    """``--valid``: a window as ``key generate --expires`` reads one (``7d``, ``2w``, a date), or hours (``12h``).

    Raises:
        ValueError: Not a duration, ``never``, or outside 1 minute to 10 years.
    """
    from pgpsig.keys.generate import parse_expiry  # noqa: PLC0415

    t = text.strip().lower()
    if t.endswith("h") and t[:-1].isdigit() and len(t) < 12:
        seconds: int | None = int(t[:-1]) * 3600
    else:
        seconds = parse_expiry(text, now=now)
    if seconds is None:
        raise ValueError("a feed must expire: give --valid a duration, e.g. 7d")
    if seconds > MAX_VALIDITY.total_seconds():
        raise ValueError("a feed's validity window is between 1 minute and 10 years")
    valid = timedelta(seconds=seconds)
    if not MIN_VALIDITY <= valid <= MAX_VALIDITY:
        raise ValueError("a feed's validity window is between 1 minute and 10 years")
    return valid


def _names_issuer(sig: Signature, fpr: str) -> bool:
    """Whether ``sig`` names ``fpr`` as its issuer (a signature without a hint names no one)."""
    return sig.has_issuer_hint and sig.may_be_issued_by_fingerprint(fpr)


def _vouched(ring: Keyring, master: str) -> list[Cert]:
    """The certificates of ``ring`` with a certification (or its revocation) naming ``master``."""
    kinds = {*CERTIFICATION_TYPES, SignatureType.CERTIFICATION_REVOCATION}
    return [
        c
        for c in ring
        if c.fingerprint != master
        and any(
            s.sig_type in kinds and _names_issuer(s, master)
            for comp in (*c.uids, *c.uats)
            for s in comp.signatures
        )
    ]


def _key_fingerprints(certs: Iterable[Cert]) -> set[str]:
    return {k.fingerprint for c in certs for k in (c.primary, *(s.key for s in c.subkeys if s.key))}


def publish_feed(
    master_key: bytes,
    ring: Keyring,
    *,
    passphrase: bytes | None,
    now: datetime,
    valid: timedelta,
    policy: Policy,
) -> PublishResult:
    """A keyring feed signed by a master key.

    Steps:

    1. Unlock the master's secret key; choose its key that may sign data now (the primary, or
       a signing subkey) under ``policy``.
    2. Gather what the master vouches for (module docstring) from ``ring`` and the master's own
       certificate (merged with the keyring's copy, which may hold its revocations).
    3. Write the content: the certificates by fingerprint, then the loose revocations.
    4. Sign it (type 0x00, creation ``now``, expiration ``now + valid``) and wrap it in a feed.

    Raises:
        PassphraseError: A wrong or missing passphrase.
        CertificateError: The master has no key that may sign now.
        PolicyError: Its keys are too weak for the policy.
        ValueError: A naive ``now`` or a window outside :data:`MIN_VALIDITY`..:data:`MAX_VALIDITY`.
    """
    from pgpsig.engine.signer import choose_signing_key  # noqa: PLC0415
    from pgpsig.openpgp.secretkey import load_signing_keys  # noqa: PLC0415
    from pgpsig.openpgp.signing import signature_packet  # noqa: PLC0415
    from pgpsig.openpgp.signingkey import best_hash  # noqa: PLC0415

    _require_aware(now)
    if not MIN_VALIDITY <= valid <= MAX_VALIDITY:
        raise ValueError("a feed's validity window is between 1 minute and 10 years")
    # (1)
    keys = load_signing_keys(master_key, passphrase)
    master_cert = read_certs(master_key, source="secret key")[0]
    signer = choose_signing_key(keys, master_cert, policy=policy, now=now)
    created = _signable(signer, now)  # whole seconds, not before the key: certify's rule
    # (2)
    own = Keyring()
    own.add(master_cert)
    held = ring.get(master_cert.fingerprint)
    if held is not None:
        own.add(held)
    chosen = [own.certs[master_cert.fingerprint], *_vouched(ring, master_cert.fingerprint)]
    chosen.sort(key=lambda c: c.fingerprint)
    keys_in = _key_fingerprints(chosen)
    loose = [
        r.signature for r in ring.pending if any(_names_issuer(r.signature, f) for f in keys_in)
    ]
    # (3)
    content = b"".join(cert_to_bytes(c) for c in chosen) + b"".join(
        packet_header(2, len(s.raw)) + s.raw for s in loose
    )
    try:  # what every host will do with it: refuse here what they would refuse there
        read_key_file(content)
    except FormatError as e:
        raise FormatError(f"hosts could not read this feed's keyring: {e}") from e
    warnings = []
    if len(chosen) == 1:
        warnings.append(
            "the feed holds only the master's own certificate: no certificate in the keyring"
            " carries its certification (is it the right keyring?); a host keeps what earlier"
            " feeds delivered"
        )
    if any(
        s.sig_type == SignatureType.KEY_REVOCATION
        for s in own.certs[master_cert.fingerprint].direct
    ):
        warnings.append(
            "the keyring holds a revocation of the master's own key: the feed carries it, and"
            " hosts will refuse feeds it signs from then on"
        )
    # (4)
    seconds = int(valid.total_seconds())
    sig = signature_packet(
        signer,
        content,
        sig_type=SignatureType.BINARY,
        created=created,
        hash_name=best_hash(signer),
        extra_hashed_subpackets=[
            subpacket(SubpacketType.SIGNATURE_EXPIRATION_TIME, struct.pack(">I", seconds))
        ],
    )
    return PublishResult(
        feed=feeds.feed_message(content, sig),
        by=master_cert.fingerprint,
        signer=signer.fingerprint,
        created=created,
        expires=created + timedelta(seconds=seconds),
        certificates=tuple(c.fingerprint for c in chosen),
        revocations=len(loose),
        warnings=tuple(warnings),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedFeed:
    """A feed that verified: by which trust root (primary fingerprint) and signing key."""

    feed: feeds.Feed
    data: bytes = field(repr=False)
    root: str
    signer: str
    certificates: tuple[str, ...]
    revocations: int


def verify_feed(
    data: bytes, ring: Keyring, roots: frozenset[str], *, policy: Policy, now: datetime
) -> VerifiedFeed:
    """Verify a feed against the trust roots, as of ``now``.

    Steps:

    1. Parse it (:func:`pgpsig.certs.feeds.parse_feed`); it must state an expiration time and
       not be made after ``now`` plus the policy's clock skew; its content must be a readable
       keyring.
    2. Verify its signature as any data signature is (good, not expired, made by a key that
       could sign then), with ``ring`` and the roots' certificates as the feed carries them
       merged in (a root's own revocation that the feed delivers counts against the feed itself;
       nothing else of the content is used), and its signer's primary key must be one of
       ``roots``.
    3. The signing key (and its primary) must still be valid *now*: not revoked for any reason,
       not expired. A retired or lapsed root key must not keep a root "fresh".

    Raises:
        FormatError: Not a feed (malformed, truncated, its content no keyring).
        LimitError: Too large.
        FeedRefusedError: No expiration; not signed by a root; a bad, expired or future signature.
        ValueError: A naive ``now``.
    """
    from pgpsig.engine.signatures import judge_for  # noqa: PLC0415
    from pgpsig.errors import PgpsigError  # noqa: PLC0415
    from pgpsig.verify import verify_detached  # noqa: PLC0415

    _require_aware(now)
    # (1)
    feed = feeds.parse_feed(data)
    if feed.expires is None:
        raise FeedRefusedError(
            "the feed's signature has no expiration time: a feed must say until when it is valid"
        )
    if feed.created > now + policy.clock_skew:
        raise FeedRefusedError(
            f"the feed was made {iso(feed.created)}, after now ({iso(now)}): check the clocks"
        )
    try:
        kf = read_key_file(feed.content)
    except FormatError as e:
        raise FormatError(f"the feed's content is not a keyring: {e}") from e
    # (2)
    if not roots:
        raise FeedRefusedError("no trust root in force: a feed can only be verified against one")
    seen = Keyring()  # copies: merging must not change the caller's certificates
    seen.add_all(_copy(c) for c in ring)
    seen.add_revocations(ring.pending)
    seen.add_all(_copy(c) for c in kf.certs if c.fingerprint in roots)
    judge = judge_for(seen, policy, now)
    report = verify_detached(
        feed.content,
        feed.signature_packet,
        seen,
        policy=policy,
        now=now,
        min_signatures=1,
        judge=judge,
    )
    result = report.signatures[0]
    if not result.good:
        raise FeedRefusedError(f"the feed's signature is {result.status.value}: {result.reason}")
    if result.primary not in roots:
        raise FeedRefusedError(
            f"the feed is signed by {result.primary}, which is not a trust root"
            f" (roots in force: {', '.join(sorted(roots))})"
        )
    # (3)
    assert result.signer is not None
    cert, key = next(
        (c, k) for c, k in seen.candidates([result.signer], ()) if c.fingerprint == result.primary
    )
    try:
        judge.view(cert).check_signing_key(key, now)
    except PgpsigError as e:
        raise FeedRefusedError(
            f"the feed is signed by {result.signer}, which may no longer sign now: {e}"
        ) from None
    return VerifiedFeed(
        feed=feed,
        data=data,
        root=result.primary,
        signer=result.signer,
        certificates=tuple(c.fingerprint for c in kf.certs),
        revocations=len(kf.signatures),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateResult:
    """A feed applied by :func:`apply_feed`, and the one it replaced."""

    root: str
    signer: str
    created: datetime
    expires: datetime
    previous: datetime | None
    certificates: tuple[str, ...]
    revocations: int
    path: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "status": "applied",
            "root": self.root,
            "signer": self.signer,
            "created": iso(self.created),
            "expires": iso(self.expires),
            "previous": iso(self.previous),
            "certificates": list(self.certificates),
            "revocations": self.revocations,
            "path": self.path,
        }


def apply_feed(store: Store, verified: VerifiedFeed) -> UpdateResult:
    """Make a verified feed the one in force from its root, unless it is not newer.

    Steps, under the store's lock (so a concurrent update cannot interleave):

    1. Read the feed in force from the same root; refuse this one unless its creation time is
       strictly later (rollback to an older feed, or a replay of the same one). A feed file that
       cannot be read refuses every feed (its version is unknown).
    2. Carry the outgoing feed's content into the store's own certificates, as ``key import``
       would (:func:`~pgpsig.keys.importing.import_keys`): a revocation a feed delivered stays,
       even when the next feed leaves it out. A crash after this step leaves the old feed in
       force and its content in two places: never anything the store had not applied.
    3. Write the new feed as the one in force: one atomic rename (:meth:`Store.write_feed`).

    Raises:
        FeedRefusedError: Not newer than the feed in force.
        KeyringError: The store cannot be locked or written, or the feed in force cannot be read.
    """
    feed = verified.feed
    assert feed.expires is not None
    with store.locked():
        # (1)
        current = store.applied_feed(verified.root)
        previous = current.feed.created if current is not None else None
        if previous is not None and feed.created <= previous:
            same = "the same age as" if feed.created == previous else "older than"
            raise FeedRefusedError(
                f"the feed of {iso(feed.created)} is {same} the one in force from trust root"
                f" {verified.root} ({iso(previous)}): a rollback or a replay"
            )
        # (2)
        if current is not None:
            _absorb(store, current)
        # (3)
        path = store.write_feed(verified.root, verified.data)
    return UpdateResult(
        root=verified.root,
        signer=verified.signer,
        created=feed.created,
        expires=feed.expires,
        previous=previous,
        certificates=verified.certificates,
        revocations=verified.revocations,
        path=str(path),
    )


def _absorb(store: Store, applied: feeds.AppliedFeed) -> None:
    """Import a feed's content into the store's own certificates (the caller holds the lock)."""
    from pgpsig.keys.importing import import_keys  # noqa: PLC0415

    import_keys(store, [(str(applied.path), applied.feed.content)], locked=True)


def retire_feed(store: Store, root: str) -> None:
    """Retire the feed in force from ``root``: its content carried into ``certs/``, its file removed.

    For a root removed from the store's roots (``key trust-root remove``): a revocation it
    delivered stays, and its feed no longer counts for freshness. The caller holds the lock.

    Raises:
        KeyringError: The feed cannot be read, or the store cannot be written.
    """
    current = store.applied_feed(root)
    if current is None:
        return
    _absorb(store, current)
    store.remove_feed(root)
