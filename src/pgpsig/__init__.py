"""pgpsig: sign and check software modules with OpenPGP, in pure Python, with no gpg binary.

Entry points (:mod:`pgpsig.api`, imported lazily, so ``import pgpsig`` stays cheap and never
imports typer):

* :func:`check_module` / :func:`check_modules` / :func:`iter_check_modules` (``pgpsig check``): a
  :class:`ModuleReport` with FreePBX status flags (:class:`Status`); 129 (GOOD|TRUSTED) is the only
  "ok".
* :func:`sign_module` / :func:`sign_modules` (``pgpsig sign``): write a FreePBX-compatible,
  clear-signed ``module.sig``.
* :func:`verify_clearsigned` / :func:`verify_detached` (``pgpsig verify``): a :class:`VerifyReport`
  (with the verified text).
* :class:`Keyring` / :func:`load_keyring`, :class:`TrustRoots` (``TrustRoots.resolve``),
  :class:`Policy` / :func:`policy_named`.

Paths are ``str`` or ``os.PathLike``; data is ``bytes``, a path or a binary file object; a keyring
or trust roots may be given as the files they come from; ``policy`` defaults to ``"default"`` and
``now`` to the current time. Every error is a :class:`PgpsigError` (:class:`InputError`,
:class:`FormatError`, :class:`VerificationError`); reports refuse to be used as booleans (ask
``.ok``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "check_module": "pgpsig.api",
    "check_modules": "pgpsig.api",
    "iter_check_modules": "pgpsig.api",
    "CheckOptions": "pgpsig.modules.check",
    "sign_module": "pgpsig.api",
    "sign_modules": "pgpsig.api",
    "verify_clearsigned": "pgpsig.api",
    "verify_detached": "pgpsig.api",
    "Keyring": "pgpsig.certs.keyring",
    "load_keyring": "pgpsig.api",
    "TrustRoots": "pgpsig.engine.trust",
    "Policy": "pgpsig.policy",
    "policy_named": "pgpsig.policy",
    "ModuleReport": "pgpsig.report",
    "VerifyReport": "pgpsig.report",
    "Status": "pgpsig.report",
    "SigStatus": "pgpsig.report",
    "PgpsigError": "pgpsig.errors",
    "InputError": "pgpsig.errors",
    "FormatError": "pgpsig.errors",
    "VerificationError": "pgpsig.errors",
    "SignResult": "pgpsig.modules.sign",
    "load_signing_keys": "pgpsig.api",
}

__all__ = [
    "CheckOptions",
    "FormatError",
    "InputError",
    "Keyring",
    "ModuleReport",
    "PgpsigError",
    "Policy",
    "SigStatus",
    "SignResult",
    "Status",
    "TrustRoots",
    "VerificationError",
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
    from pgpsig.api import (
        check_module,
        check_modules,
        iter_check_modules,
        load_keyring,
        load_signing_keys,
        sign_module,
        sign_modules,
        verify_clearsigned,
        verify_detached,
    )
    from pgpsig.certs.keyring import Keyring
    from pgpsig.engine.trust import TrustRoots
    from pgpsig.errors import FormatError, InputError, PgpsigError, VerificationError
    from pgpsig.modules.check import CheckOptions
    from pgpsig.modules.sign import SignResult
    from pgpsig.policy import Policy, policy_named
    from pgpsig.report import ModuleReport, SigStatus, Status, VerifyReport


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pgpsig' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
