"""Where a secret key's passphrase comes from: a file, a variable, or the terminal when neither."""

from __future__ import annotations

import getpass
import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pgpsig.cli import inputs
from pgpsig.openpgp.secretkey import PassphraseError


def _key(want: bytes) -> Callable[[bytes | None], bytes]:
    """A stand-in for loading a protected key: what it was unlocked with, or PassphraseError."""

    def use(secret: bytes | None) -> bytes:
        if secret is None:
            raise PassphraseError("key K is protected; a passphrase is needed")
        if secret != want:
            raise PassphraseError("key K: wrong passphrase")
        return secret

    return use


class _Stdin(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__("")
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_file_then_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pw").write_bytes(b"from-file\r\nsecond line")
    monkeypatch.setenv("PW", "from-env")
    assert inputs.unlocked(_key(b"from-file"), tmp_path / "pw", "PW") == b"from-file"
    assert inputs.unlocked(_key(b"from-env"), None, "PW") == b"from-env"


def test_asked_on_a_terminal_when_none_was_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PW", raising=False)
    monkeypatch.setattr(sys, "stdin", _Stdin(tty=True))
    asked: list[str] = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt: asked.append(prompt) or "typed")
    assert inputs.unlocked(_key(b"typed"), None, "PW") == b"typed"
    assert asked == ["pgpsig: passphrase of the secret key: "]


def test_never_asked_for_an_unprotected_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PW", raising=False)
    monkeypatch.setattr(sys, "stdin", _Stdin(tty=True))
    monkeypatch.setattr(getpass, "getpass", lambda _prompt: pytest.fail("asked"))
    assert inputs.unlocked(lambda secret: secret, None, "PW") is None


def test_without_a_terminal_the_error_says_how_to_give_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PW", raising=False)
    monkeypatch.setattr(sys, "stdin", _Stdin(tty=False))
    with pytest.raises(PassphraseError) as e:
        inputs.unlocked(_key(b"x"), None, "PW")
    assert "--passphrase-file FILE" in str(e.value)
    assert "environment variable PW (not set" in str(e.value)


def test_a_wrong_passphrase_is_not_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PW", "wrong")
    monkeypatch.setattr(sys, "stdin", _Stdin(tty=True))
    monkeypatch.setattr(getpass, "getpass", lambda _prompt: pytest.fail("asked"))
    with pytest.raises(PassphraseError, match="wrong passphrase"):
        inputs.unlocked(_key(b"right"), None, "PW")
