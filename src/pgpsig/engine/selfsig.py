"""A certificate's own signatures: when one counts, and where its signatures are found.

This module owns the rules the judge (:mod:`pgpsig.engine.view`) and the store's cleaning
(:mod:`pgpsig.keys.material`) share, so that both read a certificate the same way:

- a signature's time is its one hashed creation time (:func:`single_creation_time`; none, or two,
  and it has no usable time);
- a self-signature is *sound* when it has that time and verifies (:func:`self_signature_sound`):
  what may be stored. It is *usable* when, besides, it is not older than the key it binds, has no
  defect and its hash is accepted by the policy at its creation (:func:`self_signature_usable`):
  what may be judged. Policy is applied at use only, so a later ``--policy`` sees every claim;
- a certificate's self-signatures over its primary key are its direct-key signatures (0x1F) and
  its certifications (0x10-0x13) of its own user IDs and attributes (:func:`usable_self_signatures`);
- a signature counts by what it verifies over, not by where it sits: :func:`placed_anywhere` finds
  signatures of a type in the direct-key area, under every component, and after a component pgpsig
  could not parse (:func:`placed_under_components`: all but the direct-key area).

What is *in force* at a time, expiry, flags and revocations are the view's (:mod:`pgpsig.engine.view`).
"""

from __future__ import annotations

from collections.abc import Callable, Container
from datetime import datetime

from pgpsig.errors import PolicyError
from pgpsig.openpgp._crypto import verifies_over
from pgpsig.openpgp.ids import CERTIFICATION_TYPES, SignatureType
from pgpsig.openpgp.packets import Cert, Component, PublicKey, Signature
from pgpsig.policy import Policy, SignatureKind

__all__ = [
    "Verify",
    "placed_anywhere",
    "placed_under_components",
    "self_signature_sound",
    "self_signature_usable",
    "single_creation_time",
    "usable_self_signatures",
]

#: Checks a signature by a key over a prefix (:func:`pgpsig.openpgp._crypto.verifies_over`, or a
#: cached or counted stand-in).
Verify = Callable[[Signature, PublicKey, bytes], bool]


def single_creation_time(sig: Signature) -> datetime | None:
    """The signature's one hashed creation time; None when it has none or more than one."""
    created = sig.created
    if created is None or sig.created_count != 1:
        return None
    return created


def self_signature_sound(
    sig: Signature, signer: PublicKey, prefix: bytes, *, verify: Verify = verifies_over
) -> bool:
    """Whether a self-signature may be kept: one hashed creation time, and it verifies.

    No policy, date or defect rule applies here (they are :func:`self_signature_usable`'s, at use).
    """
    return single_creation_time(sig) is not None and verify(sig, signer, prefix)


def self_signature_usable(
    sig: Signature,
    signer: PublicKey,
    prefix: bytes,
    not_before: datetime,
    *,
    policy: Policy,
    verify: Verify = verifies_over,
) -> bool:
    """Whether a self-signature is usable at all.

    It is sound (:func:`self_signature_sound`), made not before ``not_before``, has no defect, and
    its hash is accepted by the policy for self-signatures at its creation. The cheap rules are
    applied before the signature is checked.
    """
    created = single_creation_time(sig)
    if created is None or created < not_before:
        return False
    if sig.defect() is not None:
        return False
    try:
        policy.check_hash(sig.hash_algorithm, kind=SignatureKind.SELF, at=created)
    except PolicyError:
        return False
    return self_signature_sound(sig, signer, prefix, verify=verify)


def usable_self_signatures(
    cert: Cert, policy: Policy, verify: Verify = verifies_over
) -> list[tuple[Signature, Component | None]]:
    """Every usable self-signature over the primary: direct-key (with None) and user-ID bindings."""
    p = cert.primary
    out: list[tuple[Signature, Component | None]] = []
    for sig in cert.direct:
        if (
            sig.sig_type == SignatureType.DIRECT_KEY
            and sig.may_be_issued_by(p)
            and self_signature_usable(
                sig, p, p.hash_prefix(), p.created, policy=policy, verify=verify
            )
        ):
            out.append((sig, None))
    for comp in (*cert.uids, *cert.uats):
        prefix = p.hash_prefix() + comp.hash_prefix()
        for sig in comp.signatures:
            if (
                sig.sig_type in CERTIFICATION_TYPES
                and sig.may_be_issued_by(p)
                and self_signature_usable(sig, p, prefix, p.created, policy=policy, verify=verify)
            ):
                out.append((sig, comp))
    return out


def placed_anywhere(cert: Cert, sig_types: Container[int]) -> list[Signature]:
    """Signatures of ``sig_types`` wherever they sit in the certificate, in the order they sit.

    A revocation is judged by what it verifies over, not by where it was found: a key
    revocation after a user ID, a subkey revocation under another subkey, a certification
    revocation in the direct-key area (as keyservers and careless merges leave them) still
    count, as Sequoia and gpg's import decide. Signatures after a component pgpsig could not
    parse are kept there (:attr:`Cert.unparsed`) and count too.
    """
    return [
        *(sig for sig in cert.direct if sig.sig_type in sig_types),
        *placed_under_components(cert, sig_types),
    ]


def placed_under_components(cert: Cert, sig_types: Container[int]) -> list[Signature]:
    """Signatures of ``sig_types`` that sit after a component, not in the direct-key area.

    The components, in order: user IDs, user attributes, subkeys, and what follows a subkey pgpsig
    could not parse. For signatures over the primary key alone (0x1F, 0x20) these are misplaced.
    """
    comps = (*cert.uids, *cert.uats, *cert.subkeys, *cert.unparsed)
    return [sig for x in comps for sig in x.signatures if sig.sig_type in sig_types]
