"""Fuzz target: packet framing and signature parsing, and ``verify_detached``.

Properties:

* ``iter_packets``, ``parse_signatures``, ``parse_certs`` and ``read_signature_file`` raise only
  ``PgpsigError``, and every derived value of a parsed signature (times, flags, notations,
  issuers, embedded signatures, the hashing trailer) can be computed without raising anything;
* verifying the input as a detached signature over the vectors' message, against their keyring,
  raises only ``PgpsigError``;
* a good verdict needs a signature whose authenticated part (type, algorithms, hashed area) is one
  a seed vector made: the fuzzer cannot forge a signature, so any other "good" is a false good.
"""

from __future__ import annotations

import sys

from _harness import AT, VECTORS, run, seeds

if __name__ == "__main__":
    import atheris

    with atheris.instrument_imports(include=["pgpsig"]):
        from pgpsig.certs.keyring import load_keyring
        from pgpsig.errors import PgpsigError
        from pgpsig.openpgp.packets import Signature, iter_packets, parse_certs, parse_signatures
        from pgpsig.policy import policy_named
        from pgpsig.verify import read_signature_file, verify_detached
else:
    from pgpsig.certs.keyring import load_keyring
    from pgpsig.errors import PgpsigError
    from pgpsig.openpgp.packets import Signature, iter_packets, parse_certs, parse_signatures
    from pgpsig.policy import policy_named
    from pgpsig.verify import read_signature_file, verify_detached

SEEDS = ["sig/*.sig", "sig/*.sig.asc", "timeline/*.sig", "packets/*.sig", "attacks/verify/*.sig"]
MESSAGE = (VECTORS / "data" / "message.txt").read_bytes()
KEYRING = load_keyring(
    [VECTORS / "keys" / n for n in ("alice.pgp", "bob.pgp", "rob-rsa2048.pgp", "erin-p256.pgp")]
)
POLICY = policy_named("default")


def _authenticated(sig: Signature) -> tuple[int, int, int, int, int, bytes]:
    return (
        sig.version,
        sig.sig_type,
        sig.pubkey_algorithm,
        sig.hash_algorithm,
        len(sig.hashed_area),
        sig.hashed_area,
    )


def _touch(sig: Signature) -> None:
    """Compute every derived value; none may raise."""
    _ = (sig.hash_name, sig.created, sig.created_count, sig.expires_after, sig.key_expires_after)
    _ = (sig.key_flags, sig.exportable, sig.revocation_reason, sig.trust, sig.revocation_keys)
    _ = (sig.notations, sig.issuer_fingerprints, sig.issuer_key_ids, sig.issuer_hint)
    _ = sig.critical_unknown()
    for emb in sig.embedded_signatures:
        _touch(emb)
    try:
        sig.trailer()
        sig.new_hash()
    except PgpsigError:
        pass


def _good_seeds() -> frozenset[tuple[int, int, int, int, int, bytes]]:
    known = set()
    for data in seeds(SEEDS):
        try:
            sigs = read_signature_file(data)
            report = verify_detached(MESSAGE, data, KEYRING, policy=POLICY, now=AT)
        except PgpsigError:
            continue
        for sig, result in zip(sigs, report.signatures, strict=True):
            if result.good:
                known.add(_authenticated(sig))
    return frozenset(known)


GOOD = _good_seeds()


def test_one_input(data: bytes) -> None:
    """Parse the input every way, then verify it as a detached signature."""
    try:
        for _ in iter_packets(data):
            pass
    except PgpsigError:
        pass
    try:
        for sig in parse_signatures(data):
            _touch(sig)
    except PgpsigError:
        pass
    try:
        for cert in parse_certs(data):
            for sig in cert.direct:
                _touch(sig)
    except PgpsigError:
        pass
    try:
        sigs = read_signature_file(data)
        report = verify_detached(MESSAGE, data, KEYRING, policy=POLICY, now=AT)
    except PgpsigError:
        return
    for sig, result in zip(sigs, report.signatures, strict=True):
        if result.good:
            assert _authenticated(sig) in GOOD, "a signature no seed made verified as good"


if __name__ == "__main__":
    run(test_one_input, SEEDS)
    sys.exit(0)
