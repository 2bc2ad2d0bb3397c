"""Fetch raw data files: download (with Git LFS) or copy, verified and atomic.

Both :func:`fetch_url` and :func:`copy_local` write to a temporary file next to
the destination, check its SHA-256 when one is given, and only then rename it
onto the destination. On any failure they delete their own temporary file and
nothing else: an existing destination stays as it was.

Git LFS: a GitHub raw URL of a file stored with Git LFS answers with a small
pointer file (``version https://git-lfs.github.com/spec/v1`` / ``oid sha256:<hex>``
/ ``size <bytes>``). With ``lfs=True``, :func:`fetch_url` recognises it, asks
the repository's LFS batch API (``https://github.com/<owner>/<repo>.git/info/lfs/objects/batch``)
where the object lives, downloads it and checks it against the pointer's
SHA-256 and size. Without ``lfs=True`` a pointer is an error rather than data.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import BinaryIO, TypeVar

from stepwise.io import DataError

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
LFS_SPEC_LINE = b"version https://git-lfs.github.com/spec/v1"
LFS_POINTER_MAX_BYTES = 1024  # pointer files are ~130 bytes; the spec caps them at 1024
LFS_MEDIA_TYPE = "application/vnd.git-lfs+json"
USER_AGENT = "stepwise-fetch/1"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

T = TypeVar("T")


class FetchError(RuntimeError):
    """A download failed (HTTP error, or network errors after every retry)."""


class ChecksumError(DataError):
    """A file's SHA-256 (or an LFS object's size) is not the expected one."""


@dataclass(frozen=True)
class LFSPointer:
    """The object a Git LFS pointer file names."""

    oid: str  # SHA-256 of the object, hex
    size: int  # bytes


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's contents."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def parse_lfs_pointer(data: bytes) -> LFSPointer | None:
    """The pointer in ``data`` if it is a Git LFS pointer file, else None."""
    if len(data) > LFS_POINTER_MAX_BYTES or not data.startswith(LFS_SPEC_LINE + b"\n"):
        return None
    fields = dict(line.split(" ", 1) for line in data.decode("utf-8", "replace").splitlines() if " " in line)
    oid, size = fields.get("oid", ""), fields.get("size", "")
    if not oid.startswith("sha256:") or not _SHA256_HEX.fullmatch(oid[7:]) or not size.isdigit():
        return None
    return LFSPointer(oid[7:], int(size))


def github_lfs_batch_url(url: str) -> str:
    """The LFS batch endpoint of the GitHub repository a raw/media/blob URL points into."""
    parts = urllib.parse.urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if parts.hostname == "raw.githubusercontent.com" and len(segments) >= 2:
        owner, repo = segments[:2]
    elif parts.hostname == "media.githubusercontent.com" and len(segments) >= 3 and segments[0] == "media":
        owner, repo = segments[1:3]
    elif parts.hostname == "github.com" and len(segments) >= 3 and segments[2] in ("raw", "blob"):
        owner, repo = segments[:2]
    else:
        raise FetchError(f"cannot derive a Git LFS endpoint from {url}: pass lfs_batch_url")
    return f"https://github.com/{owner}/{repo.removesuffix('.git')}.git/info/lfs/objects/batch"


@contextmanager
def _temp_next_to(dest: Path) -> Iterator[Path]:
    """A fresh temporary file beside ``dest``, renamed onto it on success, removed on failure."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        tmp.chmod(0o644)  # mkstemp's 0600 is meant for secrets, not data files
        yield tmp
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _verify(dest: Path, source: str | os.PathLike, expected: str | None, actual: str, what: str = "SHA-256") -> None:
    if expected is not None and expected.lower() != actual:
        raise ChecksumError(f"{what} mismatch (from {source}): expected {expected.lower()}, got {actual}", dest)


def _copy_hashing(source: BinaryIO, target: Path) -> tuple[str, int]:
    """Copy a stream into ``target``; return its hex SHA-256 and size."""
    digest, size = hashlib.sha256(), 0
    with open(target, "wb") as out:
        for chunk in iter(lambda: source.read(CHUNK_BYTES), b""):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _is_transient(error: Exception) -> bool:
    if isinstance(error, urllib.error.HTTPError):
        return error.code >= 500 or error.code in (408, 429)
    return isinstance(error, (urllib.error.URLError, HTTPException, OSError))


def _with_retries(action: Callable[[], T], what: str, retries: int, backoff: float) -> T:
    """Run ``action``; retry transient network errors ``retries`` times, waiting backoff * 2**k."""
    attempt = 0
    while True:
        try:
            return action()
        except Exception as error:  # noqa: BLE001 -- classified just below
            if not _is_transient(error):
                raise FetchError(f"{what} failed: {error}") from error
            if attempt >= retries:
                raise FetchError(f"{what} failed after {attempt + 1} attempt(s): {error}") from error
            wait = backoff * 2**attempt
            log.warning("%s failed (%s); retrying in %.1f s", what, error, wait)
            time.sleep(wait)
            attempt += 1


def _download(
    url: str, target: Path, *, timeout: float, retries: int, backoff: float, headers: dict[str, str] | None = None
) -> tuple[str, int]:
    """GET ``url`` into ``target`` (overwriting it); return its SHA-256 and size."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})

    def attempt() -> tuple[str, int]:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return _copy_hashing(response, target)

    return _with_retries(attempt, f"GET {url}", retries, backoff)


def _lfs_download_action(
    batch_url: str, pointer: LFSPointer, *, timeout: float, retries: int, backoff: float
) -> tuple[str, dict[str, str]]:
    """Ask an LFS batch endpoint where to download ``pointer``'s object: (href, headers)."""
    body = {"operation": "download", "transfers": ["basic"], "objects": [{"oid": pointer.oid, "size": pointer.size}]}
    request = urllib.request.Request(
        batch_url,
        data=json.dumps(body).encode("utf-8"),
        headers={"Accept": LFS_MEDIA_TYPE, "Content-Type": LFS_MEDIA_TYPE, "User-Agent": USER_AGENT},
        method="POST",
    )

    def attempt() -> bytes:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()

    raw = _with_retries(attempt, f"POST {batch_url}", retries, backoff)
    try:
        (entry,) = json.loads(raw)["objects"]
        if "error" in entry:
            error = entry["error"]
            raise FetchError(f"LFS server at {batch_url} refused object {pointer.oid}: {error.get('message', error)}")
        download = entry["actions"]["download"]
        return download["href"], dict(download.get("header") or {})
    except (ValueError, KeyError, TypeError) as error:
        raise FetchError(f"unexpected answer from LFS server at {batch_url}: {error!r}") from error


def fetch_url(
    url: str,
    dest: str | os.PathLike,
    sha256: str | None = None,
    retries: int = 3,
    lfs: bool = False,
    timeout: float = 60.0,
    *,
    backoff: float = 2.0,
    lfs_batch_url: str | None = None,
) -> Path:
    """Download ``url`` to ``dest`` atomically and return ``dest``.

    ``sha256``: expected hex digest of the final file (ChecksumError naming the
    file and both digests otherwise). ``retries``: extra attempts after network
    errors, HTTP 5xx, 408 and 429, waiting ``backoff * 2**k`` seconds; other
    HTTP errors fail at once (FetchError). ``lfs``: resolve a Git LFS pointer
    through the batch API at ``lfs_batch_url`` (default: derived from a GitHub
    URL) and verify the object against the pointer's oid and size.
    """
    dest = Path(dest)
    options = {"timeout": timeout, "retries": retries, "backoff": backoff}
    with _temp_next_to(dest) as tmp:
        digest, size = _download(url, tmp, **options)
        pointer = parse_lfs_pointer(tmp.read_bytes()) if size <= LFS_POINTER_MAX_BYTES else None
        if pointer is not None:
            if not lfs:
                raise DataError(f"{url} returned a Git LFS pointer, not the data: fetch it with lfs=True", dest)
            _verify(dest, url, sha256, pointer.oid, "LFS pointer oid")
            href, headers = _lfs_download_action(lfs_batch_url or github_lfs_batch_url(url), pointer, **options)
            digest, size = _download(href, tmp, headers=headers, **options)
            _verify(dest, href, pointer.oid, digest, "LFS object SHA-256")
            if size != pointer.size:
                message = f"LFS object size mismatch (from {href}): expected {pointer.size} bytes, got {size}"
                raise ChecksumError(message, dest)
        _verify(dest, url, sha256, digest)
    log.info("fetched %s -> %s (%d bytes, sha256 %s)", url, dest, size, digest)
    return dest


def copy_local(src: str | os.PathLike, dest: str | os.PathLike, sha256: str | None = None) -> Path:
    """Copy a local file to ``dest`` atomically, checking ``sha256`` when given; return ``dest``."""
    src, dest = Path(src), Path(dest)
    if not src.is_file():
        raise DataError("source file does not exist", src)
    with _temp_next_to(dest) as tmp:
        with open(src, "rb") as source:
            digest, _ = _copy_hashing(source, tmp)
        _verify(dest, src, sha256, digest)
    log.info("copied %s -> %s (sha256 %s)", src, dest, digest)
    return dest
