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

import os
import stat
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pgpsig._dataclass import dataclass, field
from pgpsig.errors import BudgetError, FormatError, KeyringError, LimitError
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
    "read_feed_file",
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


def parse_feed(data: bytes) -> Feed:
    """Parse a feed (module docstring: format); nothing is verified here.

    Only the canonical form is a feed: exactly three packets (one-pass signature, literal data,
    signature), as :func:`feed_message` writes them (new-format headers, no file name, date 0).
    Anything else that OpenPGP would also read as the same signed message (marker or padding
    packets, compression, other headers) is refused before it is expanded: a host stores a feed
    byte for byte and every command reads it again, so a feed must cost what its content costs.

    Raises:
        FormatError: Not a feed (a truncated download among others), or a signature without
            one creation time.
        LimitError: Larger than :data:`MAX_FEED_BYTES`.
    """
    from itertools import islice  # noqa: PLC0415

    from pgpsig.openpgp.framing import iter_packets  # noqa: PLC0415
    from pgpsig.openpgp.ids import Tag  # noqa: PLC0415
    from pgpsig.openpgp.message import parse_inline  # noqa: PLC0415 - only feed readers need it

    if len(data) > MAX_FEED_BYTES:
        raise LimitError(f"a feed has at most {MAX_FEED_BYTES} bytes; this one has {len(data)}")
    if not data or not data[0] & 0x80:
        raise FormatError("not a keyring feed: a feed is a binary OpenPGP signed message")
    try:
        tags = [p.tag for p in islice(iter_packets(data, max_packet=MAX_FEED_BYTES), 4)]
        if tags != [Tag.ONE_PASS, Tag.LITERAL, Tag.SIGNATURE]:
            raise FormatError(
                "a keyring feed is exactly a one-pass signature, a literal data packet and a"
                f" signature packet (found packets of tags {tags})"
            )
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
    if feed_message(msg.literal.data, msg.signature_packets[0]) != data:
        raise FormatError(
            "not a keyring feed: not written as pgpsig key publish writes one (headers, literal"
            " file name or date)"
        )
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


def _read_regular(path: Path) -> bytes:
    """The bytes of ``path``, a regular file (not a link, FIFO or device) of at most the limit.

    Raises:
        OSError: It cannot be opened or read.
        FormatError: It is not a regular file.
        LimitError: It is larger than :data:`MAX_FEED_BYTES`.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FormatError("not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as fp:
            data = fp.read(MAX_FEED_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_FEED_BYTES:
        raise LimitError(f"larger than {MAX_FEED_BYTES} bytes")
    return data


def read_feed_file(path: Path, root: str) -> AppliedFeed:
    """The feed in force from ``root`` stored at ``path``.

    Raises:
        KeyringError: It cannot be read or is no feed (the store is damaged: a feed in force must
            never be skipped, as a revocation file must not: its revocations would be lost).
    """
    try:
        return AppliedFeed(root, path, parse_feed(_read_regular(path)))
    except OSError as e:
        why = e.strerror or str(e)
    except FormatError as e:
        why = str(e)
    raise KeyringError(
        f"{path}: the keyring feed in force from trust root {root} cannot be read ({why}); its"
        " revocations cannot be applied: restore the store from a backup, or remove the file and"
        " run pgpsig key update"
    )


def read_applied(feeds_dir: Path | None) -> tuple[list[AppliedFeed], list[str]]:
    """The applied feeds of a store (``<home>/feeds``), and the files that are not feeds.

    Only ``<FINGERPRINT>.pgp`` (upper-case hex, as :meth:`pgpsig.certs.store.Store.feed_path`
    names them) is a feed; any other ``.pgp`` file there is reported and not read.

    Raises:
        KeyringError: The directory cannot be listed, or a feed cannot be read
            (:func:`read_feed_file`).
    """
    from pgpsig.openpgp.publickey import normalize_fingerprint  # noqa: PLC0415

    try:
        if feeds_dir is None or not feeds_dir.is_dir():
            return [], []
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
        stem = path.name[: -len(FEED_SUFFIX)]
        if path.suffix != FEED_SUFFIX or normalize_fingerprint(stem) != stem:
            problems.append(f"{path}: not a feed's name (<FINGERPRINT>.pgp): not read")
            continue
        found.append(read_feed_file(path, stem))
    return found, problems


def add_applied(ring: Keyring, feeds_dir: Path | None) -> list[AppliedFeed]:
    """Add the certificates and revocations of a store's applied feeds to ``ring``.

    Files of the feeds directory that are not feeds are recorded in ``ring.problems``.

    Returns:
        The feeds in force, for :func:`staleness` and reports.

    Raises:
        KeyringError: The feeds directory cannot be listed, or a feed cannot be read (its
            content verified when it was applied, so this is a damaged store: fail closed).
    """
    from pgpsig.certs.keyfile import read_key_file  # noqa: PLC0415

    applied, problems = read_applied(feeds_dir)
    ring.problems.extend(problems)
    files = []
    for a in applied:
        try:
            files.append((str(a.path), read_key_file(a.feed.content)))
        except BudgetError:  # the run's, not a damaged store's
            raise
        except FormatError as e:
            raise KeyringError(f"{a.path}: the feed's keyring cannot be read: {e}") from e
    if files:
        ring.add_key_files(files)
    return applied


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
            from pgpsig.report import iso  # noqa: PLC0415

            out[root] = (
                f"the keyring feed of trust root {root} expired {iso(a.feed.expires)}: revocations"
                " published since may be missing (pgpsig key update)"
            )
    return out
