"""Refreshing stored certificates from a keyserver or a Web Key Directory: ``pgpsig key refresh``.

This module owns :func:`refresh`, the HTTP(S) client it uses (:class:`HTTPFetcher`, or any
:data:`Fetcher`), the HKP and WKD URLs (:func:`wkd_hash`) and the report
(:class:`RefreshReport` of :class:`RefreshItem`). It is the only module of :mod:`pgpsig.keys`
that touches the network, and it imports ``urllib.request``: ``check`` and ``verify`` never
import :mod:`pgpsig.keys`. The steps of :func:`refresh` are numbered in its docstring and marked
``# (n)`` in the code.

Choices (also in the README, "Keys"):

* **Refresh** only updates certificates already in the store (it never adds one), talks HTTP(S)
  with ``urllib`` and a short timeout, gives up on a server after its first timeout or connection
  failure (the remaining keys are reported as skipped, so a dead server costs one timeout, not one
  per key), and is never called by ``check`` or ``verify``.
"""

from __future__ import annotations

import hashlib
import http.client
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from pgpsig._dataclass import dataclass
from pgpsig.certs.store import Store
from pgpsig.errors import BudgetError, InputError, LimitError
from pgpsig.keys.importing import ImportItem, ImportReport, import_keys, rejected
from pgpsig.openpgp.packets import Cert
from pgpsig.openpgp.runbudget import run_scope

__all__ = [
    "MAX_RESPONSE_BYTES",
    "Fetcher",
    "HTTPFetcher",
    "NetworkError",
    "RefreshItem",
    "RefreshReport",
    "refresh",
    "wkd_hash",
]


#: Largest response refresh reads from a server.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024


class NetworkError(InputError):
    """A lookup that did not complete: ``kind`` is ``timeout``, ``not-found`` or ``error``."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


Fetcher = Callable[[str], bytes]
"""Fetch a URL's body, raising :class:`NetworkError` (or :class:`~pgpsig.errors.LimitError`)."""


class HTTPFetcher:
    """HTTP(S) GET with ``urllib``, a timeout and a size limit; no redirect to other schemes.

    Args:
        timeout: Seconds for connecting and for each read; with ``clock`` also the bound of the
            whole request.
        clock: A monotonic clock (``time.monotonic``), given by the caller, bounding the whole
            request to ``timeout``; None bounds each network operation only.
        proxies: ``{"http": url, "https": url}`` or None for a direct connection.
        max_bytes: Largest body accepted.

    Raises:
        ValueError: A timeout that is not positive.
    """

    def __init__(
        self,
        *,
        timeout: float,
        clock: Callable[[], float] | None = None,
        proxies: Mapping[str, str] | None = None,
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        if timeout <= 0:
            raise ValueError("the timeout must be positive")
        self.timeout = timeout
        self.clock = clock
        self.max_bytes = max_bytes
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler(dict(proxies or {})))

    def __call__(self, url: str) -> bytes:
        """Fetch ``url``.

        Raises:
            NetworkError: Timeout, HTTP 404/410 (``not-found``), or any other failure.
            LimitError: A body larger than ``max_bytes``.
        """
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme not in ("http", "https"):
            raise NetworkError(f"{url}: only http and https URLs are fetched", kind="error")
        deadline = self.clock() + self.timeout if self.clock is not None else None
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url, headers={"User-Agent": "pgpsig", "Accept": "application/pgp-keys, */*"}
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                chunks: list[bytes] = []
                size = 0
                while chunk := response.read1(65536):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise LimitError(f"{url}: response larger than {self.max_bytes} bytes")
                    chunks.append(chunk)
                    if deadline is not None and self.clock is not None and self.clock() > deadline:
                        raise NetworkError(
                            f"{url}: no complete answer within {self.timeout:g} s", kind="timeout"
                        )
                length = response.headers.get("Content-Length")
                if length is not None and length.strip().isdigit() and int(length) != size:
                    raise NetworkError(
                        f"{url}: incomplete answer: {size} of {int(length)} bytes", kind="error"
                    )
                return b"".join(chunks)
        except http.client.IncompleteRead as e:
            raise NetworkError(
                f"{url}: incomplete answer: the connection closed after {len(e.partial)} bytes",
                kind="error",
            ) from None
        except urllib.error.HTTPError as e:
            kind = "not-found" if e.code in (404, 410) else "error"
            raise NetworkError(f"{url}: HTTP {e.code} {e.reason}", kind=kind) from None
        except urllib.error.URLError as e:
            if isinstance(e.reason, TimeoutError):
                raise NetworkError(
                    f"{url}: no answer within {self.timeout:g} s", kind="timeout"
                ) from None
            raise NetworkError(f"{url}: {e.reason}", kind="error") from None
        except TimeoutError:
            raise NetworkError(
                f"{url}: no answer within {self.timeout:g} s", kind="timeout"
            ) from None
        except OSError as e:
            raise NetworkError(f"{url}: {e.strerror or e}", kind="error") from None


_ZBASE32 = "ybndrfg8ejkmcpqxot1uwisza345h769"


def wkd_hash(local_part: str) -> str:
    """The WKD name of a mailbox's local part: z-base-32 of SHA-1 of its lower-case form."""
    digest = hashlib.sha1(local_part.lower().encode("utf-8")).digest()  # noqa: S324 - fixed by the WKD draft
    bits = int.from_bytes(digest, "big")
    return "".join(_ZBASE32[(bits >> (155 - 5 * i)) & 31] for i in range(32))


def _keyserver_url(base: str, fpr: str) -> str:
    parts = urllib.parse.urlsplit(base if "://" in base else f"hkps://{base}")
    scheme, netloc = parts.scheme, parts.netloc
    if scheme == "hkp":
        scheme = "http"
        if ":" not in netloc:
            netloc += ":11371"
    elif scheme == "hkps":
        scheme = "https"
    path = parts.path.rstrip("/")
    query = urllib.parse.urlencode({"op": "get", "options": "mr", "search": f"0x{fpr}"})
    return urllib.parse.urlunsplit((scheme, netloc, f"{path}/pks/lookup", query, ""))


def _emails(cert: Cert) -> list[str]:
    out = []
    for comp in cert.uids:
        text = comp.uid
        addr = text[text.rfind("<") + 1 : text.rfind(">")] if "<" in text and ">" in text else text
        addr = addr.strip()
        if addr.count("@") == 1 and " " not in addr and addr not in out:
            out.append(addr)
    return out


def _wkd_domain(base: str) -> str | None:
    parts = urllib.parse.urlsplit(base)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 3 and segments[-3:-1] == [".well-known", "openpgpkey"]:
        return segments[-1].lower()
    if segments[-2:] == [".well-known", "openpgpkey"]:
        return (parts.hostname or "").lower()
    return None


def _wkd_url(base: str, email: str) -> str:
    local = email.rsplit("@", 1)[0]
    return f"{base.rstrip('/')}/hu/{wkd_hash(local)}?{urllib.parse.urlencode({'l': local})}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshItem:
    """One lookup of a refresh.

    ``status``: ``updated``, ``unchanged``, ``not-found``, ``timeout``, ``error``, ``rejected``
    (the answer held nothing valid for this key) or ``skipped`` (the server had already failed).
    """

    fingerprint: str
    source: str
    url: str
    status: str
    detail: str | None = None

    @property
    def failed(self) -> bool:
        """The lookup did not complete."""
        return self.status in ("timeout", "error", "skipped", "rejected")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "fingerprint": self.fingerprint,
            "source": self.source,
            "url": self.url,
            "status": self.status,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshReport:
    """Every lookup of a refresh and the problems found in the store."""

    items: tuple[RefreshItem, ...]
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every lookup completed (found or not)."""
        return not any(i.failed for i in self.items)

    def __bool__(self) -> bool:
        raise TypeError("use report.ok")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "ok": self.ok,
            "lookups": [i.to_dict() for i in self.items],
            "problems": list(self.problems),
        }


def refresh(
    store: Store,
    *,
    fetch: Fetcher,
    keyserver: str | None = None,
    wkd: str | None = None,
) -> RefreshReport:
    """Fetch newer copies of the store's certificates and merge them in.

    Steps:

    1. Load the store (no lock: the network is slow and must not block other writers).
    2. Build the lookups: one per certificate from an HKP keyserver
       (``/pks/lookup?op=get&options=mr&search=0x<FPR>``; ``hkp://`` means ``http://`` on port
       11371, ``hkps://`` and a bare host mean ``https://``), and one per e-mail address of the
       store's user IDs from a WKD directory (``<URL>/hu/<z-base-32 hash>?l=<local part>``; when
       the URL ends in ``.well-known/openpgpkey[/<domain>]`` only that domain's addresses).
    3. Fetch each; after a source's first timeout or connection failure, skip its remaining
       lookups (a dead server costs one timeout).
    4. Merge what came back with :func:`import_keys` (``only_known``: a refresh never adds a
       certificate), under the store lock.
    5. Report each lookup: updated, unchanged, not found, or why it failed.

    Args:
        store: The store.
        fetch: Fetches a URL (:class:`HTTPFetcher`).
        keyserver: The keyserver's URL or host name.
        wkd: The URL of a Web Key Directory (the directory holding ``hu/``).

    Returns:
        One item per lookup.

    Raises:
        ValueError: Neither ``keyserver`` nor ``wkd``.
        KeyringError: The store cannot be read, locked or written.
    """
    if keyserver is None and wkd is None:
        raise ValueError("give a keyserver or a WKD URL: pgpsig contacts no server by default")
    # (1)
    ring = store.load(feeds=False)
    # (2)
    lookups: list[tuple[str, str, str]] = []  # (fingerprint, source, url)
    for cert in ring:
        if keyserver is not None:
            lookups.append(
                (cert.fingerprint, "keyserver", _keyserver_url(keyserver, cert.fingerprint))
            )
    if wkd is not None:
        domain = _wkd_domain(wkd)
        for cert in ring:
            for email in _emails(cert):
                if domain is None or email.rsplit("@", 1)[1].lower() == domain:
                    lookups.append((cert.fingerprint, "wkd", _wkd_url(wkd, email)))
    # (3)
    dead: dict[str, str] = {}
    fetched: dict[tuple[str, str], bytes] = {}
    results: dict[tuple[str, str], RefreshItem] = {}
    for fpr, source, url in lookups:
        if source in dead:
            results[(fpr, url)] = RefreshItem(
                fingerprint=fpr, source=source, url=url, status="skipped", detail=dead[source]
            )
            continue
        try:
            fetched[(fpr, url)] = fetch(url)
        except NetworkError as e:
            results[(fpr, url)] = RefreshItem(
                fingerprint=fpr, source=source, url=url, status=e.kind, detail=str(e)
            )
            if e.kind in ("timeout", "error"):
                dead[source] = f"not tried: {source} failed before ({e.kind})"
        except LimitError as e:
            results[(fpr, url)] = RefreshItem(
                fingerprint=fpr, source=source, url=url, status="error", detail=str(e)
            )
    # (4) Each answer is a run of its own: one hostile server's answer of 100,000 packets spent
    # the run's budget, so the store could not be read and an answer carrying a revocation was
    # refused with it, on every refresh.
    imported: list[ImportItem] = []
    for (_f, url), data in fetched.items():
        try:
            with run_scope(fresh=True):
                imported.extend(import_keys(store, [(url, data)], only_known=True).items)
        except BudgetError as e:  # nothing of that answer was written
            imported.append(rejected(url, (str(e),)))
    report = ImportReport(items=tuple(imported))
    by_source: dict[tuple[str, str], list[ImportItem]] = {}
    for item in report.items:
        by_source.setdefault((item.source, item.fingerprint or ""), []).append(item)
    # (5)
    items = []
    for fpr, source, url in lookups:
        done = results.get((fpr, url))
        if done is None:
            mine = by_source.get((url, fpr), [])
            bad = [i for i in by_source.get((url, ""), []) if i.status == "rejected"]
            if any(i.status in ("updated", "new") for i in mine):
                done = RefreshItem(
                    fingerprint=fpr,
                    source=source,
                    url=url,
                    status="updated",
                    detail="; ".join(d for i in mine for d in i.details) or None,
                )
            elif any(i.status == "unchanged" for i in mine):
                done = RefreshItem(fingerprint=fpr, source=source, url=url, status="unchanged")
            elif any(i.status == "rejected" for i in mine) or (bad and not mine):
                details = [d for i in (mine or bad) for d in i.details]
                done = RefreshItem(
                    fingerprint=fpr,
                    source=source,
                    url=url,
                    status="rejected",
                    detail="; ".join(details) or None,
                )
            else:
                done = RefreshItem(
                    fingerprint=fpr,
                    source=source,
                    url=url,
                    status="not-found",
                    detail="the answer held no copy of this certificate",
                )
        items.append(done)
    return RefreshReport(items=tuple(items), problems=tuple(ring.problems))
