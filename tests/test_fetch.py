"""Fetching raw data: checksums, retries, atomic writes and Git LFS, against a local HTTP server."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from stepwise.data.fetch import (
    ChecksumError,
    FetchError,
    copy_local,
    fetch_url,
    github_lfs_batch_url,
    parse_lfs_pointer,
)
from stepwise.io import DataError

DATA = b'{"question": "1+1?", "answer": "2\\n#### 2"}\n' * 50
DATA_SHA = hashlib.sha256(DATA).hexdigest()
LFS_OBJECT = b'{"problem": "big file stored in LFS"}\n' * 40
LFS_OID = hashlib.sha256(LFS_OBJECT).hexdigest()
POINTER = f"version https://git-lfs.github.com/spec/v1\noid sha256:{LFS_OID}\nsize {len(LFS_OBJECT)}\n".encode()
BATCH_PATH = "/owner/repo.git/info/lfs/objects/batch"
SERVER_LIFETIME_S = 60  # the server thread ends by itself after this, whatever happens to the test


class LocalServer:
    """A tiny HTTP server on 127.0.0.1: static files, an LFS batch endpoint, and injected failures.

    ``fail_next`` makes the next k requests (whose method is in ``fail_methods``)
    fail, with HTTP 503 or by closing the connection without an answer
    (``fail_mode = "drop"``).
    """

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.lfs_objects: dict[str, bytes] = {}  # oid -> bytes served for it
        self.fail_next = 0
        self.fail_mode = "503"
        self.fail_methods = {"GET", "POST"}
        self.requests: list[tuple[str, str]] = []
        self.batch_bodies: list[dict] = []
        self.batch_headers: list[dict] = []
        self.object_headers: list[dict] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.timeout = 0.1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def _serve(self) -> None:
        deadline = time.monotonic() + SERVER_LIFETIME_S
        while not self._stop.is_set() and time.monotonic() < deadline:
            self._httpd.handle_request()
        self._httpd.server_close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _injected_failure(self, handler: BaseHTTPRequestHandler) -> bool:
        if self.fail_next <= 0 or handler.command not in self.fail_methods:
            return False
        self.fail_next -= 1
        if self.fail_mode == "drop":
            handler.close_connection = True
            handler.connection.close()
        else:
            handler.send_error(503, "try again")
        return True

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _reply(self, status: int, body: bytes, content_type: str = "application/octet-stream") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                server.requests.append(("GET", self.path))
                if server._injected_failure(self):
                    return
                if self.path.startswith("/objects/"):
                    server.object_headers.append(dict(self.headers))
                    oid = self.path.removeprefix("/objects/")
                    if oid in server.lfs_objects:
                        return self._reply(200, server.lfs_objects[oid])
                if self.path in server.files:
                    return self._reply(200, server.files[self.path])
                self.send_error(404)

            def do_POST(self) -> None:
                server.requests.append(("POST", self.path))
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if server._injected_failure(self):
                    return
                if self.path != BATCH_PATH:
                    return self.send_error(404)
                server.batch_bodies.append(body)
                server.batch_headers.append(dict(self.headers))
                objects = []
                for obj in body["objects"]:
                    if obj["oid"] in server.lfs_objects:
                        href = f"{server.base}/objects/{obj['oid']}"
                        actions = {"download": {"href": href, "header": {"Authorization": "RemoteAuth t0ken"}}}
                        objects.append({**obj, "actions": actions})
                    else:
                        objects.append({**obj, "error": {"code": 404, "message": "Object does not exist"}})
                answer = json.dumps({"transfer": "basic", "objects": objects}).encode()
                self._reply(200, answer, "application/vnd.git-lfs+json")

        return Handler


@pytest.fixture
def server():
    local = LocalServer()
    local.files["/data.jsonl"] = DATA
    local.files["/repo/pointer.jsonl"] = POINTER
    local.lfs_objects[LFS_OID] = LFS_OBJECT
    yield local
    local.close()


def fetch(server: LocalServer, path: str, dest: Path, **options) -> Path:
    """fetch_url against the local server, with no waiting between retries."""
    options.setdefault("backoff", 0.0)
    options.setdefault("timeout", 5.0)
    return fetch_url(server.base + path, dest, **options)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_download_with_matching_checksum(server, tmp_path):
    dest = tmp_path / "sub" / "train.jsonl"
    assert fetch(server, "/data.jsonl", dest, sha256=DATA_SHA) == dest
    assert dest.read_bytes() == DATA
    assert leftovers(dest.parent) == ["train.jsonl"]  # the temporary file is gone


def test_checksum_mismatch_names_file_and_digests_and_touches_nothing_else(server, tmp_path):
    dest = tmp_path / "train.jsonl"
    dest.write_bytes(b"previous version")
    (tmp_path / "neighbour.txt").write_text("keep me")
    wrong = "0" * 64
    with pytest.raises(ChecksumError) as caught:
        fetch(server, "/data.jsonl", dest, sha256=wrong)
    message = str(caught.value)
    assert str(dest) in message and wrong in message and DATA_SHA in message
    assert dest.read_bytes() == b"previous version"
    assert (tmp_path / "neighbour.txt").read_text() == "keep me"
    assert leftovers(tmp_path) == ["neighbour.txt", "train.jsonl"]


@pytest.mark.parametrize("mode", ["503", "drop"])
def test_transient_failures_are_retried(server, tmp_path, mode):
    server.fail_next, server.fail_mode = 2, mode
    dest = fetch(server, "/data.jsonl", tmp_path / "d.jsonl", sha256=DATA_SHA, retries=3)
    assert dest.read_bytes() == DATA
    assert server.requests == [("GET", "/data.jsonl")] * 3


def test_gives_up_after_the_retries(server, tmp_path):
    server.fail_next = 10
    with pytest.raises(FetchError, match="after 3 attempt"):
        fetch(server, "/data.jsonl", tmp_path / "d.jsonl", retries=2)
    assert len(server.requests) == 3
    assert leftovers(tmp_path) == []


def test_retries_wait_with_backoff(server, tmp_path):
    server.fail_next = 2
    start = time.monotonic()
    fetch(server, "/data.jsonl", tmp_path / "d.jsonl", retries=2, backoff=0.1)
    assert time.monotonic() - start >= 0.1 + 0.2  # waits backoff, then 2 * backoff


def test_not_found_is_not_retried(server, tmp_path):
    with pytest.raises(FetchError, match="404"):
        fetch(server, "/missing.jsonl", tmp_path / "d.jsonl", retries=3)
    assert len(server.requests) == 1
    assert leftovers(tmp_path) == []


def test_lfs_pointer_is_resolved_through_the_batch_api(server, tmp_path):
    dest = fetch(server, "/repo/pointer.jsonl", tmp_path / "p.jsonl", lfs=True, lfs_batch_url=server.base + BATCH_PATH)
    assert dest.read_bytes() == LFS_OBJECT
    assert server.batch_bodies == [
        {"operation": "download", "transfers": ["basic"], "objects": [{"oid": LFS_OID, "size": len(LFS_OBJECT)}]}
    ]
    assert server.batch_headers[0]["Accept"] == "application/vnd.git-lfs+json"
    assert server.object_headers[0]["Authorization"] == "RemoteAuth t0ken"  # the batch answer's header is sent
    assert leftovers(tmp_path) == ["p.jsonl"]


def test_lfs_fetch_checks_the_given_sha256_against_the_pointer(server, tmp_path):
    batch = server.base + BATCH_PATH
    fetch(server, "/repo/pointer.jsonl", tmp_path / "ok.jsonl", lfs=True, lfs_batch_url=batch, sha256=LFS_OID)
    with pytest.raises(ChecksumError, match=LFS_OID):
        fetch(server, "/repo/pointer.jsonl", tmp_path / "bad.jsonl", lfs=True, lfs_batch_url=batch, sha256="1" * 64)
    assert leftovers(tmp_path) == ["ok.jsonl"]


def test_lfs_batch_post_is_retried(server, tmp_path):
    server.fail_next, server.fail_methods = 1, {"POST"}
    batch = server.base + BATCH_PATH
    dest = fetch(server, "/repo/pointer.jsonl", tmp_path / "p.jsonl", lfs=True, lfs_batch_url=batch, retries=1)
    assert dest.read_bytes() == LFS_OBJECT
    assert [r for r in server.requests if r[0] == "POST"] == [("POST", BATCH_PATH)] * 2


def test_corrupt_lfs_object_is_rejected(server, tmp_path):
    server.lfs_objects[LFS_OID] = LFS_OBJECT[:-1] + b"!"
    with pytest.raises(ChecksumError, match="LFS object"):
        fetch(server, "/repo/pointer.jsonl", tmp_path / "p.jsonl", lfs=True, lfs_batch_url=server.base + BATCH_PATH)
    assert leftovers(tmp_path) == []


def test_missing_lfs_object_is_a_fetch_error(server, tmp_path):
    del server.lfs_objects[LFS_OID]
    with pytest.raises(FetchError, match="Object does not exist"):
        fetch(server, "/repo/pointer.jsonl", tmp_path / "p.jsonl", lfs=True, lfs_batch_url=server.base + BATCH_PATH)
    assert leftovers(tmp_path) == []


def test_pointer_without_lfs_flag_is_an_error_not_data(server, tmp_path):
    with pytest.raises(DataError, match="Git LFS pointer"):
        fetch(server, "/repo/pointer.jsonl", tmp_path / "p.jsonl")
    assert leftovers(tmp_path) == []


def test_lfs_flag_on_a_plain_file_keeps_the_file(server, tmp_path):
    dest = fetch(server, "/data.jsonl", tmp_path / "d.jsonl", lfs=True, sha256=DATA_SHA)
    assert dest.read_bytes() == DATA
    assert not any(method == "POST" for method, _ in server.requests)


def test_parse_lfs_pointer():
    pointer = parse_lfs_pointer(POINTER)
    assert pointer is not None and (pointer.oid, pointer.size) == (LFS_OID, len(LFS_OBJECT))
    assert parse_lfs_pointer(DATA) is None
    assert parse_lfs_pointer(POINTER.replace(b"sha256:", b"md5:")) is None
    assert parse_lfs_pointer(POINTER.replace(f"size {len(LFS_OBJECT)}".encode(), b"size many")) is None


def test_github_lfs_batch_url():
    expected = "https://github.com/openai/prm800k.git/info/lfs/objects/batch"
    for url in (
        "https://raw.githubusercontent.com/openai/prm800k/main/prm800k/data/phase2_train.jsonl",
        "https://github.com/openai/prm800k/raw/main/prm800k/data/phase2_train.jsonl",
        "https://media.githubusercontent.com/media/openai/prm800k/main/prm800k/data/phase2_train.jsonl",
    ):
        assert github_lfs_batch_url(url) == expected
    with pytest.raises(FetchError, match="lfs_batch_url"):
        github_lfs_batch_url("https://example.org/openai/prm800k/data.jsonl")


def test_copy_local(tmp_path):
    src = tmp_path / "src.jsonl"
    src.write_bytes(DATA)
    dest = copy_local(src, tmp_path / "out" / "copy.jsonl", sha256=DATA_SHA)
    assert dest.read_bytes() == DATA
    assert leftovers(dest.parent) == ["copy.jsonl"]


def test_copy_local_mismatch_keeps_everything_else(tmp_path):
    src = tmp_path / "src.jsonl"
    src.write_bytes(DATA)
    dest = tmp_path / "copy.jsonl"
    dest.write_bytes(b"old")
    with pytest.raises(ChecksumError) as caught:
        copy_local(src, dest, sha256="f" * 64)
    assert "f" * 64 in str(caught.value) and DATA_SHA in str(caught.value) and str(dest) in str(caught.value)
    assert dest.read_bytes() == b"old" and src.read_bytes() == DATA
    assert leftovers(tmp_path) == ["copy.jsonl", "src.jsonl"]


def test_copy_local_missing_source_names_it(tmp_path):
    with pytest.raises(DataError, match="missing.jsonl"):
        copy_local(tmp_path / "missing.jsonl", tmp_path / "copy.jsonl")
    assert leftovers(tmp_path) == []
