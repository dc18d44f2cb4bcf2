"""Importing certificates and revocation certificates into the store: ``pgpsig key import``.

This module owns :func:`import_keys` and its report (:class:`ImportReport` of
:class:`ImportItem`): merge each incoming certificate with the stored copy, keep what verifies
(the rules are in :mod:`pgpsig.keys.material`), attach bare revocation signatures, and write the
changed files under the store lock. Its steps are numbered in its docstring and marked ``# (n)``
in the code.

Nothing is duplicated: two copies of one signature differing only in unhashed subpackets are one
signature. A bare revocation signature (what ``pgpsig key revoke`` and ``gpg --gen-revoke``
write) joins the certificate it verifies over (:mod:`pgpsig.certs.revocations` decides, as for every
keyring); one that revokes nothing the store holds yet (its issuer's certificate, or the one it
revokes, is not there) is kept pending in the store (``<ISSUER>.rev``, read by every reader of the
store) and written into its certificate by the import that brings it.

**A stored revocation is never deleted because of what is missing.** It leaves its ``.rev`` file
only once the certificate holding it has been written, or when it can never apply (not a
revocation, no single creation time, no issuer named: :attr:`~pgpsig.certs.revocations.Outcome.UNUSABLE`).
That its issuer's certificate is here proves nothing: a designated revoker's or a certifier's
revocation does not name the certificate it revokes, and a certificate that carries the issuer's
key as a subkey is not the issuer's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pgpsig._dataclass import dataclass
from pgpsig.certs.keyring import merge_cert, signature_identity
from pgpsig.certs.revocations import (
    LooseRevocation,
    Outcome,
    Resolution,
    Targets,
    holds_anywhere,
    resolve,
)
from pgpsig.certs.store import Store
from pgpsig.errors import FormatError, LimitError
from pgpsig.keys._common import _copy, _first_user_id
from pgpsig.keys.material import KeyMaterial, _clean, _Index, read_key_material
from pgpsig.openpgp._crypto import verifies_over
from pgpsig.openpgp.ids import REVOCATION_TYPES, SignatureType
from pgpsig.openpgp.packets import Cert, Signature

__all__ = [
    "ImportItem",
    "ImportReport",
    "import_keys",
    "rejected",
]


def _inventory(cert: Cert | None) -> set[bytes]:
    """Everything a certificate holds, as comparable items."""
    if cert is None:
        return set()
    items = {b"D" + signature_identity(s) for s in cert.direct}
    for tag, comps in ((b"U", cert.uids), (b"A", cert.uats), (b"S", cert.subkeys)):
        for c in comps:
            items.add(tag + c.value)
            items.update(tag + c.value + b"\0" + signature_identity(s) for s in c.signatures)
    return items


def _describe_change(before: Cert | None, after: Cert) -> list[str]:
    old = _inventory(before)
    new = _inventory(after)
    gained = new - old
    lost = old - new
    out = []
    counts = {
        "user ID": sum(1 for i in gained if i[:1] == b"U" and b"\0" not in i[1:]),
        "subkey": sum(1 for i in gained if i[:1] == b"S" and b"\0" not in i[1:]),
        "signature": sum(1 for i in gained if i[:1] == b"D" or b"\0" in i[1:]),
    }
    for name, n in counts.items():
        if n:
            out.append(f"{n} new {name}{'s' if n != 1 else ''}")
    if lost:
        out.append(f"{len(lost)} stored item(s) no longer valid, removed")
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportItem:
    """What happened to one certificate or bare signature of an import.

    ``status``: ``new`` (a certificate the store did not have), ``updated`` (something joined a
    stored certificate), ``unchanged``, ``rejected`` (nothing stored; see ``details``),
    ``pending`` (a revocation whose certificate the store does not hold: kept in the store and
    applied when that certificate is imported), or ``ignored`` (refresh: a certificate the store
    does not hold).
    """

    source: str
    fingerprint: str | None
    user_id: str | None
    status: str
    details: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "source": self.source,
            "fingerprint": self.fingerprint,
            "user_id": self.user_id,
            "status": self.status,
            "details": list(self.details),
        }


def rejected(
    source: str, details: Sequence[str], fingerprint: str | None = None, user_id: str | None = None
) -> ImportItem:
    """An item of the import report for something not stored, and why."""
    return ImportItem(
        source=source,
        fingerprint=fingerprint,
        user_id=user_id,
        status="rejected",
        details=tuple(details),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportReport:
    """Every item of an import, and the problems found in the store while loading it."""

    items: tuple[ImportItem, ...]
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing was rejected."""
        return not any(i.status == "rejected" for i in self.items)

    def __bool__(self) -> bool:
        raise TypeError("use report.ok")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "ok": self.ok,
            "imported": [i.to_dict() for i in self.items],
            "problems": list(self.problems),
        }


_NO_CERT = "its issuer's certificate is not in the store"


def _what(sig: Signature) -> str:
    """A bare signature, for messages: its kind and issuer."""
    kind = (
        SignatureType(sig.sig_type).description
        if sig.sig_type in REVOCATION_TYPES
        else f"a bare type 0x{sig.sig_type:02X} signature"
    )
    return f"{kind} by {sig.issuer_hint}"


def _item(source: str, cert: Cert | None, status: str, detail: str) -> ImportItem:
    """An item of the import report with one detail."""
    return ImportItem(
        source=source,
        fingerprint=None if cert is None else cert.fingerprint,
        user_id=None if cert is None else _first_user_id(cert),
        status=status,
        details=(detail,),
    )


def _attach_direct_key(sig: Signature, index: _Index, work: Mapping[str, Cert]) -> Cert | None:
    """A copy of the certificate a bare direct-key signature (0x1F) verifies over, with it."""
    for cert in index.issuers(sig):
        if cert.fingerprint in work and verifies_over(
            sig, cert.primary, cert.primary.hash_prefix()
        ):
            out = _copy(work[cert.fingerprint])
            out.direct.append(sig)
            return out
    return None


def _with_revocation(found: Resolution, sig: Signature) -> Cert:
    """A copy of the certificate ``found`` names, with ``sig`` where ``found`` says."""
    assert found.cert is not None
    out = _copy(found.cert)
    if found.component is None:
        out.direct.append(sig)
    else:
        comps = {"uid": out.uids, "uat": out.uats, "subkey": out.subkeys}[found.component.kind]
        place = next(c for c in comps if c.value == found.component.value)
        place.signatures.append(sig)
    return out


def import_keys(
    store: Store,
    sources: Sequence[tuple[str, bytes]],
    *,
    only_known: bool = False,
    locked: bool = False,
) -> ImportReport:
    """Import certificates and revocations into a store, merging, validating, atomically.

    Steps:

    1. Parse every source (:func:`read_key_material`); an unparseable source is one rejected
       item, the others go on.
    2. Lock the store, then load it (so a concurrent importer's work is seen, not overwritten);
       files that cannot be read are reported and left alone.
    3. For each certificate: merge it with the stored copy, then keep only what verifies
       (:func:`clean_cert`, with every stored and incoming certificate as possible issuers). No
       valid self-signature: rejected; nothing new: unchanged.
    4. Then each revocation kept pending in the store, and each bare signature (a revocation
       certificate): attach it to the stored or imported certificate it verifies over
       (:func:`pgpsig.certs.revocations.resolve`); when it revokes nothing in the store yet, keep it
       pending (``<ISSUER>.rev``, status ``pending``); when it can never apply, reject it (a
       stored one is then removed).
    5. Write each changed certificate atomically, then the pending files (a revocation leaves its
       file only after the certificate holding it is written), then release the lock.

    Args:
        store: The store to import into.
        sources: ``(name, content)`` of each file.
        only_known: Ignore certificates the store does not hold (what refresh does).
        locked: The caller already holds the store's lock (``key update`` carrying a feed's
            content into the store while it replaces the feed); step 2 then takes none.

    Returns:
        One item per certificate or bare signature (and per unparseable source).

    Raises:
        KeyringError: The store cannot be locked, listed or written.
    """
    items: list[ImportItem] = []
    parsed: list[tuple[str, KeyMaterial]] = []
    # (1)
    for name, data in sources:
        try:
            parsed.append((name, read_key_material(data, source=name)))
        except (FormatError, LimitError) as e:
            items.append(rejected(name, (str(e),)))
    # (2)
    with contextlib.nullcontext(store) if locked else store.locked():
        ring = store.load(feeds=False)
        work: dict[str, Cert] = dict(ring.certs)
        index = _Index(work.values())
        for _name, material in parsed:
            for c in material.certs:
                if c.fingerprint not in index.by_fpr:
                    index.put(c)
        changed: dict[str, Cert] = {}
        # Certificates loaded from a file not named after them (copied in by a person).
        misplaced = {f for f in work if not store.cert_path(f).is_file()}

        def commit(name: str, before: Cert | None, cleaned: Cert, notes: list[str]) -> None:
            fpr = cleaned.fingerprint
            details = _describe_change(before, cleaned)
            if before is None:
                status = "new"
            elif _inventory(before) == _inventory(cleaned):
                status = "unchanged"
            else:
                status = "updated"
            relocate = fpr in misplaced
            if relocate:
                details.append(f"now stored as {store.cert_path(fpr).name}")
                misplaced.discard(fpr)
            if status != "unchanged" or relocate:
                work[fpr] = cleaned
                changed[fpr] = cleaned
                index.put(cleaned)
            items.append(
                ImportItem(
                    source=name,
                    fingerprint=fpr,
                    user_id=_first_user_id(cleaned),
                    status=status,
                    details=tuple(details + notes),
                )
            )

        # (3)
        for name, material in parsed:
            extra = (
                ("secret key material was not stored (only the public certificate)",)
                if material.had_secret
                else ()
            )
            for cert in material.certs:
                fpr = cert.fingerprint
                before = work.get(fpr)
                if before is None and only_known:
                    items.append(
                        ImportItem(
                            source=name,
                            fingerprint=fpr,
                            user_id=_first_user_id(cert),
                            status="ignored",
                            details=("not in the store",),
                        )
                    )
                    continue
                combined = _copy(before) if before is not None else Cert(primary=cert.primary)
                merge_cert(combined, cert)
                cleaned, notes = _clean(combined, index)
                if cleaned is None:
                    items.append(rejected(name, notes, fpr, _first_user_id(cert)))
                    continue
                commit(name, before, cleaned, [*notes, *extra])
        # (4) after every certificate, so that a revocation may come before its certificate:
        # first the revocations kept pending in the store, then the sources' bare signatures.
        stored = store.pending_revocations()
        keep: dict[Path, list[Signature]] = {path: [] for path in stored}
        loose: list[tuple[LooseRevocation, Path | None]] = [
            (rev, path) for path, revs in stored.items() for rev in revs
        ]
        loose += [
            (LooseRevocation(sig, name), None)
            for name, material in parsed
            for sig in material.signatures
        ]
        targets = Targets()  # what each certificate offers, worked out once for the batch
        for rev, path in loose:
            sig, name = rev.signature, rev.source
            if (
                sig.sig_type == SignatureType.DIRECT_KEY
            ):  # a bare direct-key self-signature, not a revocation
                target = _attach_direct_key(sig, index, work)
                if target is None:
                    items.append(rejected(name, (f"{_what(sig)}: {_NO_CERT}",)))
                    continue
            else:
                found = resolve(sig, work, targets, place="the store")
                if found.outcome is Outcome.PENDING:
                    if only_known and path is None:
                        items.append(_item(name, None, "ignored", f"{_what(sig)}: {found.reason}"))
                        continue
                    dest = path or store.pending_path(sig, stored)
                    keep.setdefault(dest, []).append(sig)
                    if path is None:
                        text = f"{_what(sig)}: {found.reason}; kept in {dest.name}"
                        items.append(
                            _item(name, None, "pending", f"{text}, applied when that is imported")
                        )
                    continue
                if found.outcome is Outcome.UNUSABLE:
                    gone = "; removed from the store" if path is not None else ""
                    items.append(rejected(name, (f"{_what(sig)}: {found.reason}{gone}",)))
                    continue
                assert found.cert is not None
                if found.outcome is Outcome.PRESENT:
                    fpr = found.cert.fingerprint
                    if path is not None:  # applied when the store was loaded: now written
                        changed[fpr] = work[fpr]
                        note = "a revocation kept pending in the store joined its certificate"
                        items.append(_item(name, work[fpr], "updated", note))
                    else:
                        commit(name, found.cert, found.cert, [])
                    continue
                target = _with_revocation(found, sig)
            before = work.get(target.fingerprint)
            cleaned, notes = _clean(target, index)
            if path is not None and (cleaned is None or not holds_anywhere(cleaned, sig)):
                # Attached but not kept by the cleaning (cannot happen: the same check decided
                # both): it stays in its file rather than be lost.
                keep.setdefault(path, []).append(sig)
                notes = [
                    *notes,
                    f"{_what(sig)}: not stored with its certificate; kept in {path.name}",
                ]
            if cleaned is None:  # cannot happen: the target was clean before
                items.append(rejected(name, notes, target.fingerprint))
                continue
            commit(name, before, cleaned, notes)
        # (5) certificates first: a revocation is removed from its .rev file once it is written.
        for cert in changed.values():
            store.write_cert(cert, comment=_first_user_id(cert))
        for dest, sigs in keep.items():
            old = [rev.signature for rev in stored.get(dest, [])]
            if dest not in stored or [s.raw for s in sigs] != [s.raw for s in old]:
                store.write_pending(dest, sigs)
        return ImportReport(items=tuple(items), problems=tuple(ring.problems))
