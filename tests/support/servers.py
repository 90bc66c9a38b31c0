"""Servers for the tests: the real server as a subprocess (``attest serve`` or gunicorn), the
app in a thread, a visitor over HTTP, and a TCP proxy that can take the database away.

Every server listens on a free port of 127.0.0.1, so pytest-xdist workers never collide.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any, Iterator, Mapping

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.support import factories

ATTEST = Path(sys.executable).parent / "attest"

# What the test app's configuration means for a server process (ATTEST_* variables).
_PASSED_ON = (
    "SECRET_KEY",
    "KEY_PASSPHRASE",
    "DATABASE_URL",
    "SIGNING",
    "KEYS_DIR",
    "KEY_KDF_ROUNDS",
    "ARGON2_TIME_COST",
    "ARGON2_MEMORY_COST",
    "ARGON2_PARALLELISM",
    "BLOB_DIR",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass  # a line per request would bury a failure's output


@contextlib.contextmanager
def thread_server(app: Flask) -> Iterator[str]:
    """The app served by werkzeug in a thread of this process; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def server_env(app: Flask, **overrides: str) -> dict[str, str]:
    """The environment of a server that shares the test app's database, keys and blobs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATTEST_", "GUNICORN_"))}
    env["ATTEST_INSTANCE_PATH"] = app.instance_path
    env["ATTEST_LOG_LEVEL"] = "WARNING"
    for key in _PASSED_ON:
        if app.config.get(key) is not None:
            env[f"ATTEST_{key}"] = str(app.config[key])
    env.update(overrides)
    return env


class Server:
    """`attest serve --prod` (gunicorn), or plain `attest serve`, on a free port, its output
    in a log file. The one way the tests start a server process and wait for it.

    gunicorn loads the app once in its master (``attest serve --prod`` preloads), so a
    worker killed with SIGKILL is replaced by a fork that serves at once.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        log: Path,
        *,
        prod: bool = True,
        workers: int = 1,
        threads: int = 4,
    ) -> None:
        self.env = dict(env)
        self.log = log
        self.prod = prod
        self.workers = workers
        self.threads = threads
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        with self.log.open("ab") as output:
            command = [str(ATTEST), "serve", "--port", str(self.port)]
            if self.prod:
                command += ["--prod", "--workers", str(self.workers)]
                command += ["--threads", str(self.threads)]
            self.process = subprocess.Popen(
                command,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: master and workers
            )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60) -> None:
        """Until /healthz answers 200 (the database and the keys are there)."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None and self.process.poll() is None, self.output()
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as reply:
                    if reply.status == 200:
                        return
            except (OSError, http.client.HTTPException):
                pass
            assert time.monotonic() < deadline, "the server did not answer:\n" + self.output()
            time.sleep(0.05)

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the master's child processes."""
        assert self.process is not None
        pid = self.process.pid
        with contextlib.suppress(FileNotFoundError):
            return [int(n) for n in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        children = []  # a kernel without CONFIG_PROC_CHILDREN: every process's parent
        for entry in Path("/proc").iterdir():
            with contextlib.suppress(OSError, ValueError, IndexError):
                # pid (comm) state ppid ...; comm may hold spaces, so split after ")".
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    children.append(int(entry.name))
        return children

    def kill_workers(self) -> None:
        """SIGKILL the workers (the processes serving requests); the master forks new ones."""
        before = self.worker_pids()
        assert before, "no worker to kill"
        for pid in before:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while set(self.worker_pids()) & set(before) or not self.worker_pids():
            assert time.monotonic() < deadline, "gunicorn did not replace its worker"
            time.sleep(0.02)
        self.wait_ready()

    def kill(self) -> None:
        """SIGKILL the whole server, master and workers: nothing runs a cleanup."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def output(self, tail: int | None = 5000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text[-tail:] if tail else text


# --- A visitor: a browser's cookies and forms over HTTP --------------------------------


@dataclass
class Reply:
    status: int
    text: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return urllib.parse.urlsplit(self.headers.get("Location", "")).path


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 302 itself is the answer the tests look at


class Visitor:
    """One person's browser: a cookie jar, forms filled in as the page has them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirects()
        )

    def request(self, method: str, path: str, fields: Mapping[str, str] | None = None) -> Reply:
        body = urllib.parse.urlencode(fields).encode() if fields is not None else None
        request = urllib.request.Request(self.base_url + path, data=body, method=method)
        try:
            with self.opener.open(request, timeout=120) as reply:
                return Reply(reply.status, reply.read().decode(), dict(reply.headers))
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode(errors="replace"), dict(error.headers))

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, fields: Mapping[str, str]) -> Reply:
        return self.request("POST", path, fields)

    def login(self, username: str, password: str = factories.PASSWORD) -> Visitor:
        fields = self.form("/auth/login", "/auth/login")
        reply = self.post("/auth/login", {**fields, "username": username, "password": password})
        assert reply.status == 302, reply.text
        return self

    def form(self, page: str, action: str) -> dict[str, str]:
        """The fields of the form posting to ``action`` on ``page``, as the page filled them."""
        reply = self.get(page)
        assert reply.status == 200, (page, reply.status)
        return form_fields(reply.text, action, page)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._form: dict[str, str] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = self.forms.setdefault(urllib.parse.urlsplit(a.get("action", "")).path, {})
        elif self._form is None:
            return
        elif tag == "option" and self._select is not None:
            if "selected" in a or self._select not in self._form:
                self._form[self._select] = a.get("value", "")
        elif "name" not in a:
            return
        elif tag == "input" and a.get("type") not in ("submit", "file"):
            if a.get("type") != "checkbox" or "checked" in a:
                self._form[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form[self._textarea] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea is not None:
            text = self._form[self._textarea] + data
            self._form[self._textarea] = text.removeprefix("\n")  # the newline after <textarea>


def form_fields(page: str, action: str, page_path: str = "") -> dict[str, str]:
    """The fields of the form on ``page`` posting to ``action`` (a form without an action
    posts to ``page_path``, the page's own address)."""
    parser = _Forms()
    parser.feed(page)
    forms = {(path or page_path): fields for path, fields in parser.forms.items()}
    assert action in forms, f"no form posting to {action}: {sorted(forms)}"
    return forms[action]


# --- The database taken away: a TCP proxy in front of PostgreSQL ------------------------


class DatabaseProxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL; can drop every connection and refuse new
    ones, which is what a database restart does to its clients.

    ``cut_when(marker)`` arms a cut at the moment a client sends a statement containing the
    marker (the statement never reaches the server): a request dies in the middle of its
    transaction, deterministically. Clients must connect with sslmode=disable so the
    statements are readable here.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.connections = 0  # accepted in all
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._marker: bytes | None = None
        self._listener: socket.socket | None = None
        self._cut = threading.Event()  # set when an armed cut has happened

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def url(self, database_url: str) -> str:
        from sqlalchemy.engine import make_url

        url = make_url(database_url).set(host="127.0.0.1", port=self.port)
        url = url.update_query_dict({"sslmode": "disable"})
        return url.render_as_string(hide_password=False)

    def cut(self) -> None:
        """Drop every connection and refuse new ones until ``resume``."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        for sock in ([listener] if listener else []) + list(sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def cut_when(self, marker: bytes) -> threading.Event:
        self._cut.clear()
        self._marker = marker
        return self._cut

    def resume(self) -> None:
        self._marker = None
        if self._listener is None:
            self.start()

    def close(self) -> None:
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut: the listener is closed
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._sockets |= {client, upstream}
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        try:
            while True:
                readable, _, _ = select.select(list(peers), [], [])
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    marker = self._marker
                    if sock is client and marker is not None and marker in data:
                        # Said before the cut: the server answers as soon as its connection
                        # drops, and the test may look before this thread runs again.
                        self._marker = None
                        self._cut.set()
                        self.cut()
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return  # a socket closed by a cut
        finally:
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.close()
            with self._lock:
                self._sockets -= {client, upstream}
