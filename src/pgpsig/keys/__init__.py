"""Key lifecycle: the use cases behind ``pgpsig key ...``, without gpg.

This package owns what a person does with keys, one module per job, each use case one function
with its steps numbered in its docstring and marked ``# (n)`` in the code:

* :mod:`~pgpsig.keys.generate`: make a key, v4 or v6 (:func:`generate_key`, ``--expires`` via
  :func:`parse_expiry`), protecting its secret key material with a passphrase; pgpsig's one key
  generator (``sop generate-key`` uses it too).
* :mod:`~pgpsig.keys.export`: publish its certificate (:func:`export_certificate`).
* :mod:`~pgpsig.keys.material`: read key files (:func:`read_key_material`) and keep only what
  verifies before anything is stored (:func:`clean_cert`).
* :mod:`~pgpsig.keys.importing`: import certificates and revocations into the store
  (:func:`import_keys`).
* :mod:`~pgpsig.keys.listing`: list them with their validity (:func:`list_keys`).
* :mod:`~pgpsig.keys.certifying`: certify a developer's key with a master key (:func:`certify`),
  revoke a key (:func:`revoke_key`) or a certification (:func:`revoke_certification`).
* :mod:`~pgpsig.keys.refreshing`: refresh stored certificates from a keyserver or a Web Key
  Directory (:func:`refresh`); the only module here that touches the network.
* :mod:`~pgpsig.keys.feeding`: a trust root's keyring feed, published (:func:`publish_feed`),
  verified (:func:`verify_feed`) and applied to a store (:func:`apply_feed`).
* :mod:`~pgpsig.keys.roots`: the store's trust roots (:func:`add_trust_root`,
  :func:`remove_trust_root`, :func:`list_trust_roots`).

The packet primitives are in :mod:`pgpsig.openpgp` (:mod:`~pgpsig.openpgp.write`,
:mod:`~pgpsig.openpgp.signing`, :mod:`~pgpsig.openpgp.secretkey`, :mod:`~pgpsig.openpgp.packets`), the
judgement of validity in :mod:`pgpsig.engine`, the files in :mod:`pgpsig.certs.store`. Nothing here reads the
clock or the environment (times, passphrases and the network clock are arguments) or prints.
``check`` and ``verify`` never import this package. Each module's docstring states the choices
it makes (also in the README, "Keys").
"""

from __future__ import annotations

from pgpsig.keys.certifying import (
    REVOCATION_REASONS,
    CertifyResult,
    RevocationResult,
    certify,
    revoke_certification,
    revoke_key,
)
from pgpsig.keys.export import ExportResult, export_certificate
from pgpsig.keys.generate import ALGORITHMS, GeneratedKey, generate_key, parse_expiry
from pgpsig.keys.importing import ImportItem, ImportReport, import_keys
from pgpsig.keys.listing import CertificationInfo, KeyInfo, SubkeyInfo, list_keys
from pgpsig.keys.material import KeyMaterial, clean_cert, read_key_material
from pgpsig.keys.refreshing import (
    Fetcher,
    HTTPFetcher,
    NetworkError,
    RefreshItem,
    RefreshReport,
    refresh,
    wkd_hash,
)
from pgpsig.keys.roots import TrustRootInfo, add_trust_root, list_trust_roots, remove_trust_root

__all__ = [
    "ALGORITHMS",
    "REVOCATION_REASONS",
    "CertificationInfo",
    "CertifyResult",
    "ExportResult",
    "Fetcher",
    "GeneratedKey",
    "HTTPFetcher",
    "ImportItem",
    "ImportReport",
    "KeyInfo",
    "KeyMaterial",
    "NetworkError",
    "RefreshItem",
    "RefreshReport",
    "RevocationResult",
    "SubkeyInfo",
    "TrustRootInfo",
    "add_trust_root",
    "certify",
    "clean_cert",
    "export_certificate",
    "generate_key",
    "import_keys",
    "list_keys",
    "list_trust_roots",
    "parse_expiry",
    "read_key_material",
    "refresh",
    "remove_trust_root",
    "revoke_certification",
    "revoke_key",
    "wkd_hash",
]
