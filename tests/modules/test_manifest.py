"""Tests of pgpsig.modules.manifest: the 148 real module.sig bodies, sign.php rendering, PHP as an oracle.

PHP's own ``parse_ini_string($text, true)`` is the oracle (the ``oracle("php")`` fixture: skipped
when php is missing, a failure in CI): the real files, rendered manifests with random paths, and
randomly assembled INI text must read the same in PHP as in :func:`pgpsig.modules.manifest.parse`
whenever parse accepts them; PHP quirks the parser depends on are pinned in one test.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from conftest import conformance_path
from pgpsig.errors import LimitError, ManifestFormatError, PgpsigError
from pgpsig.modules import _syntax, manifest
from pgpsig.modules.manifest import Manifest, ManifestEntry, check_path, parse, render, sort_key
from pgpsig.openpgp import clearsign

Oracle = Callable[[str], str]

H1 = "35aa25" + "0" * 58
H2 = "85d3f1" + "1" * 58
H3 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

HEADER = (
    ";################################################\n"
    ";#        FreePBX Module Signature File         #\n"
    ";################################################\n"
    ";# Do not alter the contents of this file!  If  #\n"
    ";# this file is tampered with, the module will  #\n"
    ";# fail validation and be marked as invalid!    #\n"
    ";################################################\n"
    "\n"
)

SYSTEM_HEADER = (
    ";################################################\n"
    ";#        FreePBX SYSTEM Signature File         #\n"
    ";################################################\n"
    ";# Do not alter the contents of this file!  If  #\n"
    ";# this file is tampered with, the application  #\n"
    ";# will fail validation and WILL NOT BE RUN!    #\n"
    ";################################################\n"
    "\n"
)

CONFIG_V2 = (
    "version=2\nhash=sha256\nsignedwith=ABCDEF0123456789\nsignedby=sign.php\nrepo=manual\n"
    "type=public\n"
)


def doc(hashes: str = f"a.php = {H1}\n", config: str = CONFIG_V2, header: str = HEADER) -> str:
    """A manifest in sign.php layout with the given [config] and [hashes] bodies."""
    return f"{header}[config]\n{config}[hashes]\n{hashes};# End\n"


# Line numbers in doc(): header 1-8, [config] 9, six config lines 10-15, [hashes] 16.
FIRST_HASH_LINE = 17


# --------------------------------------------------------------------------------------------
# Real data


def _cases() -> list[dict[str, Any]]:
    base = conformance_path()
    if base is None:
        return []
    cases: list[dict[str, Any]] = json.loads((base / "freepbx" / "manifest.json").read_text())
    return cases


CASES = _cases()
needs_data = pytest.mark.skipif(not CASES, reason="conformance data not found (PGPSIG_CONFORMANCE)")

# Real files whose signed text render() reproduces byte for byte. Pure sign.php v2 files:
# googletts, dpviz, userman. sign.php v1 files (no type line, type_=None): core-2014 and
# trunk-balancing. The 2014 mirror signer wrote the v1 layout with an empty signedby:
# framework-git-2014. Not reproducible: the later mirror signer (signedby='...' quoted, so not a
# value render writes), routepermissions (k=v without spaces), the SentryPeer local tag (no
# ";# End"), GPGTest vectors (rawname= before type=, not after it).
RENDER_IDENTICAL = {
    "thirdparty/nethesis__googletts",
    "thirdparty/madgen78__dpviz",
    "thirdparty/FreePBX__userman",
    "core-2014-signphp",
    "thirdparty/POSSA__freepbx-trunk-balancing",
    "framework-git-2014",
}
STANDARD_KEYS = ("version", "hash", "signedwith", "signedby", "repo", "type")


def sig_path(conformance: Path, case: dict[str, Any]) -> Path:
    return conformance / "freepbx" / "cases" / case["case"] / "module.sig"


def signed_text(data: bytes) -> bytes:
    return clearsign.decode(data).text


def php_unquoted(value: str) -> str:
    """manifest.json records [config] values as written; PHP removes surrounding quotes."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def rerender(m: Manifest) -> bytes:
    """render() called with everything parse() found, standard keys in sign.php order."""
    extra = [(k, v) for k, v in m.config if k not in STANDARD_KEYS]
    return render(
        [(e.path, e.sha256) for e in m.entries],
        signedwith=m.get("signedwith") or "",
        signedby=m.get("signedby") or "",
        repo=m.get("repo") or "",
        type_=m.type,
        version=m.version if m.version is not None else 0,
        hash_=m.get("hash") or "sha256",
        extra_config=extra,
    )


@needs_data
@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_real_file(conformance: Path, case: dict[str, Any]) -> None:
    data = sig_path(conformance, case).read_bytes()
    if not data:
        assert case["n_hashes"] == 0
        with pytest.raises(ManifestFormatError, match="empty"):
            parse(data)
        return
    decoded = clearsign.decode(data)
    m = parse(decoded.text)
    assert parse(decoded.canonical) == m, "CRLF and LF read the same"
    assert parse(decoded.text.decode("utf-8")) == m, "str and bytes read the same"
    assert len(m.entries) == case["n_hashes"]
    assert dict(m.config) == {k: php_unquoted(v) for k, v in case["config"].items()}
    assert [k for k, _ in m.config] == list(dict(m.config)), "no duplicate keys"
    assert m.kind == "module"
    assert m.version == int(case["config"]["version"])
    assert m.type == case["config"].get("type")
    assert m.expiresafter is None
    for e in m.entries:
        check_path(e.path)
        assert len(e.sha256) == 64
        assert e.sha256 == e.sha256.lower()
    lines = decoded.text.split(b"\n")
    for e in m.entries[:3] + m.entries[-3:]:
        assert lines[e.line - 1].decode().startswith(e.path)
    keys = [sort_key(e.path) for e in m.entries]
    if case["order"] == "dfs-bytewise":
        assert keys == sorted(keys)
    else:
        assert case["order"] == "dfs-caseinsensitive"
        assert keys != sorted(keys)
        folded = [tuple(c.lower() for c in k) for k in keys]
        assert folded == sorted(folded)


@needs_data
def test_render_reproduces_real_sign_php_files(conformance: Path) -> None:
    identical = set()
    for case in CASES:
        data = sig_path(conformance, case).read_bytes()
        if not data:
            continue
        text = signed_text(data)
        m = parse(text)
        try:
            out = rerender(m)
        except ManifestFormatError:
            # Only the quoted mirror-signer signedby values cannot be rendered.
            assert (m.get("signedby") or "").startswith("FreePBX Mirror")
            continue
        assert [(e.path, e.sha256) for e in parse(out).entries] == sorted(
            ((e.path, e.sha256) for e in m.entries), key=lambda i: sort_key(i[0])
        )
        if out == text + b"\n":
            identical.add(case["case"])
            assert clearsign.canonicalize(out) == clearsign.decode(data).canonical + b"\r\n"
    assert identical == RENDER_IDENTICAL


@needs_data
def test_local_tag_file_sentrypeer(conformance: Path) -> None:
    path = (
        conformance / "freepbx" / "cases" / "thirdparty" / "SentryPeer__SentryPeer-FreePBX-Module"
    )
    m = parse(signed_text((path / "module.sig").read_bytes()))
    assert (m.type, m.version, m.get("repo")) == ("local", 2, "local")
    assert [e.path for e in m.entries] == ["sentrypeer.sig"]
    assert m.entries[0].line == 17


@needs_data
def test_gpgtest_vectors(conformance: Path) -> None:
    base = conformance / "freepbx" / "cases" / "gpgtest-unit-vectors"
    got = {}
    for name in ("signed", "unsigned", "localsecure", "modsecure"):
        m = parse(signed_text((base / f"{name}.module.sig").read_bytes()))
        got[name] = (m.type, m.get("repo"), m.get("rawname"), [e.path for e in m.entries])
    assert got == {
        "signed": ("public", "manual", "gpgtest", ["functions.inc.php", "module.xml"]),
        "unsigned": ("public", "manual", "gpgtest", ["functions.php", "module.xml"]),
        "localsecure": ("local", "manual", "gpgtest", ["functions.inc.php", "module.xml"]),
        "modsecure": ("local", "local", None, ["gpgtest.sig"]),
    }


# --------------------------------------------------------------------------------------------
# PHP as the oracle

PHP_READ = r"""
$in = json_decode(stream_get_contents(STDIN), true);
$out = [];
foreach ($in as $b64) {
    $r = @parse_ini_string(base64_decode($b64), true);
    if ($r === false) { $out[] = null; continue; }
    $secs = [];
    foreach ($r as $s => $kv) {
        if (!is_array($kv)) {
            $secs[] = [base64_encode((string)$s), base64_encode((string)$kv)];
            continue;
        }
        $pairs = [];
        foreach ($kv as $k => $v) {
            $pairs[] = [base64_encode((string)$k), is_array($v) ? null : base64_encode((string)$v)];
        }
        $secs[] = [base64_encode((string)$s), $pairs];
    }
    $out[] = $secs;
}
echo json_encode($out);
"""


def php_read(php: str, texts: list[bytes]) -> list[Any]:
    """parse_ini_string($t, true) for each text: None for false, else [(section, pairs)]."""
    payload = json.dumps([base64.b64encode(t).decode() for t in texts]).encode()
    r = subprocess.run(
        [php, "-n", "-r", PHP_READ], input=payload, capture_output=True, check=True, timeout=120
    )
    result = []

    def d(s: str | None) -> str | None:
        return None if s is None else base64.b64decode(s).decode("utf-8", "surrogateescape")

    for item in json.loads(r.stdout):
        if item is None:
            result.append(None)
            continue
        secs = []
        for s, kv in item:
            if isinstance(kv, str):
                secs.append((d(s), d(kv)))
            else:
                secs.append((d(s), [(d(k), d(v)) for k, v in kv]))
        result.append(secs)
    return result


def php_view(m: Manifest) -> list[Any]:
    """What PHP should return for a manifest parse() accepted (hashes compared in lower case)."""
    secs: list[Any] = []
    if m.config:
        secs.append(("config", list(m.config)))
    secs.append(("hashes", [(e.path, e.sha256) for e in m.entries]))
    return secs


def lower_hashes(secs: list[Any]) -> list[Any]:
    out = []
    for name, kv in secs:
        if name == "hashes" and isinstance(kv, list):
            out.append((name, [(k, v.lower() if v else v) for k, v in kv]))
        else:
            out.append((name, kv))
    return out


def order_sections(secs: list[Any]) -> list[Any]:
    """[config] first; an empty [config] dropped (Manifest does not say whether one was there)."""
    secs = [s for s in secs if s != ("config", [])]
    return sorted(secs, key=lambda s: s[0] != "config")


@needs_data
@pytest.mark.oracle
def test_php_reads_real_files_like_parse(conformance: Path, oracle: Oracle) -> None:
    texts, mans = [], []
    for case in CASES:
        data = sig_path(conformance, case).read_bytes()
        if data:
            text = signed_text(data)
            texts.append(text)
            mans.append(parse(text))
    for m, got in zip(mans, php_read(oracle("php"), texts), strict=True):
        assert got is not None
        assert order_sections(lower_hashes(got)) == php_view(m)


SAFE_CHARS = st.sampled_from(
    list("abcXYZ019") + list(" -._+,@:%'`]#~<>") + ["é", "ß", "中", "\u00a0", "😀", "ü"]
)
component = st.text(SAFE_CHARS, min_size=1, max_size=10).filter(lambda c: c not in (".", ".."))
safe_path = (
    st.lists(component, min_size=1, max_size=8)
    .map("/".join)
    .flatmap(lambda p: st.sampled_from([p, "-" + p, "- " + p, p + ".php"]))
    .filter(
        lambda p: (
            _syntax.key_problem(p) is None and _syntax.path_problem(p, allow_absolute=False) is None
        )
    )
)
hex64 = st.text("0123456789abcdefABCDEF", min_size=64, max_size=64)


@pytest.mark.oracle
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(safe_path, hex64, min_size=1, max_size=25))
@example({"-rf": H1, "a b/c d.php": H2, "foo/bar": H3, "foo.php": H1, "x/y/z/w/v/u/t": H2})
@example({"- -x": H1, "on.php": H2, "none b": H3, "a/on": H1, "123": H2, "0": H3, "]": H1})
def test_php_reads_rendered_manifest(oracle: Oracle, paths: dict[str, str]) -> None:
    out = render(
        list(paths.items()), signedwith="B53D215A755231A3", extra_config=[("rawname", "x")]
    )
    expected = sorted(((p, h.lower()) for p, h in paths.items()), key=lambda i: sort_key(i[0]))
    (got,) = php_read(oracle("php"), [out])
    assert got == [
        (
            "config",
            [
                ("version", "2"),
                ("hash", "sha256"),
                ("signedwith", "B53D215A755231A3"),
                ("signedby", "sign.php"),
                ("repo", "manual"),
                ("type", "public"),
                ("rawname", "x"),
            ],
        ),
        ("hashes", expected),
    ]
    assert [(e.path, e.sha256) for e in parse(out).entries] == expected


# Fragments for random INI text: real forms and every quirk the parser has a rule for.
KEYS = [
    "a.php",
    "b c/d",
    "-x",
    "- y",
    "é/中",
    "on",
    "NULL",
    "none b",
    "x[]",
    "x[k]",
    "a;b",
    "#x",
    "a?b",
    "a]b",
    "'q'",
    "a$b",
    "a(b",
    "version",
    "type",
    "expiresafter",
    "hash",
    "k",
    "0",
    "01",
    "/abs",
    "../up",
    "a//b",
    "a\\b",
    "./a",
    "x\ty",
    "",
]
VALUES = [
    "v",
    "",
    "on",
    "On",
    "none",
    "YES",
    '"q"',
    "'q'",
    "a ; c",
    '"a" b',
    "1|2",
    "${HOME}",
    "$x",
    "x=y",
    "a b",
    "yes no",
    "a on",
    H1,
    H1.upper(),
    f'"{H1}"',
    f"'{H2}'",
    f"{H3} ; c",
    "'a;b'",
    '"a\\b"',
    '"open',
    "2",
    "1",
    "0",
    "public",
    "local",
    "system",
    "sha256",
    "md5",
    "17e9",
    "1700000000",
    "{x}",
    "'it''s'",
]
SEPS = [" = ", "=", "\t=\t", " =", "= "]


PATHS = [
    "Api.class.php",
    "LICENSE",
    "assets/js/api.js",
    "tools/sample bulk extension output.csv",
    "-rf",
    "- x",
    "a-b/.htaccess",
    "..a/b..",
    "é/中/ü.php",
    "a'b/`c`",
    "x]y",
    "0",
    "123",
    "01",
    "on.php",
    "none b",
    "a/on",
    "a\u00a0b",
    "a,b:c@d%e+f<g>h",
    "x#y",
]
CONFIG_KEYS = [*sorted(manifest.KNOWN_CONFIG_KEYS), "future", "x-y"]
FREE_CONFIG_KEYS = ["signedwith", "signedby", "repo", "timestamp", "rawname", "future", "x-y"]
GOOD_VALUES = ["", "v", "on", "On", "none", "YES", '"q"', "'q'", "a ; c", "a b", "'a;b'", "1.5"]
HASH_VALUES = [H1, H2.upper(), f'"{H3}"', f"'{H1}'", f"{H2} ; c", f"{H3};c", f"{H1} x", H1[:63]]
NOISE = [
    "[config]",
    "[hashes]",
    "[Config]",
    "[ hashes ]",
    "[x]",
    "[hashes] ; c",
    "[hashes]x",
    "[hashes",
    "; c",
    ";# End",
    "  ; x = y",
    "# c",
    "",
    " ",
    "\t",
    "word",
    "a = b\rc = d",
    f"a = {H1}\x00c",
    "\ufeff;x",
]


@st.composite
def ini_text(draw: st.DrawFn) -> bytes:
    """Manifest-like INI text: mostly well-formed sections, then a few odd lines mixed in."""

    def kv(keys: st.SearchStrategy[str], values: st.SearchStrategy[str]) -> str:
        indent = draw(st.sampled_from(["", "", " ", "\t"]))
        return indent + draw(keys) + draw(st.sampled_from(SEPS)) + draw(values)

    any_key = st.sampled_from(KEYS)
    lines = HEADER.splitlines() if draw(st.booleans()) else []
    if draw(st.booleans()):
        lines.append("[config]")
        keys = st.one_of(*[st.sampled_from(FREE_CONFIG_KEYS)] * 3, st.sampled_from(CONFIG_KEYS))
        for key in draw(st.lists(keys, max_size=6, unique=True)):
            values = st.sampled_from(VALUES if draw(st.integers(0, 3)) == 0 else GOOD_VALUES)
            lines.append(kv(st.just(key), values))
    lines.append("[hashes]")
    paths = st.one_of(st.sampled_from(PATHS), st.sampled_from(PATHS), any_key)
    for key in draw(st.lists(paths, min_size=1, max_size=6, unique=True)):
        values = st.one_of(*[st.sampled_from(HASH_VALUES)] * 9, st.sampled_from(VALUES))
        lines.append(kv(st.just(key), values))
    for _ in range(draw(st.integers(0, 2))):
        odd = draw(
            st.one_of(
                st.sampled_from(NOISE), st.just(kv(any_key, st.sampled_from(VALUES + HASH_VALUES)))
            )
        )
        lines.insert(draw(st.integers(0, len(lines))), odd)
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    return eol.join(lines).encode() + draw(st.sampled_from([b"", eol.encode()]))


@pytest.mark.oracle
@pytest.mark.slow
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(ini_text(), min_size=10, max_size=10))
def test_php_agrees_whenever_parse_accepts(oracle: Oracle, texts: list[bytes]) -> None:
    results = php_read(oracle("php"), texts)
    for text, php in zip(texts, results, strict=True):
        try:
            m = parse(text)
        except ManifestFormatError:
            continue
        assert php is not None, text
        assert order_sections(lower_hashes(php)) == php_view(m), text


PHP_QUIRKS = [
    # (text, what PHP 8.2 returns, what parse does: "raise" or the expected [config]/[hashes])
    ("[h]\nk = on\n", [("h", [("k", "1")])]),
    ("[h]\nk = Off ; c\n", [("h", [("k", "")])]),
    ("[h]\nk = on foo\n", None),
    ("[h]\nnull = v\n", None),
    ("[h]\nYes = v\n", None),
    ("[h]\na[] = v\n", [("h", [("a", None)])]),
    ("[h]\na[b] = v\n", [("h", [("a", None)])]),
    ("[h]\na\tb = v\n", [("h", [("b", "v")])]),
    ("[h]\nk = E_ALL\n", [("h", [("k", "32767")])]),
    ("[h]\nk = 1|2\n", [("h", [("k", "3")])]),
    ('[h]\nk = "a" b\n', [("h", [("k", "ab")])]),
    ("[h]\nk = 'a' 'b'\n", [("h", [("k", "a b")])]),
    ("[h]\nk = v ; c\n", [("h", [("k", "v")])]),
    ("[h]\nk = 'a;b'\n", [("h", [("k", "a;b")])]),
    ("[h]\nk = it's\n", [("h", [("k", "it")])]),
    ("[h]\na = 1\x00b = 2\nc = 3\n", [("h", [("a", "1")])]),
    ("[h]\na = 1\rb = 2\n", [("h", [("a", "1"), ("b", "2")])]),
    ("[h]\nword\n", [("h", [])]),
    ("[h]\na;b = v\n", [("h", [])]),
    ("[h]x\na = 1\n", [("h", [("a", "1")])]),
    ("[h]\na = 1\n[h]\nb = 2\n", [("h", [("b", "2")])]),
    ("[h]\na = 1\na = 2\n", [("h", [("a", "2")])]),
    ("a = 1\n[h]\n", [("a", "1"), ("h", [])]),
    ("[h]\na b  c = v\n", [("h", [("a b  c", "v")])]),
    ("[h]\n- x = v\n", [("h", [("- x", "v")])]),
    ("[h]\n#a = v\n", [("h", [("#a", "v")])]),
    ("[h]\na?b = v\n", [("h", [("a?b", "v")])]),
    ("[h]\na$b = v\n", None),
    ("[h]\na!b = v\n", None),
    ("[h]\na=b = v\n", None),
    ('[h]\nk = "a\n', None),
    ("[h]\n/etc/passwd = v\n", [("h", [("/etc/passwd", "v")])]),
]


@pytest.mark.oracle
def test_php_quirks_pinned(oracle: Oracle) -> None:
    """The PHP 8.2 behaviour the module documentation relies on (a PHP change shows up here)."""
    got = php_read(oracle("php"), [t.encode() for t, _ in PHP_QUIRKS])
    assert list(zip([t for t, _ in PHP_QUIRKS], got, strict=True)) == [
        (t, exp) for t, exp in PHP_QUIRKS
    ]


# --------------------------------------------------------------------------------------------
# parse: accepted forms


def test_sign_php_v2_layout() -> None:
    m = parse(doc(f"a.php = {H1}\nb/c d.php = {H2.upper()}\n"))
    assert m.kind == "module"
    assert m.config == (
        ("version", "2"),
        ("hash", "sha256"),
        ("signedwith", "ABCDEF0123456789"),
        ("signedby", "sign.php"),
        ("repo", "manual"),
        ("type", "public"),
    )
    assert m.entries == (
        ManifestEntry("a.php", H1, FIRST_HASH_LINE),
        ManifestEntry("b/c d.php", H2, FIRST_HASH_LINE + 1),
    )
    assert (m.version, m.type, m.expiresafter) == (2, "public", None)
    assert m.get("signedby") == "sign.php"
    assert m.get("nope") is None


def test_crlf_lf_str_bytes_agree() -> None:
    text = doc(f"a.php = {H1}\n")
    m = parse(text)
    assert parse(text.encode()) == m
    assert parse(text.replace("\n", "\r\n")) == m
    assert parse(text.rstrip("\n")) == m  # the signed text has no final line break


def test_mirror_signer_quoted_signedby_and_timestamp() -> None:
    config = (
        "version=1\nhash=sha256\nsignedwith=B53D215A755231A3\n"
        "signedby='FreePBX Mirror Servers <security@freepbx.org>'\n"
        "repo=standard\ntimestamp=1597390318.7891\n"
    )
    m = parse(doc(config=config))
    assert m.get("signedby") == "FreePBX Mirror Servers <security@freepbx.org>"
    assert m.get("timestamp") == "1597390318.7891"
    assert (m.version, m.type) == (1, None)


def test_third_party_k_equals_v_and_blank_line() -> None:
    config = "version=1\nhash=sha256\nsignedwith=B0189C08EE024B99\nsignedby=modsign\nrepo=custom\n"
    m = parse(doc(f"\nagi-bin/x.agi={H1}\nRoute.class.php={H2}\n", config=config))
    assert [(e.path, e.line) for e in m.entries] == [("agi-bin/x.agi", 17), ("Route.class.php", 18)]


def test_local_tag_without_end_marker() -> None:
    config = (
        "version=2\nhash=sha256\nsignedwith=3045F169\nsignedby=sign.php\nrepo=local\ntype=local\n"
    )
    text = f"{HEADER}[config]\n{config}[hashes]\nmymod.sig = {H1}\n"
    m = parse(text)
    assert (m.type, [e.path for e in m.entries]) == ("local", ["mymod.sig"])


def test_system_hook_file() -> None:
    # As devtools system-hook-sign.php writes it: xtype=system, an absolute path.
    config = (
        "xtype=system\nversion=1\nhash=sha256\nsignedwith=ABC\nsignedby=sign-system.php\n"
        "repo=manual\n"
    )
    text = doc(f"/usr/local/asterisk/hook = {H1}\n", config=config, header=SYSTEM_HEADER)
    m = parse(text)
    assert (m.kind, m.type, m.version) == ("system", "system", 1)
    assert m.entries[0].path == "/usr/local/asterisk/hook"
    with pytest.raises(ManifestFormatError, match="absolute") as e:
        parse(text.replace("SYSTEM", "Module"))
    assert e.value.line == 17


def test_unknown_header_and_no_config() -> None:
    m = parse(f"[hashes]\na = {H1}\n")
    assert (m.kind, m.config, m.version, m.type) == ("unknown-header", (), None, None)


def test_values_as_php_reads_them() -> None:
    config = (
        "version = 2\n"
        'signedwith = "ABC"\n'
        "signedby = 'x ; y'\n"
        "repo = manual ; comment\n"
        "flag = On\n"
        "gone = none\n"
        "empty =\n"
        "other = a  b\n"
        "sq = '${HOME}'\n"
    )
    m = parse(doc(config=config))
    assert m.config == (
        ("version", "2"),
        ("signedwith", "ABC"),
        ("signedby", "x ; y"),
        ("repo", "manual"),
        ("flag", "1"),
        ("gone", ""),
        ("empty", ""),
        ("other", "a  b"),
        ("sq", "${HOME}"),
    )


def test_hash_value_quoted_or_commented() -> None:
    m = parse(doc(f'a = "{H1}"\nb = {H2} ; c\n'))
    assert [e.sha256 for e in m.entries] == [H1, H2]


def test_expiresafter() -> None:
    base = "version=2\nexpiresafter={}\n"
    assert parse(doc(config=base.format("1700000000"))).expiresafter == 1700000000
    assert parse(doc(config=base.format("0"))).expiresafter is None  # PHP empty("0")
    assert parse(doc(config=base.format(""))).expiresafter is None
    v1 = "version=1\nexpiresafter=1700000000\n"
    assert parse(doc(config=v1)).expiresafter is None  # honoured only when version > 1
    assert parse(doc(config="version=1\nexpiresafter=soon\n")).expiresafter is None
    assert parse(doc(config="expiresafter=1\n")).expiresafter is None


def test_unknown_config_keys_are_kept() -> None:
    m = parse(doc(config="version=2\nfuture=thing\n"))
    assert m.get("future") == "thing"
    assert "future" not in manifest.KNOWN_CONFIG_KEYS


# --------------------------------------------------------------------------------------------
# parse: fail closed

E = ManifestFormatError
FAIL_CLOSED: dict[str, tuple[str, type[Exception], int | None, str]] = {
    # name: (text, error, line, message part)
    "empty": ("", E, None, "empty"),
    "whitespace-only": (" \n\t\r\n\n", E, None, "empty"),
    "no-hashes-section": (f"{HEADER}[config]\n{CONFIG_V2}", E, None, "no \\[hashes\\]"),
    "empty-hashes-section": (doc(""), E, None, "empty \\[hashes\\]"),
    "local-tag-without-entry": (
        doc("", config="version=2\nrepo=local\ntype=local\n"),
        E,
        None,
        "empty",
    ),
    "bare-word": (doc(f"a = {H1}\nword\n"), E, FIRST_HASH_LINE + 1, "not a comment"),
    "hash-comment-line": (doc(f"# c\na = {H1}\n"), E, FIRST_HASH_LINE, "not a comment"),
    "bom": ("\ufeff" + doc(), E, 1, "not a comment"),
    "key-question": (doc(f"a?b = {H1}\n"), E, FIRST_HASH_LINE, "PHP rejects"),
    "key-brace": (doc(f"a{{b = {H1}\n"), E, FIRST_HASH_LINE, "PHP rejects"),
    "key-pipe": (doc(f"a|b = {H1}\n"), E, FIRST_HASH_LINE, "PHP rejects"),
    "key-amp": (doc(f"a&b = {H1}\n"), E, FIRST_HASH_LINE, "PHP rejects"),
    "key-tilde": (doc(f"~a = {H1}\n"), E, FIRST_HASH_LINE, "PHP rejects"),
    "key-bang": (doc(f"a!b = {H1}\n"), E, FIRST_HASH_LINE, "PHP rejects"),
    "key-paren": (doc(f"a(1).php = {H1}\n"), E, FIRST_HASH_LINE, "PHP rejects"),
    "key-caret": (doc(f"a^b = {H1}\n"), E, FIRST_HASH_LINE, "PHP rejects"),
    "key-dquote": (doc(f'"a" = {H1}\n'), E, FIRST_HASH_LINE, "PHP rejects"),
    "key-dollar": (doc(f"a$b = {H1}\n"), E, FIRST_HASH_LINE, "PHP rejects"),
    "key-semicolon": (doc(f"a;b = {H1}\n"), E, FIRST_HASH_LINE, "PHP rejects"),
    "key-array": (doc(f"a[] = {H1}\n"), E, FIRST_HASH_LINE, "arrays"),
    "key-array-index": (doc(f"a[x] = {H1}\n"), E, FIRST_HASH_LINE, "arrays"),
    "key-leading-hash": (doc(f"#a = {H1}\n"), E, FIRST_HASH_LINE, "'#'"),
    "key-tab-inside": (doc(f"a\tb = {H1}\n"), E, FIRST_HASH_LINE, "control"),
    "key-empty": (doc(f" = {H1}\n"), E, FIRST_HASH_LINE, "empty key"),
    "reserved-null": (doc(f"null = {H1}\n"), E, FIRST_HASH_LINE, "reserved"),
    "reserved-yes": (doc(f"YES = {H1}\n"), E, FIRST_HASH_LINE, "reserved"),
    "reserved-no": (doc(f"No = {H1}\n"), E, FIRST_HASH_LINE, "reserved"),
    "reserved-true": (doc(f"true = {H1}\n"), E, FIRST_HASH_LINE, "reserved"),
    "reserved-false": (doc(f"false = {H1}\n"), E, FIRST_HASH_LINE, "reserved"),
    "reserved-on": (doc(f"on = {H1}\n"), E, FIRST_HASH_LINE, "reserved"),
    "reserved-off": (doc(f"off = {H1}\n"), E, FIRST_HASH_LINE, "reserved"),
    "reserved-none": (doc(f"NONE = {H1}\n"), E, FIRST_HASH_LINE, "reserved"),
    "reserved-config-key": (doc(config="version=2\ntrue=1\n"), E, 11, "reserved"),
    "duplicate-path": (
        doc(f"a = {H1}\nb = {H2}\na = {H1}\n"),
        E,
        FIRST_HASH_LINE + 2,
        "duplicate path",
    ),
    "duplicate-config-key": (doc(config="version=2\nversion=1\n"), E, 11, "duplicate"),
    "duplicate-hashes-section": (
        doc(f"a = {H1}\n[hashes]\nb = {H2}\n"),
        E,
        FIRST_HASH_LINE + 1,
        "second",
    ),
    "hash-63": (doc(f"a = {H1[:63]}\n"), E, FIRST_HASH_LINE, "64 hex"),
    "hash-65": (doc(f"a = {H1}0\n"), E, FIRST_HASH_LINE, "64 hex"),
    "hash-not-hex": (doc(f"a = {'g' * 64}\n"), E, FIRST_HASH_LINE, "64 hex"),
    "hash-empty": (doc("a =\n"), E, FIRST_HASH_LINE, "64 hex"),
    "hash-bool": (doc("a = on\n"), E, FIRST_HASH_LINE, "64 hex"),
    "hash-two-words": (doc(f"a = {H1} {H2}\n"), E, FIRST_HASH_LINE, "64 hex"),
    "absolute-path": (doc(f"/etc/passwd = {H1}\n"), E, FIRST_HASH_LINE, "absolute"),
    "dotdot": (doc(f"../x = {H1}\n"), E, FIRST_HASH_LINE, "'\\.\\.'"),
    "dotdot-inside": (doc(f"a/../../x = {H1}\n"), E, FIRST_HASH_LINE, "'\\.\\.'"),
    "dot-component": (doc(f"a/./b = {H1}\n"), E, FIRST_HASH_LINE, "'\\.'"),
    "leading-dot-slash": (doc(f"./a = {H1}\n"), E, FIRST_HASH_LINE, "'\\.'"),
    "empty-component": (doc(f"a//b = {H1}\n"), E, FIRST_HASH_LINE, "empty component"),
    "trailing-slash": (doc(f"a/ = {H1}\n"), E, FIRST_HASH_LINE, "empty component"),
    "backslash": (doc(f"a\\b = {H1}\n"), E, FIRST_HASH_LINE, "backslash"),
    "nul": (doc(f"a\x00b = {H1}\n"), E, FIRST_HASH_LINE, "control"),
    "nul-in-comment": (doc().replace(";# End", ";# E\x00nd"), E, FIRST_HASH_LINE + 1, "control"),
    "lone-cr": (doc(f"a = {H1}\rb = {H2}\n"), E, FIRST_HASH_LINE, "control"),
    "lone-cr-in-comment": (
        doc().replace(";# End", f";# End\r../x = {H1}"),
        E,
        FIRST_HASH_LINE + 1,
        "control",
    ),
    "escape-char": (doc(f"a\x1bb = {H1}\n"), E, FIRST_HASH_LINE, "control"),
    "del-char": (doc(f"a\x7fb = {H1}\n"), E, FIRST_HASH_LINE, "control"),
    "unknown-section": (
        doc(f"a = {H1}\n[extra]\nb = 1\n"),
        E,
        FIRST_HASH_LINE + 1,
        "unknown section",
    ),
    "section-case": (doc().replace("[config]", "[Config]"), E, 9, "unknown section"),
    "section-spaces": (doc().replace("[hashes]", "[ hashes ]"), E, 16, "unknown section"),
    "section-trailing-text": (doc().replace("[hashes]", "[hashes]x"), E, 16, "malformed section"),
    "section-unclosed": (doc().replace("[hashes]", "[hashes"), E, 16, "malformed section"),
    "key-outside-section": (f"a = {H1}\n[hashes]\nb = {H2}\n", E, 1, "outside a section"),
    "value-concatenation": (doc(f'a = "{H1}" x\n'), E, FIRST_HASH_LINE, "glue"),
    "value-unterminated": (doc(config='signedby="x\n'), E, 10, "unterminated"),
    "value-env-expansion": (doc(config="signedby=${HOME}\n"), E, 10, "'\\$"),
    "value-dq-expansion": (doc(config='signedby="${HOME}"\n'), E, 10, "expands"),
    "value-dq-backslash": (doc(config='signedby="a\\"b"\n'), E, 10, "text after"),
    "value-operator": (doc(config="signedby=a|b\n"), E, 10, "transforms"),
    "value-paren": (doc(config="signedby=Mirror (2014)\n"), E, 10, "transforms"),
    "value-equals": (doc(config="signedby=a=b\n"), E, 10, "transforms"),
    "value-apostrophe": (doc(config="signedby=it's\n"), E, 10, "transforms"),
    "value-bool-among-words": (doc(config="signedby=turn on\n"), E, 10, "reserved word"),
    "version-not-integer": (doc(config="version=2.0\n"), E, 10, "version"),
    "version-suffix": (doc(config="version=2abc\n"), E, 10, "version"),
    "version-negative": (doc(config="version=-1\n"), E, 10, "version"),
    "type-unknown": (doc(config="version=2\ntype=beta\n"), E, 11, "type"),
    "hash-not-sha256": (doc(config="hash=md5\n"), E, 10, "SHA-256"),
    "expiresafter-garbage": (
        doc(config="version=2\nexpiresafter=tomorrow\n"),
        E,
        11,
        "expiresafter",
    ),
    "invalid-utf8": (doc().encode().replace(b"a.php", b"a\xff.php").decode("latin-1"), E, None, ""),
    "both-headers": (doc(header=HEADER + SYSTEM_HEADER), E, None, "both"),
    "line-too-long": (doc(f"{'a' * 9000} = {H1}\n"), LimitError, FIRST_HASH_LINE, "longer"),
}


@pytest.mark.parametrize("name", list(FAIL_CLOSED))
def test_fail_closed(name: str) -> None:
    text, error, line, message = FAIL_CLOSED[name]
    data: bytes | str = text
    if name == "invalid-utf8":
        data = text.encode("latin-1")
        line = FIRST_HASH_LINE
        message = "UTF-8"
    with pytest.raises(error, match=message) as e:
        parse(data)
    assert e.value.line == line


def test_lone_surrogate_str() -> None:
    with pytest.raises(ManifestFormatError, match="Unicode"):
        parse(doc(f"a\ud800 = {H1}\n"))


def test_line_limit_boundary() -> None:
    key = "a" * (manifest.MAX_LINE - 67)
    line = f"{key} = {H1}"
    assert len(line.encode()) == manifest.MAX_LINE
    assert parse(doc(line + "\n")).entries[0].path == key
    with pytest.raises(LimitError):
        parse(doc("a" + line + "\n"))
    # Bytes, not characters: a 3-byte character counts 3.
    with pytest.raises(LimitError):
        parse(doc("中" + line[1:] + "\n"))


def test_entry_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifest, "MAX_ENTRIES", 3)
    three = "".join(f"f{i} = {H1}\n" for i in range(3))
    assert len(parse(doc(three)).entries) == 3
    with pytest.raises(LimitError, match="more than 3") as e:
        parse(doc(three + f"f3 = {H1}\n"))
    assert e.value.line == FIRST_HASH_LINE + 3
    with pytest.raises(LimitError):
        render([(f"f{i}", H1) for i in range(4)], signedwith="K")


def test_errors_are_manifest_errors() -> None:
    assert issubclass(LimitError, PgpsigError)
    assert issubclass(ManifestFormatError, ValueError)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300), ini_text()))
def test_parse_raises_only_pgpsig_errors(text: str | bytes) -> None:
    try:
        m = parse(text)
    except PgpsigError:
        return
    assert m.entries
    for e in m.entries:
        check_path(e.path, allow_absolute=m.kind == "system")


@settings(max_examples=300, deadline=None)
@given(ini_text())
def test_parse_crlf_equals_lf(text: bytes) -> None:
    def outcome(t: bytes) -> object:
        try:
            return parse(t)
        except ManifestFormatError as e:
            return (type(e), e.line)

    assume(b"\r" not in text.replace(b"\r\n", b""))
    lf = text.replace(b"\r\n", b"\n")
    assert outcome(lf) == outcome(lf.replace(b"\n", b"\r\n"))


# --------------------------------------------------------------------------------------------
# check_path and sort_key


@pytest.mark.parametrize(
    "path",
    [
        "a",
        "a/b",
        "a b/c d.php",
        "-x",
        "- x",
        "a.b.c",
        "..a",
        "a..",
        ".htaccess",
        "a/.b",
        "é/中",
        "x]",
    ],
)
def test_check_path_accepts(path: str) -> None:
    check_path(path)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "empty path"),
        ("/a", "absolute"),
        ("/", "absolute"),
        ("..", "'..'"),
        ("a/..", "'..'"),
        (".", "'.'"),
        ("./a", "'.'"),
        ("a/./b", "'.'"),
        ("a//b", "empty component"),
        ("a/", "empty component"),
        ("a\\b", "backslash"),
        ("..\\x", "backslash"),
        ("a\x00", "control"),
        ("a\nb", "control"),
        ("a\rb", "control"),
        ("a\tb", "control"),
        ("a\x1f", "control"),
        ("a\x7f", "control"),
        ("a\ud800", "Unicode"),
    ],
)
def test_check_path_refuses(path: str, message: str) -> None:
    with pytest.raises(ManifestFormatError, match=message):
        check_path(path)


def test_check_path_absolute_allowed() -> None:
    check_path("/usr/local/asterisk/x", allow_absolute=True)
    for bad in ("/", "//x", "/a/../b", "/a/"):
        with pytest.raises(ManifestFormatError):
            check_path(bad, allow_absolute=True)


def test_sort_key_depth_first_bytewise() -> None:
    paths = [
        "foo.php",
        "foo/bar",
        "LICENSE",
        "Api.class.php",
        "assets/js/a.js",
        "assets/css/b.css",
        "é",
        "z",
        "_x",
        "a-b",
        "a/b",
    ]
    assert sorted(paths, key=sort_key) == [
        "Api.class.php",
        "LICENSE",
        "_x",
        "a/b",
        "a-b",
        "assets/css/b.css",
        "assets/js/a.js",
        "foo/bar",
        "foo.php",
        "z",
        "é",
    ]
    assert sorted(["foo.php", "foo/bar"]) == ["foo.php", "foo/bar"]  # plain string order differs
    assert sort_key("a/b c") == (b"a", b"b c")


# --------------------------------------------------------------------------------------------
# render


def test_render_exact_bytes() -> None:
    out = render([("b.php", H2.upper()), ("a/x.js", H1), ("a.php", H3)], signedwith="5B597629")
    assert (
        out
        == (
            HEADER
            + "[config]\nversion=2\nhash=sha256\nsignedwith=5B597629\nsignedby=sign.php\n"
            + "repo=manual\ntype=public\n"
            + f"[hashes]\na/x.js = {H1}\na.php = {H3}\nb.php = {H2}\n;# End\n"
        ).encode()
    )


def test_render_options_and_round_trip() -> None:
    out = render(
        [("x.sig", H1)],
        signedwith="K",
        repo="local",
        type_="local",
        extra_config=[("rawname", "x"), ("expiresafter", "1700000000")],
    )
    assert b"repo=local\ntype=local\nrawname=x\nexpiresafter=1700000000\n[hashes]\n" in out
    m = parse(out)
    assert (m.type, m.version, m.expiresafter) == ("local", 2, 1700000000)
    v1 = render([("a", H1)], signedwith="K", type_=None, version=1)
    assert b"repo=manual\n[hashes]\n" in v1
    assert parse(v1).type is None


def test_render_leading_dash_is_clearsign_safe() -> None:
    out = render([("-rf", H1), ("- x", H2)], signedwith="K")
    # As gpg --clearsign does with sign.php's output, the final LF is not signed.
    framed = clearsign.encode(out[:-1], b"\xc2\x04fake", ["SHA256"])
    assert b"\n- -rf = " in framed
    assert b"\n- - x = " in framed
    assert clearsign.decode(framed).text + b"\n" == out
    assert [e.path for e in parse(clearsign.decode(framed).text).entries] == ["- x", "-rf"]


@pytest.mark.parametrize(
    ("entries", "kwargs", "message"),
    [
        ([], {}, "no entries"),
        ([("a", H1), ("a", H2)], {}, "duplicate path"),
        ([("a", H1[:60])], {}, "64 hex"),
        ([("a", "x" * 64)], {}, "64 hex"),
        ([("/etc/x", H1)], {}, "absolute"),
        ([("../x", H1)], {}, "'..'"),
        ([("a\\b", H1)], {}, "backslash"),
        ([("a\nb", H1)], {}, "control"),
        ([("a?b", H1)], {}, "PHP"),
        ([("a(1)", H1)], {}, "PHP"),
        ([("a;b", H1)], {}, "PHP"),
        ([("a=b", H1)], {}, "PHP"),
        ([("a$b", H1)], {}, "PHP"),
        ([("a[1]", H1)], {}, "arrays"),
        ([("#x", H1)], {}, "'#'"),
        ([(" a", H1)], {}, "whitespace"),
        ([("a ", H1)], {}, "whitespace"),
        ([("on", H1)], {}, "reserved"),
        ([("None", H1)], {}, "reserved"),
        ([("a", H1)], {"signedwith": "a b;c"}, "read the value"),
        ([("a", H1)], {"signedwith": "on"}, "reads '1'"),
        ([("a", H1)], {"signedby": " x"}, "read the value"),
        ([("a", H1)], {"signedby": "Mirror (2014)"}, "read the value"),
        ([("a", H1)], {"signedby": "'q'"}, "read the value"),
        ([("a", H1)], {"signedby": "E_ALL"}, "constant"),
        ([("a", H1)], {"signedby": "a\tb"}, "control"),
        ([("a", H1)], {"repo": "x\ny"}, "control"),
        ([("a", H1)], {"type_": "beta"}, "type"),
        ([("a", H1)], {"hash_": "md5"}, "SHA-256"),
        ([("a", H1)], {"version": -1}, "version"),
        ([("a", H1)], {"version": True}, "version"),
        ([("a", H1)], {"extra_config": [("repo", "x")]}, "duplicate config key"),
        ([("a", H1)], {"extra_config": [("a[]", "x")]}, "arrays"),
        ([("a", H1)], {"extra_config": [("yes", "x")]}, "reserved"),
        ([("a", H1)], {"extra_config": [("expiresafter", "soon")]}, "expiresafter"),
        ([(1, H1)], {}, "must be a string"),
        ([("a", None)], {}, "must be a string"),
        ([("a", H1)], {"signedwith": None}, "must be a string"),
        ([("a", H1)], {"extra_config": [(1, "x")]}, "must be a string"),
        ([("a", H1)], {"version": "2"}, "version"),
    ],
)
def test_render_refuses(
    entries: list[tuple[str, str]], kwargs: dict[str, Any], message: str
) -> None:
    kwargs.setdefault("signedwith", "K")
    with pytest.raises(ManifestFormatError, match=message):
        render(entries, **kwargs)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(safe_path, hex64, min_size=1, max_size=30))
def test_render_parse_round_trip(paths: dict[str, str]) -> None:
    m = parse(render(list(paths.items()), signedwith="K"))
    assert [e.path for e in m.entries] == sorted(paths, key=sort_key)
    assert {e.path: e.sha256 for e in m.entries} == {p: h.lower() for p, h in paths.items()}
    assert rerender(m) == render(list(paths.items()), signedwith="K")


# --------------------------------------------------------------------------------------------
# The plain-entry fast path of parse (manifest._PLAIN_ENTRY) against every rule


def _outcome(text: bytes) -> tuple[str, object]:
    try:
        return "ok", parse(text)
    except PgpsigError as e:
        return type(e).__name__, (str(e), getattr(e, "line", None))


def _both_ways(text: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    fast = _outcome(text)
    with monkeypatch.context() as m:
        m.setattr(manifest, "_PLAIN_ENTRY", __import__("re").compile(rb"(?!)"))
        slow = _outcome(text)
    return fast, slow


#: Pieces of [hashes] keys: plain ones, and every kind of thing the rules look at.
_KEY_PIECES = [
    "a",
    "B",
    "0",
    "_x",
    "mod.php",
    "-dash",
    "x-y",
    "a,b",
    "a+b",
    "a@b",
    "a%20",
    "dir/",
    "/",
    "//",
    ".",
    "..",
    "./",
    "../",
    ".htaccess",
    "a.",
    "yes",
    "No",
    "NULL",
    "true",
    "off",
    "none",
    "#c",
    ";",
    "=",
    "[",
    "]",
    "a b",
    " ",
    "\t",
    "?",
    "{",
    "}",
    "|",
    "&",
    "~",
    "!",
    "(",
    ")",
    "^",
    '"',
    "'",
    "$",
    "\\",
    "\x7f",
    "\x01",
    "é",
    "日本",
    "\u00a0",
]
_VALUES = [H1, H1.upper(), H1[:63], H1 + "0", "", f'"{H1}"', f"{H1} ; c", f"{H1}\t", "yes", "0x1"]
_SEPARATORS = [" = ", "=", " =", "= ", "\t=\t", "  =  ", " = = "]


def _random_manifests(n: int) -> list[bytes]:
    import random

    rng = random.Random(20261122)
    out = []
    for _ in range(n):
        lines = []
        for _ in range(rng.randint(1, 6)):
            key = "".join(rng.choice(_KEY_PIECES) for _ in range(rng.randint(1, 4)))
            if rng.random() < 0.5:  # most lines plain, as sign.php writes them
                key = rng.choice(["a", "lib/x.php", "-dash.php", "d/e/f.js", "yes/ok", "a,b+c"])
            sep = _SEPARATORS[0] if rng.random() < 0.6 else rng.choice(_SEPARATORS)
            value = H1 if rng.random() < 0.6 else rng.choice(_VALUES)
            end = "\n" if rng.random() < 0.9 else rng.choice(["\r\n", " \n", "\r\r\n"])
            lines.append(f"{key}{sep}{value}{end}")
        if rng.random() < 0.2:
            lines.append(lines[0])  # a duplicate
        out.append(doc("".join(lines)).encode("utf-8"))
    return out


@pytest.mark.parametrize("chunk", range(4))
def test_plain_entry_fast_path_changes_nothing(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random [hashes] lines give the same manifest, or the same error, with and without it."""
    texts = _random_manifests(2000)[chunk::4]
    took_fast = 0
    for text in texts:
        fast, slow = _both_ways(text, monkeypatch)
        assert fast == slow, text
        took_fast += fast[0] == "ok"
    assert took_fast > 20, "the generator must reach accepted manifests"


@needs_data
def test_plain_entry_fast_path_on_real_files(
    conformance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = 0
    for case in CASES:
        data = sig_path(conformance, case).read_bytes()
        try:
            text = signed_text(data)
        except PgpsigError:
            continue
        fast, slow = _both_ways(text, monkeypatch)
        assert fast == slow, case["case"]
        plain += sum(1 for ln in text.split(b"\n") if manifest._PLAIN_ENTRY.fullmatch(ln))
    assert plain > 10_000, plain  # the real files are mostly plain lines


@pytest.mark.parametrize(
    "line",
    [
        "yes = " + H1,
        "NULL = " + H1,
        "a/../b = " + H1,
        ".x = " + H1,
        "a//b = " + H1,
        "a = " + H1.upper(),
    ],
)
def test_plain_entry_fast_path_leaves_special_lines(line: str) -> None:
    """What the fast pattern must not take (or takes only with the reserved-word check)."""
    m = manifest._PLAIN_ENTRY.fullmatch(line.encode())
    assert m is None or m[1].lower() in manifest._RESERVED_BYTES


def test_lazy_line_split_is_the_same_split() -> None:
    """Long manifests are split one line at a time: the same lines as the one-list split."""
    import random

    rng = random.Random(7)
    pieces = [b"a", b"\n", b"\r", b"\r\n", b" ", b"xyz", b"=", b"\n\n"]
    for _ in range(5000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        assert list(manifest._iter_lines(data)) == list(manifest._split_lines(data)), data


def test_lazy_split_parses_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    text = doc("".join(f"dir/f{i}.php = {H1}\n" for i in range(50))).encode()
    eager = parse(text)
    monkeypatch.setattr(manifest, "_LAZY_SPLIT", 0)
    assert parse(text) == eager
    assert parse(text.replace(b"\n", b"\r\n")) == eager
