"""OpenPGP certificates as values: packets grouped into transferable public (or secret) keys.

This module owns the grouping of a packet stream into :class:`Cert` values (RFC 9580 section 10.1:
a primary key, its direct signatures, then user IDs, user attributes and subkeys, each with the
signatures that follow it), and the bytes that stand for a user ID or attribute in certification
hashes. A certificate is a bag of claims: nothing here checks a signature or decides what is valid
(that is :mod:`pgpsig.engine`); unparseable claims are dropped, counted or kept aside as
described at :func:`parse_certs`. Only :class:`~pgpsig.errors.PacketError` or
:class:`~pgpsig.errors.LimitError` escape.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from pgpsig._dataclass import dataclass, field
from pgpsig.errors import LimitError, PacketError
from pgpsig.openpgp.framing import iter_packets
from pgpsig.openpgp.ids import SignatureType, Tag
from pgpsig.openpgp.publickey import PublicKey, parse_public_key
from pgpsig.openpgp.runbudget import charge_packet
from pgpsig.openpgp.signature import Signature, parse_signature

__all__ = [
    "MAX_PACKETS_PER_CERT",
    "SECRET_KEY_TAGS",
    "Cert",
    "Component",
    "parse_certs",
]

#: Most packets one certificate may hold; certificate flooding (tens of thousands of third-party
#: certifications) is refused past this.
MAX_PACKETS_PER_CERT = 20_000

#: Packets that may follow the primary key in a transferable secret key.
SECRET_KEY_TAGS = frozenset(
    {
        Tag.SIGNATURE,
        Tag.SECRET_SUBKEY,
        Tag.MARKER,
        Tag.TRUST,
        Tag.USER_ID,
        Tag.PUBLIC_SUBKEY,
        Tag.USER_ATTRIBUTE,
        Tag.PADDING,
    }
)


@dataclass(slots=True, eq=False)
class Component:
    """A user ID, user attribute or subkey with the signatures that follow it."""

    kind: str  # "uid", "uat", "subkey" or "unparsed" (a subkey packet pgpsig cannot parse)
    value: bytes  # the user ID / attribute bytes, or the subkey body (the whole packet body)
    key: PublicKey | None = None
    signatures: list[Signature] = field(default_factory=list)

    @property
    def uid(self) -> str:
        """The user ID as text (invalid UTF-8 replaced)."""
        return self.value.decode("utf-8", "replace")

    def hash_prefix(self) -> bytes:
        """The bytes that stand for this component in certification hashes."""
        if self.kind == "uid":
            return b"\xb4" + struct.pack(">I", len(self.value)) + self.value
        if self.kind == "uat":
            return b"\xd1" + struct.pack(">I", len(self.value)) + self.value
        if self.key is None:
            raise PacketError(
                "no signature can be checked over a subkey packet that cannot be parsed"
            )
        return self.key.hash_prefix()


@dataclass(slots=True, eq=False)
class Cert:
    """A transferable public key: primary key, its direct signatures and its components.

    ``unparsed`` holds the subkey packets :func:`parse_certs` could not parse (kind ``unparsed``,
    no ``key``), each with the signatures that followed it, so that nothing after such a packet is
    lost: those signatures are there to be reported and looked at, and a key revocation (0x20)
    among them, which is over the primary key alone, is moved to ``direct``.
    """

    primary: PublicKey
    direct: list[Signature] = field(default_factory=list)
    uids: list[Component] = field(default_factory=list)
    uats: list[Component] = field(default_factory=list)
    subkeys: list[Component] = field(default_factory=list)
    #: Components pgpsig could not parse (a subkey of an unknown algorithm or version), kept with
    #: the signatures that follow them: a key revocation placed there still counts.
    unparsed: list[Component] = field(default_factory=list)
    unknown_packets: int = 0
    had_secret: bool = False

    @property
    def fingerprint(self) -> str:
        """The primary key's fingerprint."""
        return self.primary.fingerprint

    def all_keys(self) -> Iterator[tuple[PublicKey, Component | None]]:
        """The primary (with None) and every subkey (with its component)."""
        yield self.primary, None
        for sk in self.subkeys:
            assert sk.key is not None
            yield sk.key, sk


def _secret_to_public(body: bytes, is_subkey: bool) -> PublicKey:
    key, _ = parse_public_key(body, is_subkey=is_subkey)
    return key


def parse_certs(data: bytes, *, max_packets: int = MAX_PACKETS_PER_CERT) -> list[Cert]:
    """Group binary packets into certificates (transferable public or secret keys).

    Signatures that cannot be parsed (unknown versions, malformed, over the subpacket limit) are
    dropped, as are unknown
    packet types and trust packets: a certificate is a bag of claims each checked on its own, and
    an unparseable claim is simply not made. A malformed *primary key* packet is an error; a subkey
    packet that cannot be parsed (a version or layout pgpsig does not read) is kept in
    :attr:`Cert.unparsed` with the signatures that follow it, except key revocations (0x20): they
    are made over the primary key alone, wherever they sit, so they go to :attr:`Cert.direct`
    (dropped with the packet, a revocation would be lost without a word and the key would keep
    verifying).

    Each packet is charged to the run's budgets (:func:`~pgpsig.openpgp.runbudget.charge_packet`).

    Raises:
        PacketError: malformed framing or key packets, or data that does not start with a key.
        LimitError: a certificate with more than ``max_packets`` packets; a packet past the run's
            budget.
    """
    certs: list[Cert] = []
    cur: Cert | None = None
    comp: Component | None = None
    count = 0
    for p in iter_packets(data):
        charge_packet()
        if p.tag in (Tag.PUBLIC_KEY, Tag.SECRET_KEY):
            key = _secret_to_public(p.body, False)
            cur = Cert(primary=key, had_secret=p.tag == Tag.SECRET_KEY)
            certs.append(cur)
            comp = None
            count = 0
            continue
        if cur is None:
            if p.tag in (Tag.MARKER, Tag.PADDING, Tag.TRUST):
                continue
            raise PacketError(f"certificate data does not start with a key (tag {p.tag} first)")
        count += 1
        if count > max_packets:
            raise LimitError(
                f"certificate {cur.fingerprint} has more than {max_packets} packets (flooded?)"
            )
        if p.tag == Tag.SIGNATURE:
            try:
                sig = parse_signature(p.body)
            except (PacketError, LimitError):  # e.g. a third party's 513 unhashed subpackets
                cur.unknown_packets += 1
                continue
            if comp is None or (
                comp.kind == "unparsed" and sig.sig_type == SignatureType.KEY_REVOCATION
            ):
                cur.direct.append(sig)
            else:
                comp.signatures.append(sig)
        elif p.tag == Tag.USER_ID:
            comp = Component("uid", p.body)
            cur.uids.append(comp)
        elif p.tag == Tag.USER_ATTRIBUTE:
            comp = Component("uat", p.body)
            cur.uats.append(comp)
        elif p.tag in (Tag.PUBLIC_SUBKEY, Tag.SECRET_SUBKEY):
            try:
                sk = _secret_to_public(p.body, True)
            except PacketError:
                comp = Component("unparsed", p.body)
                cur.unparsed.append(comp)
                continue
            comp = Component("subkey", sk.body, key=sk)
            cur.subkeys.append(comp)
        else:
            cur.unknown_packets += 1
    return certs
