"""pgpsig: sign and check software modules with OpenPGP, in pure Python, with no gpg binary.

Entry points (imported lazily, so ``import pgpsig`` stays cheap and never imports typer):

* :func:`check_module` / :func:`check_modules` (``pgpsig check``): a :class:`ModuleReport` with
  FreePBX status flags (:class:`Status`); 129 (GOOD|TRUSTED) is the only "ok".
* :func:`sign_module` / :func:`sign_modules` (``pgpsig sign``): write a FreePBX-compatible,
  clear-signed ``module.sig``.
* :func:`verify_clearsigned` / :func:`verify_detached` (``pgpsig verify``): a :class:`VerifyReport`.
* :class:`Keyring` / :func:`load_keyring`, :class:`TrustRoots`, :class:`Policy` /
  :func:`policy_named`.

Every error is a :class:`PgpsigError`; reports refuse to be used as booleans (ask ``.ok``).
Time is always an argument (``now=``): nothing in the library reads the clock.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "check_module": "pgpsig.modules.check",
    "check_modules": "pgpsig.modules.check",
    "iter_check_modules": "pgpsig.modules.check",
    "CheckOptions": "pgpsig.modules.check",
    "sign_module": "pgpsig.modules.sign",
    "sign_modules": "pgpsig.modules.sign",
    "verify_clearsigned": "pgpsig.verify",
    "verify_detached": "pgpsig.verify",
    "Keyring": "pgpsig.certs.keyring",
    "load_keyring": "pgpsig.certs.keyring",
    "TrustRoots": "pgpsig.engine.trust",
    "Policy": "pgpsig.policy",
    "policy_named": "pgpsig.policy",
    "ModuleReport": "pgpsig.report",
    "VerifyReport": "pgpsig.report",
    "Status": "pgpsig.report",
    "SigStatus": "pgpsig.report",
    "PgpsigError": "pgpsig.errors",
    "load_signing_keys": "pgpsig.openpgp.secretkey",
}

__all__ = [
    "CheckOptions",
    "Keyring",
    "ModuleReport",
    "PgpsigError",
    "Policy",
    "SigStatus",
    "Status",
    "TrustRoots",
    "VerifyReport",
    "__version__",
    "check_module",
    "check_modules",
    "iter_check_modules",
    "load_keyring",
    "load_signing_keys",
    "policy_named",
    "sign_module",
    "sign_modules",
    "verify_clearsigned",
    "verify_detached",
]

if TYPE_CHECKING:
    from pgpsig.certs.keyring import Keyring, load_keyring
    from pgpsig.engine.trust import TrustRoots
    from pgpsig.errors import PgpsigError
    from pgpsig.modules.check import (
        CheckOptions,
        check_module,
        check_modules,
        iter_check_modules,
    )
    from pgpsig.modules.sign import sign_module, sign_modules
    from pgpsig.openpgp.secretkey import load_signing_keys
    from pgpsig.policy import Policy, policy_named
    from pgpsig.report import ModuleReport, SigStatus, Status, VerifyReport
    from pgpsig.verify import verify_clearsigned, verify_detached


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pgpsig' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
