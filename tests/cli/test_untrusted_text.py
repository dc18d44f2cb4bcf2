"""Text others wrote (a user ID, a revocation message) as pgpsig prints it: escaped, quoted, bounded.

:func:`pgpsig.errors.printable` (and :func:`pgpsig.cli.output.safe`, which is it) leaves nothing a
terminal acts on: no control character, no line break of any kind, no bidirectional override or
isolate, no zero-width or other format character. :func:`pgpsig.errors.quoted` puts such text in a
message between double quotes that cannot be closed from inside, and keeps at most
:data:`~pgpsig.errors.QUOTE_LIMIT` characters of it.
"""

from __future__ import annotations

import unicodedata

import pytest

from pgpsig.cli.output import safe
from pgpsig.errors import QUOTE_LIMIT, printable, quoted

#: Characters that must never reach a terminal as they are, with how each is written instead.
HOSTILE = {
    "\x00": "\\x00",
    "\x07": "\\x07",
    "\b": "\\x08",
    "\t": "\\t",
    "\n": "\\n",
    "\r": "\\r",
    "\x1b": "\\x1b",
    "\x7f": "\\x7f",
    "\x85": "\\x85",  # NEL
    "\x9b": "\\x9b",  # CSI, the one-byte escape sequence introducer
    "\u061c": "\\u061c",  # Arabic letter mark
    "\u200b": "\\u200b",  # zero width space
    "\u200e": "\\u200e",  # left-to-right mark
    "\u2028": "\\u2028",  # line separator
    "\u2029": "\\u2029",  # paragraph separator
    "\u202a": "\\u202a",  # left-to-right embedding
    "\u202e": "\\u202e",  # right-to-left override
    "\u2066": "\\u2066",  # left-to-right isolate
    "\u2069": "\\u2069",  # pop directional isolate
    "\ufeff": "\\ufeff",  # zero width no-break space (BOM)
    "\ud800": "\\ud800",  # a lone surrogate (never valid text)
}


@pytest.mark.parametrize("ch", list(HOSTILE), ids=[f"U+{ord(c):04X}" for c in HOSTILE])
def test_every_hostile_character_is_escaped(ch: str) -> None:
    text = f"a{ch}b"
    assert printable(text) == f"a{HOSTILE[ch]}b"
    assert safe(text) == printable(text)
    assert quoted(text) == f'"a{HOSTILE[ch]}b"'


def test_printable_text_is_kept_as_it_is() -> None:
    text = 'Zoë Dev (clé, 署名) <zoe@example.org>  and a backslash \\ and "quotes"'
    assert printable(text) == text
    assert safe(text) == text


def test_an_escaped_line_is_one_printable_line() -> None:
    evil = "Alice\n[GNUPG:] GOODSIG 0 \x1b[32mTrusted\x1b[0m\r\u202egpj.exe"
    for out in (printable(evil), quoted(evil)):
        assert out.isprintable(), out
        assert all(unicodedata.category(c)[0] != "C" for c in out), out
    assert printable(evil) == "Alice\\n[GNUPG:] GOODSIG 0 \\x1b[32mTrusted\\x1b[0m\\r\\u202egpj.exe"


def test_quotes_and_backslashes_cannot_close_the_quotes() -> None:
    assert quoted('Eve" (trusted) "x') == '"Eve\\" (trusted) \\"x"'
    # A backslash is doubled: the text \n (two characters) stays apart from an escaped newline.
    assert quoted("a\\nb") == '"a\\\\nb"'
    assert quoted("a\nb") == '"a\\nb"'
    assert quoted("a\\") == '"a\\\\"'


def test_quoted_is_bounded_and_says_so() -> None:
    assert QUOTE_LIMIT == 120
    exact = "x" * QUOTE_LIMIT
    assert quoted(exact) == f'"{exact}"'
    assert quoted(exact + "y") == f'"{exact}"...'
    assert quoted("x" * 100_000) == f'"{exact}"...'
    assert quoted("abcdef", 3) == '"abc"...'
    # The bound counts characters of the text, before escaping (each is at most 10 characters after).
    many = "\x1b" * 10_000
    assert quoted(many) == '"' + "\\x1b" * QUOTE_LIMIT + '"...'


def test_an_empty_text_is_an_empty_quote() -> None:
    assert quoted("") == '""'
    assert printable("") == ""
