"""DSA's ``cryptography`` classes, without the deprecation warning cryptography 51 attaches to them.

cryptography 51 deprecated DSA: reading ``dsa.DSAPrivateKey`` (or any other public name of its
``dsa`` module) now emits a ``CryptographyDeprecationWarning``, which Python prints on stderr. DSA
keys and signatures are still OpenPGP (RFC 9580 section 5.5.5.2) and still verify, so pgpsig keeps
them, and takes the names here, once, with that one warning silenced: every other
module imports DSA's classes from this one, never from cryptography's ``dsa`` module.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

__all__ = ["DSAParameterNumbers", "DSAPrivateKey", "DSAPublicKey", "DSAPublicNumbers", "quiet"]

#: The start of the message of cryptography's DSA deprecation warning.
_MESSAGE = "DSA is deprecated"

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.dsa import (
        DSAParameterNumbers,
        DSAPrivateKey,
        DSAPublicKey,
        DSAPublicNumbers,
    )
else:
    from cryptography.hazmat.primitives.asymmetric import dsa as _dsa

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_MESSAGE)
        DSAParameterNumbers = _dsa.DSAParameterNumbers
        DSAPrivateKey = _dsa.DSAPrivateKey
        DSAPublicKey = _dsa.DSAPublicKey
        DSAPublicNumbers = _dsa.DSAPublicNumbers


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Run code that may load a DSA key (``load_der_private_key``) without that one warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_MESSAGE)
        yield
