"""Fuzz target: certificate parsing, validity and trust (``pgpsig.engine``, ``pgpsig.engine.trust``).

The input is a certificate file (binary or armored, one or many certificates). Properties:

* reading it and judging every key in it (can it sign at several times, can it certify, its
  revocations, is it trusted with Bob as the root) raises only ``PgpsigError``;
* verifying a fixed set of the vectors' detached signatures against it (plus Bob's certificate,
  Bob being a designated revoker in some seeds) raises only ``PgpsigError``, and a good verdict
  names a key whose packet is one of the seed keys' (no fuzzed key can make a seed's signature).
"""

from __future__ import annotations

import contextlib
import sys
from datetime import timedelta

from _harness import AT, VECTORS, run, seeds

if __name__ == "__main__":
    import atheris

    with atheris.instrument_imports(include=["pgpsig"]):
        from pgpsig.certs.keyring import Keyring, read_certs
        from pgpsig.engine.judge import Judge
        from pgpsig.engine.trust import TrustRoots, decide_trust
        from pgpsig.errors import PgpsigError
        from pgpsig.policy import policy_named
        from pgpsig.verify import verify_detached
else:
    from pgpsig.certs.keyring import Keyring, read_certs
    from pgpsig.engine.judge import Judge
    from pgpsig.engine.trust import TrustRoots, decide_trust
    from pgpsig.errors import PgpsigError
    from pgpsig.policy import policy_named
    from pgpsig.verify import verify_detached

SEEDS = ["keys/*", "sig/*.cert.pgp", "timeline/*.cert.pgp", "attacks/**/*.cert.pgp"]
MESSAGE = (VECTORS / "data" / "message.txt").read_bytes()
SIGNATURES = [
    (VECTORS / "sig" / name).read_bytes()
    for name in (
        "good-binary.sig",
        "good-signing-subkey.sig",
        "good-rsa2048.sig",
        "good-ecdsa-p256.sig",
        "subkey-grafted.sig",
    )
]
BOB = read_certs((VECTORS / "keys" / "bob.pgp").read_bytes())
POLICY = policy_named("default")
TIMES = (AT - timedelta(days=365), AT, AT + timedelta(days=3650))


def _seed_keys() -> frozenset[bytes]:
    bodies: set[bytes] = set()
    for data in seeds(SEEDS):
        try:
            certs = read_certs(data)
        except PgpsigError:
            continue
        for cert in certs:
            bodies.update(key.body for key, _ in cert.all_keys())
    return frozenset(bodies)


SEED_KEYS = _seed_keys()


def test_one_input(data: bytes) -> None:
    """Judge every key of the input, then verify the fixed signatures against it."""
    try:
        certs = read_certs(data)
    except PgpsigError:
        return
    ring = Keyring()
    ring.add_all([*certs, *BOB])
    roots = TrustRoots(frozenset({BOB[0].fingerprint}))
    judge = Judge(POLICY, AT, ring)
    for cert in list(ring):
        v = judge.view(cert)
        for key, _ in cert.all_keys():
            for t in TIMES:
                with contextlib.suppress(PgpsigError):
                    v.check_signing_key(key, t)
            with contextlib.suppress(PgpsigError):
                v.revocations(None if key is cert.primary else key)
        with contextlib.suppress(PgpsigError):
            v.can_certify(AT)
        decide_trust(cert, roots=roots, judge=judge)
    for sig in SIGNATURES:
        report = verify_detached(MESSAGE, sig, ring, policy=POLICY, now=AT)
        for result in report.signatures:
            if result.good:
                assert result.signer is not None
                keys = ring.candidates([result.signer], [])
                assert keys and all(k.body in SEED_KEYS for _, k in keys), "unknown key good"


if __name__ == "__main__":
    run(test_one_input, SEEDS)
    sys.exit(0)
