"""Keyring feeds: a trust root's signed, dated bundle of the certificates it vouches for.

This module owns the feed's format and the applied feeds of a store; it parses, it does not
judge (:mod:`pgpsig.keys.feeding` verifies a feed before it is applied, and publishes them).

**Format.** A feed is one binary OpenPGP inline-signed message (RFC 9580 section 10.3): a
one-pass signature packet, a literal data packet (format ``b``, no file name, date 0) and the
signature packet. The literal data is a keyring in binary form: the certificates (transferable
public keys, by primary fingerprint in ascending order) and then the loose revocations that
apply to none of them yet. The signature is a binary-document signature (0x00) by the trust
root, whose hashed area carries its creation time (the feed's *version*: a newer feed has a
later one) and a signature expiration time (the end of the feed's *validity window*). Any
OpenPGP implementation reads it: ``gpg --verify FEED``, ``sqop inline-verify ROOT < FEED``.

**Applied feeds** live in a store's home::

    <home>/feeds/<ROOT>.pgp   the newest feed applied from trust root ROOT, byte for byte as it
                              was verified (one file: replacing it is one atomic rename, so a
                              store holds a whole feed or the one before it, never a mix)

Every reader of the store's certificates (``check``, ``verify``, ``key list``) adds the
certificates and revocations of the applied feeds to those of ``certs/``; a feed's envelope is
not verified again when it is read (it was, under the store's lock, before it was written: the
store is local state, as ``certs/`` is), but every signature *inside* it is judged when used, as
for any certificate. :func:`staleness` says which roots' feeds have expired.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from pgpsig._dataclass import dataclass, field
from pgpsig.errors import FormatError, KeyringError, LimitError
from pgpsig.openpgp.ids import SignatureType
from pgpsig.openpgp.packets import Signature

if TYPE_CHECKING:
    from pgpsig.certs.keyring import Keyring

__all__ = [
    "FEEDS_DIR",
    "FEED_SUFFIX",
    "MAX_FEED_BYTES",
    "AppliedFeed",
    "Feed",
    "add_applied",
    "feed_message",
    "parse_feed",
    "read_applied",
    "staleness",
]

#: Directory of applied feeds inside a store home.
FEEDS_DIR = "feeds"
#: Suffix of an applied feed's file.
FEED_SUFFIX = ".pgp"
#: Largest feed read or fetched (a Debian archive keyring, the largest real keyring seen, is
#: about 20 MB).
MAX_FEED_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Feed:
    """A parsed feed: its content (a binary keyring) and the one signature over it."""

    content: bytes = field(repr=False)
    signature_packet: bytes = field(repr=False)
    signature: Signature = field(repr=False)
    created: datetime
    expires: datetime | None

    @property
    def issuer(self) -> str:
        """Who the signature says made it (a fingerprint or key ID, unverified)."""
        return self.signature.issuer_hint


def parse_feed(data: bytes) -> Feed:
    """Parse a feed (module docstring: format); nothing is verified here.

    Raises:
        FormatError: Not a binary inline-signed message with one binary signature over literal
            data of format ``b`` (a truncated download among others), or a signature without
            one creation time.
        LimitError: Larger than :data:`MAX_FEED_BYTES`.
    """
    from pgpsig.openpgp.message import parse_inline  # noqa: PLC0415 - only feed readers need it

    if len(data) > MAX_FEED_BYTES:
        raise LimitError(f"a feed has at most {MAX_FEED_BYTES} bytes; this one has {len(data)}")
    if data[:1] and not data[0] & 0x80:
        raise FormatError("not a keyring feed: a feed is a binary OpenPGP signed message")
    try:
        msg = parse_inline(data, limit=MAX_FEED_BYTES)
    except LimitError:
        raise
    except FormatError as e:
        raise FormatError(f"not a keyring feed (or an incomplete one): {e}") from e
    if len(msg.signatures) != 1:
        raise FormatError(f"a keyring feed has one signature; this one has {len(msg.signatures)}")
    sig = msg.signatures[0]
    if sig.sig_type != SignatureType.BINARY or msg.literal.format != "b":
        raise FormatError("a keyring feed is signed as binary data (literal format b, type 0x00)")
    created = sig.created
    if created is None or sig.created_count != 1:
        raise FormatError("the feed's signature has no single creation time")
    return Feed(msg.literal.data, msg.signature_packets[0], sig, created, sig.expires_at)


def feed_message(content: bytes, signature_packet: bytes) -> bytes:
    """The feed of ``content`` signed by ``signature_packet`` (a binary signature over it).

    Raises:
        PacketError: ``signature_packet`` is not one signature packet.
    """
    from pgpsig.openpgp.message import inline_signed  # noqa: PLC0415

    return inline_signed(content, [signature_packet], fmt="b")


@dataclass(frozen=True, slots=True)
class AppliedFeed:
    """A feed in force in a store: from trust root ``root``, read from ``path``."""

    root: str
    path: Path
    feed: Feed

    def to_dict(self, now: datetime) -> dict[str, object]:
        """The JSON form: root, creation, expiry, and whether its window is still open at ``now``."""
        from pgpsig.report import iso  # noqa: PLC0415

        return {
            "root": self.root,
            "created": iso(self.feed.created),
            "expires": iso(self.feed.expires),
            "fresh": self.fresh(now),
        }

    def fresh(self, now: datetime) -> bool:
        """Whether the feed's validity window is open at ``now``."""
        return self.feed.expires is not None and now < self.feed.expires


def read_applied(feeds_dir: Path | None) -> tuple[list[AppliedFeed], list[str]]:
    """The applied feeds of a store (``<home>/feeds``), and the files that could not be read.

    Raises:
        KeyringError: The directory exists but cannot be listed.
    """
    if feeds_dir is None or not feeds_dir.is_dir():
        return [], []
    try:
        paths = sorted(
            p
            for p in feeds_dir.iterdir()
            if p.suffix.lower() == FEED_SUFFIX and not p.name.startswith(".")
        )
    except OSError as e:
        raise KeyringError(f"cannot list {feeds_dir}: {e.strerror or e}") from e
    found: list[AppliedFeed] = []
    problems: list[str] = []
    for path in paths:
        try:
            if path.stat().st_size > MAX_FEED_BYTES:
                raise LimitError(f"larger than {MAX_FEED_BYTES} bytes")
            feed = parse_feed(path.read_bytes())
        except OSError as e:
            problems.append(f"{path}: cannot read: {e.strerror or e}")
            continue
        except FormatError as e:
            problems.append(f"{path}: {e}")
            continue
        found.append(AppliedFeed(path.name[: -len(FEED_SUFFIX)].upper(), path, feed))
    return found, problems


def add_applied(ring: Keyring, feeds_dir: Path | None) -> list[AppliedFeed]:
    """Add the certificates and revocations of a store's applied feeds to ``ring``.

    A feed that cannot be read is recorded in ``ring.problems`` (and is not in force).

    Returns:
        The feeds in force, for :func:`staleness` and reports.

    Raises:
        KeyringError: The feeds directory exists but cannot be listed.
    """
    from pgpsig.certs.keyfile import read_key_file  # noqa: PLC0415

    applied, problems = read_applied(feeds_dir)
    ring.problems.extend(problems)
    files = []
    usable = []
    for a in applied:
        try:
            files.append((str(a.path), read_key_file(a.feed.content)))
        except FormatError as e:
            ring.problems.append(f"{a.path}: the feed's keyring cannot be read: {e}")
            continue
        usable.append(a)
    if files:
        ring.add_key_files(files)
    return usable


def staleness(
    applied: list[AppliedFeed], roots: frozenset[str] | set[str], now: datetime
) -> dict[str, str]:
    """For each root in ``roots`` without a feed in force at ``now``: why (a sentence).

    A root whose applied feed has expired, or that has no applied feed, has no fresh
    revocation data: revocations it published since may not have reached this store.
    """
    by_root = {a.root: a for a in applied}
    out: dict[str, str] = {}
    for root in sorted(roots):
        a = by_root.get(root)
        if a is None:
            out[root] = (
                f"no keyring feed from trust root {root} has been applied (pgpsig key update)"
            )
        elif not a.fresh(now):
            when = a.feed.expires.astimezone(timezone.utc) if a.feed.expires else None
            out[root] = (
                f"the keyring feed of trust root {root} expired "
                f"{when.strftime('%Y-%m-%dT%H:%M:%SZ') if when else '(no expiry)'}: revocations "
                "published since may be missing (pgpsig key update)"
            )
    return out
