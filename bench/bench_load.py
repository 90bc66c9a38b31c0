"""The worklist under 50 concurrent users: p50/p95 against the same with 1 user, and
throughput and p95 against a trivial page of the same server under the same load, one run.

Run: .venv/bin/python bench/bench_load.py [--users 50] [--requests 20] [--single 60]
     [--rounds 3] [--memos 20000] [--no-keep-alive] [--workers N] [--threads N]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres). It creates the database
attest_bench_load, fills it with bench/seed_scale.py (20 organisations), gives 50
attesters (avdelningschefer and stadsdelsdirektörer, whose start page lists what waits for
them) a password (hashed at a low argon2 cost: the logins are not measured), and starts
the real server as a subprocess: ``attest serve --prod`` (gunicorn, its default number of
workers and threads unless --workers/--threads say otherwise) on 127.0.0.1. The 50 log
in through the login form; then the load generator, threads with one keep-alive
connection per user, fetches the start page with its worklist ("Att attestera"):

- 1 user: one connection, one request at a time, cycling through the 50 sessions,
  --single requests a round;
- 50 users: 50 connections, each user fetching its page --requests times, no pause.

- 50 users, the baseline: the same, fetching a trivial page of the app (/healthz: the
  same server, middleware and session cookie, one SELECT 1).

The three alternate, --rounds times, so that other work on the machine weighs on all.
Every answer must be a 200 with the worklist; anything else stops the run. The generator
stops by itself after a fixed number of requests; the server and the database are removed
at the end. Latency is from sending the request to the last byte of the answer. The CPU
the server, its PostgreSQL backends, the generator and everything else used is printed:
on a shared machine the throughput says little without it.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402

from bench.report import ADMIN_URL, drop_database, fresh_database, percentile, ratio  # noqa: E402

DATABASE = "attest_bench_load"
PASSWORD = "belastning-2024-lösenord"
HOST = "127.0.0.1"
WORKLIST_MARK = 'class="list worklist"'  # the table of what waits: never empty here
# The baseline: a trivial page of the same app, through the same server, middleware and
# session cookie, with one query (SELECT 1) and a small JSON answer.
TRIVIAL_PATH, TRIVIAL_MARK = "/healthz", '"status":"ok"'
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def prepare(url: str, memos: int, users: int) -> list[str]:
    """Seed the database; give `users` attesters with something waiting a password."""
    from attest import db
    from attest.users.models import User, UserRole
    from attest.workflow.models import Submission
    from bench.seed_scale import _app, seed

    seed(url, memos, 20)
    app = _app(url)
    with app.app_context():
        session = db.session()
        waiting = (
            sa.select(Submission.current_assignee_id)
            .where(Submission.status == "active")
            .group_by(Submission.current_assignee_id)
        )
        people = session.scalars(
            sa.select(User)
            .join(UserRole)
            .where(
                UserRole.role_code.in_(("avdelningschef", "stadsdelsdirektor")),
                User.id.in_(waiting),
            )
            .order_by(User.organisation_id, User.id)
        ).all()
        # Spread over the organisations: the first of each, then the second of each, ...
        by_org: dict[int, list[User]] = {}
        for person in people:
            by_org.setdefault(person.organisation_id, []).append(person)
        chosen: list[User] = []
        while len(chosen) < users and any(by_org.values()):
            for queue in by_org.values():
                if queue and len(chosen) < users:
                    chosen.append(queue.pop(0))
        if len(chosen) < users:
            raise SystemExit(f"only {len(chosen)} attesters have a worklist; seed more memos")
        # One argon2id hash (salt and cost inside it) serves them all; at a low cost, as the
        # logins are not what is measured and would otherwise take most of the run.
        hashed = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
        for person in chosen:
            person.password_hash = hashed
        session.commit()
        names = [person.username for person in chosen]
    db.engine_of(app).dispose()
    return names


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(
    url: str, port: int, folder: Path, log: Path, options: tuple[str, ...] = ()
) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    env.update(
        ATTEST_INSTANCE_PATH=str(folder),
        ATTEST_SECRET_KEY="bench-load",
        ATTEST_DATABASE_URL=url,
        ATTEST_SIGNING="record-only",  # the worklist signs nothing; the seeded orgs have no keys
    )
    script = Path(sys.executable).parent / "attest"
    with log.open("wb") as out:  # a file, never a pipe nobody reads: the server logs each request
        server = subprocess.Popen(
            [str(script), "serve", "--prod", "--host", HOST, "--port", str(port), *options],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 90
    while True:
        try:
            status, _, _ = request(http.client.HTTPConnection(HOST, port, timeout=5), "/healthz")
            if status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit("the server did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.3)


def request(
    connection: http.client.HTTPConnection,
    path: str,
    *,
    cookie: str = "",
    body: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], str]:
    """One request on a kept-alive connection: status, the cookies it set, the page."""
    headers = {"Cookie": cookie} if cookie else {}
    if body is None:
        connection.request("GET", path, headers=headers)
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request("POST", path, urllib.parse.urlencode(body), headers=headers)
    response = connection.getresponse()
    page = response.read().decode("utf-8", "replace")
    cookies = {}
    for header in response.headers.get_all("Set-Cookie") or ():
        name, _, value = header.split(";", 1)[0].partition("=")
        cookies[name.strip()] = value.strip()
    return response.status, cookies, page


def login(port: int, username: str) -> str:
    """Log in through the form as a browser does; the Cookie header of the session."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        status, cookies, page = request(connection, "/auth/login")
        match = _CSRF.search(page)
        assert status == 200 and match, (status, page[:500])
        csrf = match.group(1) or match.group(2)
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        status, cookies, page = request(
            connection,
            "/auth/login",
            cookie=cookie,
            body={"csrf_token": csrf, "username": username, "password": PASSWORD},
        )
        assert status == 302 and cookies, f"login as {username}: {status} {page[:500]}"
        return "; ".join(f"{k}={v}" for k, v in cookies.items())
    finally:
        connection.close()


class Client:
    """One keep-alive connection; reconnects (and says so) if the server closed it.

    With keep_alive False it opens a connection per request, as a proxy in front of
    gunicorn usually does (nginx speaks HTTP/1.0 to its upstream by default).
    """

    keep_alive = True

    def __init__(self, port: int) -> None:
        self.port = port
        self.reconnects = 0
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)

    def worklist(self, cookie: str) -> float:
        """Fetch the start page; milliseconds. Anything but the worklist stops the run."""
        return self.fetch(cookie, "/", WORKLIST_MARK)

    def trivial(self, cookie: str) -> float:
        """Fetch the baseline page; milliseconds."""
        return self.fetch(cookie, TRIVIAL_PATH, TRIVIAL_MARK)

    def fetch(self, cookie: str, path: str, mark: str) -> float:
        """One page; milliseconds. A status other than 200, or no mark, stops the run."""
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                status, _, page = request(self.connection, path, cookie=cookie)
            except (http.client.RemoteDisconnected, ConnectionError):
                if attempt == 2:
                    raise
                self.connection.close()
                self.connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
                self.reconnects += 1
                continue
            if not self.keep_alive:
                self.connection.close()
            elapsed = (time.perf_counter() - started) * 1000
            if status != 200 or mark not in page:
                raise SystemExit(f"{path} answered {status} without {mark!r}: {page[:300]}")
            return elapsed
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.connection.close()


_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


class CpuShares:
    """Who used the machine's CPU between start() and stop(): the server, this process, the rest."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.admin = sa.create_engine(ADMIN_URL, poolclass=sa.pool.NullPool)
        self.totals = dict.fromkeys(("server", "database", "generator", "machine", "wall"), 0.0)

    def _now(self) -> dict[str, float]:
        server = [self.server_pid, *_children(self.server_pid)]
        with self.admin.connect() as connection:
            backends = connection.scalars(
                sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
                {"name": DATABASE},
            ).all()
        busy = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        # user nice system idle iowait irq softirq steal: busy is all but idle and iowait
        machine = sum(int(v) for i, v in enumerate(busy[:8]) if i not in (3, 4)) / _TICKS
        usage = os.times()
        return {
            "server": sum(_process_cpu(pid) for pid in server),
            "database": sum(_process_cpu(pid) for pid in backends),
            "generator": usage.user + usage.system,
            "machine": machine,
            "wall": time.perf_counter(),
        }

    def start(self) -> None:
        self._started = self._now()

    def stop(self) -> None:
        now = self._now()
        for key in self.totals:
            self.totals[key] += now[key] - self._started[key]

    def summary(self) -> str:
        capacity = self.totals["wall"] * (os.cpu_count() or 1)
        server, database = self.totals["server"], self.totals["database"]
        generator = self.totals["generator"]
        rest = max(0.0, self.totals["machine"] - server - database - generator)
        idle = max(0.0, capacity - self.totals["machine"])
        return (
            f"CPU of the {os.cpu_count()} cores: gunicorn {server / capacity:.0%}, "
            f"its PostgreSQL backends {database / capacity:.0%}, load generator "
            f"{generator / capacity:.0%}, other work {rest / capacity:.0%}, "
            f"idle {idle / capacity:.0%}"
        )


def one_user(port: int, cookies: list[str], count: int) -> tuple[list[float], float, int]:
    client = Client(port)
    started = time.perf_counter()
    samples = [client.worklist(cookies[i % len(cookies)]) for i in range(count)]
    wall = time.perf_counter() - started
    client.close()
    return samples, wall, client.reconnects


def many_users(
    port: int, cookies: list[str], each: int, *, trivial: bool = False
) -> tuple[list[float], float, int]:
    clients = [Client(port) for _ in cookies]  # each connects on its first request
    barrier = threading.Barrier(len(cookies) + 1)

    def user(client: Client, cookie: str) -> list[float]:
        barrier.wait()
        fetch = client.trivial if trivial else client.worklist
        return [fetch(cookie) for _ in range(each)]

    with concurrent.futures.ThreadPoolExecutor(len(cookies)) as pool:
        futures = [pool.submit(user, c, k) for c, k in zip(clients, cookies)]
        barrier.wait()
        started = time.perf_counter()
        samples = [ms for future in futures for ms in future.result()]
        wall = time.perf_counter() - started
    for client in clients:
        client.close()
    return samples, wall, sum(c.reconnects for c in clients)


def load(port: int, names: list[str], args: argparse.Namespace, shares: dict[str, CpuShares]):
    """Log the users in, then the rounds: 1 user, then all of them, alternating."""
    started = time.perf_counter()
    # The first login alone: it writes the audit log's first event, which creates the
    # chain's head row; concurrent first events on an empty log collide (reported).
    cookies = [login(port, names[0])]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        cookies += pool.map(lambda name: login(port, name), names[1:])
    print(f"{len(cookies)} users logged in in {time.perf_counter() - started:.1f} s")
    one_user(port, cookies, len(cookies))  # every session's first page, once
    single: list[float] = []
    many: list[float] = []
    baseline: list[float] = []
    walls = {"1": 0.0, "n": 0.0, "t": 0.0}
    reconnects = 0
    for round_ in range(1, args.rounds + 1):
        shares["1"].start()
        samples, wall, again = one_user(port, cookies, args.single)
        shares["1"].stop()
        single += samples
        walls["1"] += wall
        reconnects += again
        shares["n"].start()
        samples, wall, again = many_users(port, cookies, args.requests)
        shares["n"].stop()
        many += samples
        walls["n"] += wall
        reconnects += again
        shares["t"].start()
        samples, wall, again = many_users(port, cookies, args.requests, trivial=True)
        shares["t"].stop()
        baseline += samples
        walls["t"] += wall
        reconnects += again
        print(
            f"round {round_}: 1 user p95 {percentile(single, 0.95):.1f} ms, "
            f"{len(cookies)} users p95 {percentile(many, 0.95):.1f} ms, "
            f"trivial page p95 {percentile(baseline, 0.95):.1f} ms"
        )
    return single, many, baseline, walls, reconnects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="per user, per round")
    parser.add_argument("--single", type=int, default=60, help="1-user requests per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memos", type=int, default=20_000)
    parser.add_argument("--workers", type=int, help="gunicorn's (default: attest serve's)")
    parser.add_argument("--threads", type=int, help="per worker (default: attest serve's)")
    parser.add_argument(
        "--keep-alive",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="one connection per user (default), or one per request (--no-keep-alive)",
    )
    args = parser.parse_args()
    Client.keep_alive = args.keep_alive
    # run.py stops a script over its time limit with SIGTERM: clean up as on an error.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"stopped by signal {signal.SIGTERM}"))

    url = fresh_database(DATABASE)
    server = None
    try:
        started = time.perf_counter()
        names = prepare(url, args.memos, args.users)
        print(f"seeded {args.memos} memos, {len(names)} attesters in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        with tempfile.TemporaryDirectory() as folder:
            port = _free_port()
            log = Path(folder) / "server.log"
            sizes = {"--workers": args.workers, "--threads": args.threads}
            options = tuple(x for k, v in sizes.items() if v for x in (k, str(v)))
            server = start_server(url, port, Path(folder), log, options)
            boot = log.read_text(errors="replace")
            workers = boot.count("Booting worker")
            banner = re.search(r"gunicorn: (\d+) processer × (\d+) trådar", boot)
            setup = f"{banner.group(1)} workers x {banner.group(2)} threads" if banner else ""
            print(f"server: attest serve --prod on port {port}; {setup} ({workers} booted)")
            shares = {key: CpuShares(server.pid) for key in ("1", "n", "t")}
            try:
                single, many, baseline, walls, reconnects = load(port, names, args, shares)
            except BaseException:
                print("the server's log ends:\n" + log.read_text(errors="replace")[-4000:])
                raise
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        drop_database(DATABASE)

    n = args.users
    rates = {
        "1": len(single) / walls["1"],
        "n": len(many) / walls["n"],
        "t": len(baseline) / walls["t"],
    }
    p = {
        key: (percentile(samples, 0.5), percentile(samples, 0.95))
        for key, samples in (("1", single), ("n", many), ("t", baseline))
    }
    print(f"{'':<10}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}{'req/s':>10}")
    for key, label, samples in (
        ("1", "1 user", single),
        ("n", f"{n} users", many),
        ("t", f"{n} trivial", baseline),
    ):
        print(f"{label:<10}{len(samples):>10}{p[key][0]:>10.1f}{p[key][1]:>10.1f}"
              f"{rates[key]:>10.1f}")  # fmt: skip
    if reconnects:
        print(f"{reconnects} connections closed by the server were opened again")
    print(f"1 user: {shares['1'].summary()}")
    print(f"{n} users: {shares['n'].summary()}")
    print(f"{n} users, trivial page: {shares['t'].summary()}")
    where = f"gunicorn {setup} on {os.cpu_count()} cores, shared with the load generator"
    ratio(
        f"worklist throughput / trivial page's ({TRIVIAL_PATH}), {n} concurrent users",
        rates["n"] / rates["t"],
        ">= 0.5",
        f"{rates['n']:.0f} vs {rates['t']:.0f} pages/s, the same server and users, alternating",
    )
    ratio(
        f"worklist p95 / trivial page's p95, {n} concurrent users",
        p["n"][1] / p["t"][1],
        "<= 3",
        f"{p['n'][1]:.0f} ms vs {p['t'][1]:.0f} ms; {len(many)} and {len(baseline)} requests",
    )
    ratio(
        f"worklist p95, {n} concurrent users / 1 user",
        p["n"][1] / p["1"][1],
        None,
        f"{p['n'][1]:.0f} ms vs {p['1'][1]:.0f} ms; {where}",
    )
    ratio(
        f"worklist p50, {n} concurrent users / 1 user",
        p["n"][0] / p["1"][0],
        None,
        f"{p['n'][0]:.0f} ms vs {p['1'][0]:.0f} ms; {len(many)} and {len(single)} requests",
    )
    ratio(
        f"worklist throughput, {n} concurrent users / 1 user",
        rates["n"] / rates["1"],
        None,
        f"{rates['n']:.0f} vs {rates['1']:.0f} pages/s; {shares['n'].summary()}",
    )


if __name__ == "__main__":
    main()
