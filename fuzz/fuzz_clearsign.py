"""Fuzz target: the cleartext signature framework and ``verify_clearsigned``.

Properties:

* decoding raises only ``PgpsigError``, and streaming it in small chunks gives exactly what
  decoding it whole gives (same frames, same canonical text, or an error both ways);
* verifying it against the vectors' keyring (Alice, Bob, Rob) raises only ``PgpsigError``;
* a verdict of "ok" is only possible for a text that really was signed: every block's canonical
  text must be one that a seed vector signs (the fuzzer cannot forge Ed25519 or RSA, so any other
  "ok" is a false good).
"""

from __future__ import annotations

import io
import sys

from _harness import AT, VECTORS, run, seeds

if __name__ == "__main__":
    import atheris

    with atheris.instrument_imports(include=["pgpsig"]):
        from pgpsig.certs.keyring import load_keyring
        from pgpsig.errors import PgpsigError
        from pgpsig.openpgp import clearsign
        from pgpsig.policy import policy_named
        from pgpsig.verify import verify_clearsigned
else:
    from pgpsig.certs.keyring import load_keyring
    from pgpsig.errors import PgpsigError
    from pgpsig.openpgp import clearsign
    from pgpsig.policy import policy_named
    from pgpsig.verify import verify_clearsigned

SEEDS = ["clearsign/*.asc", "attacks/**/*.asc", "attacks/**/module.sig"]
KEYRING = load_keyring([VECTORS / "keys" / n for n in ("alice.asc", "bob.pgp", "rob-rsa2048.pgp")])
POLICIES = (policy_named("default"), policy_named("freepbx-legacy"))


def _verify(data: bytes, policy_index: int) -> tuple[bool, dict[int, bytes]]:
    texts: dict[int, list[bytes]] = {}

    def out(block: int, chunk: bytes) -> None:
        texts.setdefault(block, []).append(chunk)

    report = verify_clearsigned(data, KEYRING, policy=POLICIES[policy_index], now=AT, output=out)
    return report.ok, {b: b"".join(parts) for b, parts in texts.items()}


def _signed_texts() -> frozenset[bytes]:
    """Canonical texts of the seed blocks that verify: the only texts an "ok" may cover."""
    known: set[bytes] = set()
    for data in seeds(SEEDS):
        for policy in range(len(POLICIES)):
            try:
                ok, texts = _verify(data, policy)
            except PgpsigError:
                continue
            if ok:
                known.update(texts.values())
    return frozenset(known)


SIGNED = _signed_texts()


def _decode(data: bytes, chunk: int) -> object:
    sinks: list[list[bytes]] = []

    def start(_hashes: tuple[str, ...]) -> clearsign.BlockSink:
        parts: list[bytes] = []
        sinks.append(parts)

        class Sink:
            def update(self, canonical: bytes, /) -> None:
                parts.append(canonical)

        return Sink()

    try:
        infos = clearsign.decode_stream(io.BytesIO(data), start, chunk_size=chunk)
    except PgpsigError as e:
        return type(e)
    return infos, [b"".join(p) for p in sinks]


def test_one_input(data: bytes) -> None:
    """Decode whole and streamed, compare, then verify and apply the false-good oracle."""
    whole = _decode(data, 1 << 20)
    small = 1 + len(data) % 7 if len(data) < 4096 else 61
    assert _decode(data, small) == whole, "streamed decoding differs from whole decoding"
    try:
        ok, texts = _verify(data, len(data) % 2)
    except PgpsigError:
        return
    if ok:
        unknown = [t for t in texts.values() if t not in SIGNED]
        assert not unknown, f"verified OK over text no seed signs: {unknown[0][:200]!r}"


if __name__ == "__main__":
    run(test_one_input, SEEDS)
    sys.exit(0)
