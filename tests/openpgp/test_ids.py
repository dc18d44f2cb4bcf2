"""One vocabulary of OpenPGP numbers: :mod:`pgpsig.openpgp.ids` agrees with RFC 9580, and no other
module restates a table of them.

The second half reads the source (AST): a dict, set, frozenset, list, tuple or ``range`` of hash
algorithm ids or signature types written as numbers anywhere but in ``openpgp/ids.py``, or a
signature type, hash or public-key algorithm, subpacket type, packet tag or key flags compared
with a bare number, is the restated table issue #13 removed. Every module
but ``openpgp/ids.py`` is read.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgpsig.openpgp import clearsign, ids, packets

SRC = Path(__file__).resolve().parents[2] / "src" / "pgpsig"

#: Modules not yet moved to the enums (their rewrite was under way in parallel). Empty it.
# -- RFC 9580 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "number"),
    [
        # 9.5 hash algorithms
        (ids.HashAlgorithm.MD5, 1),
        (ids.HashAlgorithm.SHA1, 2),
        (ids.HashAlgorithm.RIPEMD160, 3),
        (ids.HashAlgorithm.SHA256, 8),
        (ids.HashAlgorithm.SHA384, 9),
        (ids.HashAlgorithm.SHA512, 10),
        (ids.HashAlgorithm.SHA224, 11),
        (ids.HashAlgorithm.SHA3_256, 12),
        (ids.HashAlgorithm.SHA3_512, 14),
        # 9.1 public-key algorithms
        (ids.PublicKeyAlgorithm.RSA, 1),
        (ids.PublicKeyAlgorithm.RSA_SIGN_ONLY, 3),
        (ids.PublicKeyAlgorithm.ELGAMAL, 16),
        (ids.PublicKeyAlgorithm.DSA, 17),
        (ids.PublicKeyAlgorithm.ECDH, 18),
        (ids.PublicKeyAlgorithm.ECDSA, 19),
        (ids.PublicKeyAlgorithm.EDDSA_LEGACY, 22),
        (ids.PublicKeyAlgorithm.X25519, 25),
        (ids.PublicKeyAlgorithm.X448, 26),
        (ids.PublicKeyAlgorithm.ED25519, 27),
        (ids.PublicKeyAlgorithm.ED448, 28),
        # 5.2.1 signature types
        (ids.SignatureType.BINARY, 0x00),
        (ids.SignatureType.TEXT, 0x01),
        (ids.SignatureType.GENERIC_CERTIFICATION, 0x10),
        (ids.SignatureType.POSITIVE_CERTIFICATION, 0x13),
        (ids.SignatureType.SUBKEY_BINDING, 0x18),
        (ids.SignatureType.PRIMARY_KEY_BINDING, 0x19),
        (ids.SignatureType.DIRECT_KEY, 0x1F),
        (ids.SignatureType.KEY_REVOCATION, 0x20),
        (ids.SignatureType.SUBKEY_REVOCATION, 0x28),
        (ids.SignatureType.CERTIFICATION_REVOCATION, 0x30),
        (ids.SignatureType.TIMESTAMP, 0x40),
        (ids.SignatureType.THIRD_PARTY_CONFIRMATION, 0x50),
        # 5.2.3.7 subpacket types
        (ids.SubpacketType.SIGNATURE_CREATION_TIME, 2),
        (ids.SubpacketType.SIGNATURE_EXPIRATION_TIME, 3),
        (ids.SubpacketType.TRUST_SIGNATURE, 5),
        (ids.SubpacketType.REGULAR_EXPRESSION, 6),
        (ids.SubpacketType.KEY_EXPIRATION_TIME, 9),
        (ids.SubpacketType.REVOCATION_KEY, 12),
        (ids.SubpacketType.ISSUER_KEY_ID, 16),
        (ids.SubpacketType.NOTATION_DATA, 20),
        (ids.SubpacketType.PRIMARY_USER_ID, 25),
        (ids.SubpacketType.KEY_FLAGS, 27),
        (ids.SubpacketType.REASON_FOR_REVOCATION, 29),
        (ids.SubpacketType.FEATURES, 30),
        (ids.SubpacketType.EMBEDDED_SIGNATURE, 32),
        (ids.SubpacketType.ISSUER_FINGERPRINT, 33),
        # 5.2.3.29 key flags, 5.2.3.31 reasons for revocation
        (ids.KeyFlag.CERTIFY, 0x01),
        (ids.KeyFlag.SIGN, 0x02),
        (ids.KeyFlag.ENCRYPT_COMMUNICATIONS, 0x04),
        (ids.KeyFlag.ENCRYPT_STORAGE, 0x08),
        (ids.KeyFlag.AUTHENTICATE, 0x20),
        (ids.RevocationReason.NO_REASON, 0),
        (ids.RevocationReason.SUPERSEDED, 1),
        (ids.RevocationReason.COMPROMISED, 2),
        (ids.RevocationReason.RETIRED, 3),
        (ids.RevocationReason.USER_ID_INVALID, 32),
        # 5 packet tags
        (ids.Tag.SIGNATURE, 2),
        (ids.Tag.ONE_PASS, 4),
        (ids.Tag.SECRET_KEY, 5),
        (ids.Tag.PUBLIC_KEY, 6),
        (ids.Tag.SECRET_SUBKEY, 7),
        (ids.Tag.LITERAL, 11),
        (ids.Tag.USER_ID, 13),
        (ids.Tag.PUBLIC_SUBKEY, 14),
        (ids.Tag.SEIPD, 18),
        (ids.Tag.PADDING, 21),
    ],
)
def test_rfc9580_numbers(member: int, number: int) -> None:
    assert member == number
    assert int(member) == number


def test_groups() -> None:
    assert set(ids.CERTIFICATION_TYPES) == {0x10, 0x11, 0x12, 0x13}
    assert set(ids.REVOCATION_TYPES) == {0x20, 0x28, 0x30}
    assert set(ids.PRIMARY_KEY_TYPES) == {0x1F, 0x20}
    assert set(ids.RSA_ALGORITHMS) == {1, 2, 3}
    assert set(ids.ELGAMAL_ALGORITHMS) == {16, 20}
    # Section 9.5, "V6 signature salt size".
    assert dict(ids.V6_SALT_SIZES) == {8: 16, 9: 24, 10: 32, 11: 16, 12: 16, 14: 32}
    # Every subpacket type pgpsig names is understood, except regular expressions (fail closed).
    assert set(ids.KNOWN_SUBPACKETS) == set(ids.SubpacketType) - {6}
    assert set(ids.SOFT_REVOCATION_REASONS) == {1, 3, 32}
    assert set(ids.HARD_REVOCATION_REASONS) == {0, 2}


def test_printed_names() -> None:
    """The names pgpsig prints (JSON ``hash_algorithm``, ``algorithm``, ``Hash:`` headers)."""
    assert dict(ids.HASH_NAMES) == {
        1: "MD5",
        2: "SHA1",
        3: "RIPEMD160",
        8: "SHA256",
        9: "SHA384",
        10: "SHA512",
        11: "SHA224",
        12: "SHA3-256",
        14: "SHA3-512",
    }
    assert dict(ids.ALGORITHM_NAMES) == {
        1: "RSA",
        2: "RSA",
        3: "RSA",
        16: "ElGamal",
        17: "DSA",
        18: "ECDH",
        19: "ECDSA",
        20: "ElGamal",
        22: "EdDSA",
        25: "X25519",
        26: "X448",
        27: "Ed25519",
        28: "Ed448",
    }
    assert dict(clearsign.HASH_ALGORITHMS) == {v: k for k, v in ids.HASH_NAMES.items()}
    assert ids.SignatureType.KEY_REVOCATION.description == "key revocation"
    assert ids.SignatureType.CERTIFICATION_REVOCATION.description == "certification revocation"
    # The names importers of ``packets`` used are the same objects.
    assert packets.HASH_NAMES is ids.HASH_NAMES
    assert packets.ALGORITHM_NAMES is ids.ALGORITHM_NAMES
    assert packets.KNOWN_SUBPACKETS is ids.KNOWN_SUBPACKETS


# -- No restated tables ---------------------------------------------------------------------------

_HASH_IDS = frozenset(int(h) for h in ids.HashAlgorithm)
_SHA2 = frozenset(range(8, 12))
_SIGNATURE_TYPES = frozenset(int(t) for t in ids.SignatureType)
_KEY_SIGNATURES = frozenset(t for t in _SIGNATURE_TYPES if 0x10 <= t <= 0x30)
#: Fields that hold an OpenPGP identifier: comparing one with a bare number restates the number.
_ID_FIELDS = frozenset(
    {"sig_type", "hash_algorithm", "pubkey_algorithm", "algorithm", "type", "tag", "key_flags"}
)


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel == "openpgp/ids.py":
            continue
        yield rel, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _int(node: ast.AST | None) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _numbers(node: ast.AST) -> list[int] | None:
    """The numbers of a collection literal written only with int constants, else None."""
    elts: list[ast.expr | None]
    if isinstance(node, ast.Dict):
        elts = list(node.keys)
    elif isinstance(node, (ast.Set, ast.List, ast.Tuple)):
        elts = list(node.elts)
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "range"
        and len(node.args) == 2
    ):
        lo, hi = _int(node.args[0]), _int(node.args[1])
        return None if lo is None or hi is None else list(range(lo, hi))
    else:
        return None
    values = [_int(e) for e in elts]
    if len(values) < 2 or any(v is None for v in values):
        return None
    return [v for v in values if v is not None]


def _tables(tree: ast.Module) -> Iterator[tuple[int, str]]:
    # A collection tested against something that is no identifier field (``len(fpr) in (40, 64)``)
    # holds other numbers; one tested against an identifier field is :func:`_comparisons`' case.
    other = {
        id(c)
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        for c in node.comparators
        if not any(_is_id_field(o) for o in (node.left, *node.comparators))
    }
    for node in ast.walk(tree):
        if id(node) in other:
            continue
        numbers = _numbers(node)
        if numbers is None:
            continue
        found = set(numbers)
        if found <= _HASH_IDS and found & _SHA2:
            yield getattr(node, "lineno", 0), f"hash algorithm ids {sorted(found)}"
        elif found <= _SIGNATURE_TYPES and found & _KEY_SIGNATURES:
            yield getattr(node, "lineno", 0), f"signature types {[hex(n) for n in sorted(found)]}"


def _is_id_field(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in _ID_FIELDS


def _bare_numbers(node: ast.AST) -> bool:
    return _int(node) is not None or _numbers(node) is not None


def _comparisons(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        field = next((o for o in operands if _is_id_field(o)), None)
        if field is not None and any(_bare_numbers(o) for o in operands):
            assert isinstance(field, ast.Attribute)
            yield node.lineno, f"'{field.attr}' compared with a bare number"


def test_the_detectors_catch_the_old_tables() -> None:
    """The checks below would have caught what issue #13 removed (sampled from the old code)."""
    old = ast.parse(
        "_HASHES = {1: MD5, 2: SHA1, 8: SHA256, 9: SHA384, 10: SHA512}\n"
        "_V6_SALT = {8: 16, 9: 24, 10: 32, 11: 16, 12: 16, 14: 32}\n"
        "_FOREIGN_REVOCATIONS = frozenset({0x20, 0x28, 0x30})\n"
        "_CERTIFICATIONS = range(0x10, 0x14)\n"
        "for _h in (8, 9, 10, 11, 12, 14): pass\n"
        "if sig.sig_type == 0x20: pass\n"
        "if 0x10 <= s.sig_type <= 0x13: pass\n"
        "if key.algorithm in (1, 2, 3): pass\n"
    )
    assert sorted(line for line, _ in _tables(old)) == [1, 2, 3, 4, 5]
    assert sorted(line for line, _ in _comparisons(old)) == [6, 7, 8]
    fine = ast.parse(
        "x = (0, 0xFF)\nif len(body) in (40, 64): pass\nif sig.version == 4: pass\n"
        "if sig.sig_type in CERTIFICATION_TYPES: pass\n"
    )
    assert not list(_tables(fine))
    assert not list(_comparisons(fine))


def test_no_module_restates_openpgp_numbers() -> None:
    found = [
        f"{rel}:{line}: {what}"
        for rel, tree in _sources()
        for line, what in sorted((*_tables(tree), *_comparisons(tree)))
    ]
    assert not found, "use pgpsig.openpgp.ids instead:\n" + "\n".join(found)
