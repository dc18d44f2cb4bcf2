"""pgpsig: sign and check software modules with OpenPGP, in pure Python, with no gpg binary."""

from __future__ import annotations

__version__ = "0.1.0"
