"""Reading key files, and keeping only the parts of a certificate that may be stored.

This module owns :func:`read_key_material` (certificates and bare signatures from a key file,
read by :func:`pgpsig.certs.keyring.read_key_file`) and :func:`clean_cert` (the validation every certificate passes before the store,
an export or a certification sees it). :mod:`pgpsig.keys.importing` merges and stores; the
judgement of validity at use is :mod:`pgpsig.engine.view`'s and :mod:`pgpsig.engine.trust`'s. What
makes a self-signature sound (one hashed creation time, and it verifies) and where a certificate's
signatures are found are the engine's rules (:mod:`pgpsig.engine.selfsig`), applied here without
the policy, date and defect rules the judge adds at use.

Rules of cleaning (also in the README, "Keys", item **import**): self-signatures (0x10-0x13,
0x1F), subkey bindings (0x18) and revocations (0x20, 0x28, 0x30 by the key itself) must verify
with the primary key; a user ID without a valid self-signature and a subkey without a valid
binding are dropped; a certificate with no valid self-signature at all is refused. Third-party
certifications (and their 0x30 revocations) are kept when their issuer's certificate is unknown,
because they can only be judged later (by :mod:`pgpsig.engine.trust`, at use), and are dropped when the
issuer is known and they do not verify. Key revocations by a designated revoker follow the same
rule. A revocation that verifies is kept wherever it was found: a key revocation after a
component moves to the primary key, a subkey or certification revocation under the wrong
component moves to the kept component it verifies over (:func:`pgpsig.certs.revocations.locate`); a
third party's certification revocation found in the wrong place whose issuer is unknown is kept
on the primary key (it cannot be checked, and must not be lost). A subkey packet pgpsig cannot
parse is dropped with its signatures (noted), except the revocations after it. Signature *policy* (SHA-1 cutoffs,
key sizes) is not applied when storing: it is applied when a certificate is judged, so a stricter
or looser ``--policy`` later sees every claim.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pgpsig.certs.keyring import KeyFile, read_certs, read_key_file
from pgpsig.certs.revocations import locate
from pgpsig.engine.selfsig import (
    placed_under_components,
    self_signature_sound,
    single_creation_time,
)
from pgpsig.errors import CertificateError, FormatError, quoted
from pgpsig.openpgp._crypto import verifies_over
from pgpsig.openpgp.ids import (
    CERTIFICATION_TYPES,
    PRIMARY_KEY_TYPES,
    REVOCATION_TYPES,
    SignatureType,
)
from pgpsig.openpgp.packets import (
    MAX_PACKETS_PER_CERT,
    Cert,
    Component,
    Signature,
    signature_identity,
)

__all__ = [
    "KeyMaterial",
    "clean_cert",
    "read_key_material",
]

#: Revocations of one component (subkey, user ID), to be moved there when found elsewhere.
_COMPONENT_REVOCATIONS = frozenset(
    {SignatureType.SUBKEY_REVOCATION, SignatureType.CERTIFICATION_REVOCATION}
)
#: What may be kept under a user ID or attribute: certifications and their revocations.
_USER_ID_TYPES = frozenset({*CERTIFICATION_TYPES, SignatureType.CERTIFICATION_REVOCATION})


#: What a key file holds: certificates and bare signatures (revocation certificates). The
#: keyring's reader decides this for every reader of key files (:func:`pgpsig.certs.keyring.read_key_file`).
KeyMaterial = KeyFile


def read_key_material(data: bytes, *, source: str = "<data>") -> KeyMaterial:
    """Parse certificates and bare signatures from armored or binary data.

    Every form :func:`pgpsig.certs.keyring.read_key_file` reads: armored blocks (``PGP PUBLIC KEY
    BLOCK``, ``PGP PRIVATE KEY BLOCK`` or ``PGP SIGNATURE``; others are ignored) with any text
    around them, gpg's colon-escaped revocation certificates, or binary packets. A block or binary
    stream may start with bare signature packets (a revocation certificate) followed by
    certificates.

    Args:
        data: The file's content.
        source: A name for messages.

    Returns:
        The certificates (public parts only) and bare signatures.

    Raises:
        FormatError: Malformed armor or packets, or nothing usable at all.
    """
    try:
        out = read_key_file(data)
    except FormatError as e:
        raise type(e)(f"{source}: {e}") from e
    if not out.certs and not out.signatures:
        raise FormatError(f"{source}: no certificate or signature found")
    return out


class _Index:
    """Certificates by primary fingerprint and key ID, to find the issuer of a certification."""

    def __init__(self, certs: Iterable[Cert] = ()) -> None:
        self.by_fpr: dict[str, Cert] = {}
        self.by_kid: dict[str, list[Cert]] = {}
        for c in certs:
            self.put(c)

    def put(self, cert: Cert) -> None:
        old = self.by_fpr.get(cert.fingerprint)
        self.by_fpr[cert.fingerprint] = cert
        kids = self.by_kid.setdefault(cert.primary.key_id, [])
        if old is not None and old in kids:
            kids.remove(old)
        kids.append(cert)

    def get(self, fpr: str) -> Cert | None:
        return self.by_fpr.get(fpr.upper())

    def issuers(self, sig: Signature) -> list[Cert]:
        """Certificates whose primary key may have made ``sig`` (fingerprints first)."""
        if sig.issuer_fingerprints:
            return [c for f in sig.issuer_fingerprints if (c := self.by_fpr.get(f)) is not None]
        out: list[Cert] = []
        for kid in sig.issuer_key_ids:
            out.extend(self.by_kid.get(kid, []))
        return out


def _third_party_ok(
    cert: Cert, sig: Signature, prefix: bytes, index: _Index
) -> tuple[bool, str | None]:
    """A signature by another key: (keep, note). Unknown issuer: kept, to be judged at use."""
    if not sig.issuer_fingerprints and not sig.issuer_key_ids:
        return False, "a signature without issuer was dropped"
    issuers = [c for c in index.issuers(sig) if c.fingerprint != cert.fingerprint]
    if not issuers:
        return True, None
    if any(verifies_over(sig, c.primary, prefix) for c in issuers):
        return True, None
    return False, f"a signature by {issuers[0].fingerprint} that does not verify was dropped"


def clean_cert(
    cert: Cert, lookup: Callable[[str], Cert | None] | None = None
) -> tuple[Cert | None, list[str]]:
    """The part of ``cert`` that may be stored (this module's docstring), and what was dropped.

    Args:
        cert: A parsed certificate (possibly merged from several copies).
        lookup: Finds other certificates by primary fingerprint (issuers of third-party
            certifications, designated revokers); None knows none.

    Returns:
        ``(cleaned, notes)``: a new certificate holding only signatures that verify (or cannot be
        judged yet), or None when no self-signature verifies; and one note per dropped item.
    """
    index = _LookupIndex(lookup)
    return _clean(cert, index)


class _LookupIndex(_Index):
    """An index backed by a lookup function (fingerprints only)."""

    def __init__(self, lookup: Callable[[str], Cert | None] | None) -> None:
        super().__init__()
        self._lookup = lookup

    def issuers(self, sig: Signature) -> list[Cert]:
        if self._lookup is None:
            return []
        return [c for f in sig.issuer_fingerprints if (c := self._lookup(f)) is not None]

    def get(self, fpr: str) -> Cert | None:
        return self._lookup(fpr) if self._lookup is not None else None


def _clean(cert: Cert, index: _Index) -> tuple[Cert | None, list[str]]:
    p = cert.primary
    notes: list[str] = []
    out = Cert(primary=p, had_secret=cert.had_secret)
    self_ok = False
    revokers: set[str] = set()
    # Signatures over the primary key alone (direct-key 0x1F, key revocation 0x20) found after a
    # user ID or subkey are misplaced; they verify wherever they are, so they are moved to the
    # primary key (as gpg does) rather than lost. Subkey and certification revocations found in
    # the wrong place are moved to the component they verify over (after the components).
    direct = [*cert.direct, *placed_under_components(cert, PRIMARY_KEY_TYPES)]
    # (revocation, the component it sat under or None) to place once the components are known
    misplaced: list[tuple[Signature, Component | None]] = [
        (s, None) for s in cert.direct if s.sig_type in _COMPONENT_REVOCATIONS
    ]
    for comp in cert.unparsed:  # after a subkey packet pgpsig cannot parse
        misplaced.extend((s, None) for s in comp.signatures if s.sig_type in _COMPONENT_REVOCATIONS)
    # Direct-key self-signatures first (they may name designated revokers); the engine's rule of a
    # sound self-signature, with this module's verifies_over (counted by the flooding tests).
    for sig in direct:
        if (
            sig.sig_type == SignatureType.DIRECT_KEY
            and sig.may_be_issued_by(p)
            and self_signature_sound(sig, p, p.hash_prefix(), verify=verifies_over)
        ):
            out.direct.append(sig)
            self_ok = True
            revokers.update(sig.revocation_keys)
            continue
        if (
            sig.sig_type != SignatureType.KEY_REVOCATION
            and sig.sig_type not in _COMPONENT_REVOCATIONS
        ):
            if sig.sig_type != SignatureType.DIRECT_KEY or not sig.may_be_issued_by(p):
                notes.append(
                    f"a type 0x{sig.sig_type:02X} signature on the primary key was dropped"
                )
            else:
                notes.append("a direct-key self-signature that does not verify was dropped")
    # User IDs and attributes.
    for comps, target in ((cert.uids, out.uids), (cert.uats, out.uats)):
        for comp in comps:
            prefix = p.hash_prefix() + comp.hash_prefix()
            what = f"user ID {quoted(comp.uid)}" if comp.kind == "uid" else "a user attribute"
            kept: list[Signature] = []
            bound = False
            for sig in comp.signatures:
                if sig.sig_type in PRIMARY_KEY_TYPES:
                    continue  # moved to the primary key above
                if sig.sig_type == SignatureType.SUBKEY_REVOCATION:
                    misplaced.append((sig, comp))
                    continue
                if single_creation_time(sig) is None or sig.sig_type not in _USER_ID_TYPES:
                    notes.append(f"a type 0x{sig.sig_type:02X} signature on a user ID was dropped")
                    continue
                # A self-signature (or no issuer at all): it must verify.
                if sig.may_be_issued_by(p):
                    if sig.sig_type == SignatureType.CERTIFICATION_REVOCATION:
                        if verifies_over(sig, p, prefix):
                            kept.append(sig)
                        else:
                            misplaced.append((sig, comp))  # it may be over another user ID
                    elif self_signature_sound(sig, p, prefix, verify=verifies_over):
                        kept.append(sig)
                        bound = True
                        revokers.update(sig.revocation_keys)
                    else:
                        notes.append(f"a self-signature on {what} does not verify")
                    continue
                keep, note = _third_party_ok(cert, sig, prefix, index)
                if keep:
                    kept.append(sig)
                elif sig.sig_type == SignatureType.CERTIFICATION_REVOCATION:
                    misplaced.append((sig, comp))  # it may be over another user ID
                elif note:
                    notes.append(note)
            if bound:
                target.append(Component(comp.kind, comp.value, signatures=kept))
                self_ok = True
            else:
                # A third party's revocation kept here (its issuer is unknown) may be over another
                # user ID: it must not leave with this one.
                misplaced.extend(
                    (s, None)
                    for s in kept
                    if s.sig_type == SignatureType.CERTIFICATION_REVOCATION
                    and not s.may_be_issued_by(p)
                )
                notes.append(f"{what} has no valid self-signature and was dropped")
    # Key revocations: by the key itself, or by a designated revoker.
    for sig in direct:
        if sig.sig_type != SignatureType.KEY_REVOCATION:
            continue
        # No usable creation time: kept if it verifies (validity applies it as hard).
        if sig.may_be_issued_by(p) and verifies_over(sig, p, p.hash_prefix()):
            out.direct.append(sig)
            self_ok = True
            continue
        named = [f for f in revokers if sig.has_issuer_hint and sig.may_be_issued_by_fingerprint(f)]
        if named:
            other = index.get(named[0])
            if other is None or verifies_over(sig, other.primary, p.hash_prefix()):
                out.direct.append(sig)
                continue
        notes.append(f"a key revocation by {sig.issuer_hint} that does not verify was dropped")
    # Subkeys.
    for comp in cert.subkeys:
        assert comp.key is not None
        prefix = p.hash_prefix() + comp.key.hash_prefix()
        kept = []
        bound = False
        for sig in comp.signatures:
            if sig.sig_type in PRIMARY_KEY_TYPES:
                continue  # moved to the primary key above
            # A binding must be a sound self-signature; a revocation must verify (undated: hard).
            if not sig.may_be_issued_by(p):
                ok = False
            elif sig.sig_type == SignatureType.SUBKEY_BINDING:
                ok = self_signature_sound(sig, p, prefix, verify=verifies_over)
            elif sig.sig_type == SignatureType.SUBKEY_REVOCATION:
                ok = verifies_over(sig, p, prefix)
            else:
                ok = False
            if ok:
                kept.append(sig)
                bound = bound or sig.sig_type == SignatureType.SUBKEY_BINDING
            elif sig.sig_type in _COMPONENT_REVOCATIONS:
                misplaced.append((sig, comp))  # it may be over another component
            else:
                notes.append(
                    f"a type 0x{sig.sig_type:02X} signature on subkey {comp.key.fingerprint} "
                    "that does not verify was dropped"
                )
        if bound:
            out.subkeys.append(Component("subkey", comp.value, key=comp.key, signatures=kept))
        else:
            notes.append(f"subkey {comp.key.fingerprint} has no valid binding and was dropped")
    notes.extend(_place_misplaced(out, misplaced, index))
    for comp in cert.unparsed:  # its revocations, if any, were moved to where they verify
        others = sum(1 for s in comp.signatures if s.sig_type not in REVOCATION_TYPES)
        notes.append(
            "a subkey packet pgpsig cannot parse was dropped with the "
            f"{others} signature(s) after it that are not revocations"
        )
    if not self_ok:
        return None, [*notes, f"{p.fingerprint} has no valid self-signature"]
    packets = (
        1
        + len(out.direct)
        + sum(1 + len(c.signatures) for c in (*out.uids, *out.uats, *out.subkeys))
    )
    if packets > MAX_PACKETS_PER_CERT:
        # Stored, it could not be read back (certificate flooding): refuse the whole merge.
        return None, [
            *notes,
            f"{p.fingerprint} would hold {packets} packets, more than the "
            f"{MAX_PACKETS_PER_CERT} a certificate may have (flooded?)",
        ]
    return out, notes


def _place_misplaced(
    out: Cert, misplaced: list[tuple[Signature, Component | None]], index: _Index
) -> list[str]:
    """Move subkey and certification revocations found in the wrong place to where they verify.

    A 0x28 under a user ID, under another subkey, on the primary key or after a subkey packet
    pgpsig cannot parse, and a 0x30 anywhere but under the user ID it verifies over, are kept
    under the component of ``out`` they verify over (:func:`pgpsig.certs.revocations.locate`, as for a
    bare revocation); ``validity`` reads revocations wherever they sit, so dropping one that
    verifies would undo a revocation. Only the components ``out`` keeps (bound) are tried, the one
    the revocation sat under first: a third party cannot make this cost more by adding bare user
    IDs (each try is a signature check).

    A third party's 0x30 whose issuer's certificate is unknown cannot be checked yet: it is kept
    on the primary key (where :mod:`pgpsig.engine.view` reads it, and where the next import, knowing
    the issuer, places or drops it), never dropped: a root's revocation of its certification
    must not be lost because the root's certificate came later.

    Returns:
        One note per revocation dropped (verifies over no kept component) or kept unplaced.
    """
    p = out.primary
    notes: list[str] = []
    kept = (*out.uids, *out.uats, *out.subkeys)
    by_value = {(c.kind, c.value): c for c in kept}
    for sig, origin in misplaced:
        if single_creation_time(sig) is None:
            notes.append(
                f"a type 0x{sig.sig_type:02X} signature without a creation time was dropped"
            )
            continue
        first = None if origin is None else by_value.get((origin.kind, origin.value))
        within = kept if first is None else (first, *(c for c in kept if c is not first))
        where: Component | Cert | None = None
        if sig.may_be_issued_by(p):
            where = locate(sig, out, within=within)
        elif sig.sig_type == SignatureType.CERTIFICATION_REVOCATION:
            issuers = [c for c in index.issuers(sig) if c.fingerprint != p.fingerprint]
            if not issuers:
                if signature_identity(sig) not in {signature_identity(s) for s in out.direct}:
                    out.direct.append(sig)
                    notes.append(
                        f"a certification revocation by {sig.issuer_hint}, whose certificate is "
                        "not in the store, was kept on the primary key (it cannot be checked "
                        "or placed until that certificate is imported)"
                    )
                continue
            for issuer in issuers:
                where = locate(sig, out, issuer.primary, within=within)
                if where is not None:
                    break
        target = where if isinstance(where, Component) else None
        if target is None:
            notes.append(
                f"a type 0x{sig.sig_type:02X} signature by {sig.issuer_hint} that does not "
                "verify over any kept component was dropped"
            )
            continue
        if signature_identity(sig) not in {signature_identity(s) for s in target.signatures}:
            target.signatures.append(sig)
    return notes


def _one_clean_cert(data: bytes, *, source: str, noun: str) -> tuple[Cert, list[str]]:
    """The one certificate ``data`` holds, cleaned (:func:`clean_cert`), and what was dropped.

    Args:
        data: Armored or binary certificate or transferable secret key.
        source: A name for messages.
        noun: What ``data`` should be, for messages (``key``, ``certificate``).

    Raises:
        FormatError: Malformed, or not exactly one certificate.
        CertificateError: No valid self-signature.
    """
    certs = read_certs(data, source=source)
    if len(certs) != 1:
        raise FormatError(f"expected one {noun}, found {len(certs)}")
    cleaned, notes = clean_cert(certs[0])
    if cleaned is None:
        raise CertificateError("; ".join(notes))
    return cleaned, notes
