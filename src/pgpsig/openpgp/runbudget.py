"""The work one run may spend on certificates: the scope of a run, and what reading and checking cost.

This module owns what a *run* is for the bounds on reading and judging certificates, and two of
those bounds. A run is one command of the CLI (its ``run()`` and ``run_sop()``), or one call of
the library's entry points (one module of :func:`pgpsig.api.check_module`): :func:`run_scope`
sets, for its block, every per-run bound on certificates:

* the SHA-1 collision scans' (:func:`pgpsig.openpgp.sha1sig.scan_budget`);
* the packets of certificates read: at most :data:`MAX_CERT_PACKETS` (:func:`charge_packet`,
  which :func:`pgpsig.openpgp.cert.parse_certs` calls for each packet), for memory;
* the work of reading those packets and of the public-key checks of certificate signatures
  (:func:`charge_check`, which :func:`pgpsig.openpgp._crypto.verifies_over` calls once the cheap
  tests have passed: a signature whose digest prefix or algorithm does not match its key costs
  nothing): at most :data:`MAX_WORK` units of about a microsecond each, for time.

**Why.** A certificate may hold 20,000 packets, and anyone can fill it with forged signatures
naming its key: each needs a full public-key check before it can be told from a genuine one (a
revocation, an expiry, a newer binding: none may be skipped unchecked). A check costs 0.02 ms
(RSA-2048) to over 1 ms (brainpoolP512r1 1 ms, DSA-3072 0.8 ms, P-521 0.5 ms, Ed25519 0.14 ms),
and reading a signature packet about 14 us and 1.1 kB (its subpackets parsed and kept). Measured
before these bounds (2 cores, idle): ``key list`` of one flooded P-521 certificate (3.7 MB) took
10.6 s, of one brainpoolP512r1 certificate 20.6 s, of four flooded Ed25519 ones (9.8 MB) 12.4 s
and of forty (98 MB) 16 s and 1 GB; a keyring file may be 256 MiB.

**Past a bound** the packet is not read, or the check not made: :class:`~pgpsig.errors.BudgetError`
(:data:`PACKET_BUDGET_REASON`, :data:`WORK_BUDGET_REASON`). The keyring cannot be read, or the
certificate being judged cannot be judged, as for the scan budget and for the same reason:
neither counting a signature unchecked nor dropping it is safe. Real certificates cost a few
hundred units each (a few self-signatures); one flooded with 20,000 forged Ed25519 signatures 3.7
million, which is still judged.

Outside any :func:`run_scope` nothing is charged (each certificate is bounded by its 20,000
packets alone). The budgets are context variables: threads each have their own, and forked
workers inherit them (each worker then spends a copy of what was left). They are the only state
here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from pgpsig.errors import BudgetError
from pgpsig.openpgp._scoped import scoped
from pgpsig.openpgp.ids import RSA_ALGORITHMS
from pgpsig.openpgp.ids import PublicKeyAlgorithm as Alg
from pgpsig.openpgp.sha1sig import scan_budget

if TYPE_CHECKING:
    from pgpsig.openpgp.publickey import PublicKey

__all__ = [
    "MAX_CERT_PACKETS",
    "MAX_WORK",
    "PACKET_BUDGET_REASON",
    "PACKET_COST",
    "VISIT_COST",
    "WORK_BUDGET_REASON",
    "charge_check",
    "charge_packet",
    "charge_visits",
    "check_cost",
    "run_scope",
]

#: Units of work (about a microsecond each, see :func:`check_cost`) that reading certificates and
#: checking their signatures may spend in one run: about 4 s.
MAX_WORK = 4_000_000

#: Packets of certificates one run may read: about 1.4 s and 110 MB at most.
MAX_CERT_PACKETS = 100_000

#: The work of reading one packet of a certificate (a signature: about 14 us).
PACKET_COST = 15

#: The work of looking at one signature again in a loop of the judging of a certificate (its
#: creation time, whether it is alive, whether its user ID is revoked), beyond its one check:
#: about 5 us (:func:`charge_visits`).
VISIT_COST = 5

#: Why a packet past :data:`MAX_CERT_PACKETS` in one run is not read.
PACKET_BUDGET_REASON = (
    f"more than {MAX_CERT_PACKETS:,} packets of certificates in one run: the keyring cannot be "
    "read (split it)"
)

#: Why a packet or a check past :data:`MAX_WORK` is not read, or not made.
WORK_BUDGET_REASON = (
    "more certificate packets to read and signatures to check than one run may (about "
    f"{MAX_WORK // 1_000_000} s of work): the certificate cannot be judged"
)

#: Work of one check besides the public-key operation (hashing the trailer, the calls around it).
_OVERHEAD = 30

#: ECDSA curves: the cost of one check, as measured (``cryptography`` and OpenSSL 3, x86_64).
_CURVE_COST = {
    "P-256": 80,
    "P-384": 500,
    "P-521": 500,
    "brainpoolP256r1": 350,
    "brainpoolP384r1": 750,
    "brainpoolP512r1": 1000,
}

#: Bits of the usual RSA public exponent (65537), the one the RSA costs were measured with: a
#: longer exponent costs in proportion (a check is one exponentiation by it).
_RSA_E_BITS = 17

#: The cost of a check by a key of an algorithm (or on a curve) not listed: the most of any listed.
_UNKNOWN_COST = 1000


def check_cost(key: PublicKey) -> int:
    """The estimated work of one check of a signature by ``key``, in units of about 1 us.

    Measured on 2 cores (x86_64, OpenSSL 3 through ``cryptography``): RSA grows with the square
    of the modulus and with the length of the public exponent, from 0.024 ms at 2048 bits (e =
    65537, 17 bits) to 1.1 ms at 16,384; a 64-bit exponent costs about four times 65537's (RSA-4096
    0.28 ms), and the exponent is charged before any policy is asked: the keyring is read with
    none (a key revocation is checked where it sits), and OpenSSL takes an exponent as long as
    the modulus up to 3072 bits (RSA-3072 with a 3000-bit exponent: 5.9 ms a check, 140 times
    65537's). DSA likewise from 0.34 ms at 2048 bits (0.76 ms at 3072); ECDSA by curve
    (:data:`_CURVE_COST`); Ed25519 0.14 ms, Ed448 0.3 ms. The point is the ratio between
    algorithms, so that the budget bounds time whatever the keys.
    """
    bits = max(key.bits, 1024)
    if key.algorithm in RSA_ALGORITHMS:
        e = key.params[1] if len(key.params) == 2 else None
        e_bits = max(e.bit_length() if isinstance(e, int) else 0, _RSA_E_BITS)
        work = 25 * bits * bits * e_bits // (2048 * 2048 * _RSA_E_BITS)
    elif key.algorithm == Alg.DSA:
        work = 350 * bits * bits // (2048 * 2048)
    elif key.algorithm == Alg.ECDSA:
        work = _CURVE_COST.get(key.curve or "", _UNKNOWN_COST)
    elif key.algorithm == Alg.ED448 or (key.algorithm == Alg.EDDSA_LEGACY and key.curve == "Ed448"):
        work = 300
    elif key.algorithm in (Alg.EDDSA_LEGACY, Alg.ED25519):
        work = 140
    else:
        work = _UNKNOWN_COST
    return _OVERHEAD + work


class _Budget:
    """What the run may still spend: units of work, and packets of certificates to read."""

    __slots__ = ("packets", "work")

    def __init__(self, work: int, packets: int) -> None:
        self.work = work
        self.packets = packets


_budget: ContextVar[_Budget | None] = ContextVar("pgpsig_run_budget", default=None)


def _spend(budget: _Budget, cost: int) -> None:
    if cost > budget.work:
        raise BudgetError(WORK_BUDGET_REASON)
    budget.work -= cost


def charge_packet() -> None:
    """Charge reading one packet of a certificate to the run's budgets, if any.

    Raises:
        BudgetError: the run has read :data:`MAX_CERT_PACKETS` packets already
            (:data:`PACKET_BUDGET_REASON`), or has no work left for it (:data:`WORK_BUDGET_REASON`).
    """
    budget = _budget.get()
    if budget is None:
        return
    if budget.packets <= 0:
        raise BudgetError(PACKET_BUDGET_REASON)
    _spend(budget, PACKET_COST)
    budget.packets -= 1


def charge_check(key: PublicKey) -> None:
    """Charge one check of a certificate signature by ``key`` to the run's budget, if any.

    Raises:
        BudgetError: the check would pass what is left (:data:`WORK_BUDGET_REASON`); nothing is
            charged then.
    """
    budget = _budget.get()
    if budget is not None:
        _spend(budget, check_cost(key))


def charge_visits(count: int) -> None:
    """Charge looking at ``count`` signatures again (:data:`VISIT_COST` each) to the run's budget.

    For the judge's loops that are asked once per signature of another kind: the self-signatures
    in force at each certification's creation time, the certification revocations of each
    certification. Their checks are charged once (then cached), but the loops are not: 2,000
    genuine certifications by a key with 2,000 genuine self-signatures (0.7 million units of
    checks) made ``key list`` take 59 s.

    Raises:
        BudgetError: the visits would pass what is left (:data:`WORK_BUDGET_REASON`).
    """
    budget = _budget.get()
    if budget is not None and count > 0:
        _spend(budget, count * VISIT_COST)


@contextmanager
def run_scope(
    work: int = MAX_WORK, packets: int = MAX_CERT_PACKETS, *, fresh: bool = False
) -> Iterator[None]:
    """Within the block, one run: its reading and judging of certificates bounded.

    ``work`` is the budget of :func:`charge_packet` and :func:`charge_check`, ``packets`` that of
    packets read; the SHA-1 scans have theirs. One scope a run: a block inside another's keeps
    the outer budgets (a library call made by a command does not start afresh), unless
    ``fresh``: a run of its own within the command, with budgets of its own (``key refresh``
    imports each answer it fetched so, that a hostile server cannot spend the budget of the
    answer that carries a revocation).
    """
    if _budget.get() is not None and not fresh:
        yield
        return
    with scan_budget(fresh=True), scoped(_budget, _Budget(work, packets)):
        yield
