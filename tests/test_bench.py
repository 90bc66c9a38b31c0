"""bench/run.py: the RATIO lines of fake benchmark scripts become the table of `make bench`.

The real benchmarks are measurements, not timed tests; these run stand-in scripts through
the same runner (subprocess, streamed output, time limit) and read back the table.
"""

import datetime as dt
import re
import sys
import textwrap
import time

import pytest

from bench import run
from bench.run import Outcome, Ratio, Script, collect, parse_ratio, run_script

pytestmark = pytest.mark.once  # uses no database: the SQLite pass runs it

FAKE_OUTPUT = """\
reference memo; median of 9 runs
freeze                      159.1 ms
RATIO\tattest vs bare pyHanko B-T\t1.19\t<= 1.3\t124.2 ms vs 103.9 ms
RATIO\tbulk verification, PDFs/s\t12.5\t>= 30\tpool of 2
RATIO\tworklist p95, 50 users / 1 user\t7.4\t-\tp95 310 ms vs 42 ms
RATIO\tbroken line\tnot-a-number\t-\tignored
RATIO only spaces 1.0
"""


def _script(tmp_path, name: str, body: str) -> Script:
    (tmp_path / name).write_text(textwrap.dedent(body), encoding="utf-8")
    return Script(name, timeout=30)


def test_ratio_lines_are_parsed_and_other_lines_ignored():
    found = collect(FAKE_OUTPUT.splitlines(keepends=True), "bench_fake.py")
    assert [r.label for r in found] == [
        "attest vs bare pyHanko B-T",
        "bulk verification, PDFs/s",
        "worklist p95, 50 users / 1 user",
    ]
    attest, bulk, worklist = found
    assert attest == Ratio(
        "attest vs bare pyHanko B-T", 1.19, "<= 1.3", "124.2 ms vs 103.9 ms", "bench_fake.py"
    )
    assert attest.met is True and bulk.met is False and worklist.met is None
    assert worklist.target is None
    assert parse_ratio("ratio attest/pyhanko 0.77") is None


def test_targets_are_compared_both_ways():
    assert run.target_met(1.3, "<= 1.3") and not run.target_met(1.31, "<=1.3")
    assert run.target_met(30, ">= 30") and not run.target_met(29.9, ">= 30")
    assert run.target_met(0.5, "< 1") and run.target_met(2, "> 1.5")
    assert run.target_met(1.0, "about 1") is None and run.target_met(1.0, None) is None


@pytest.mark.system
def test_runner_streams_a_script_and_tabulates_its_ratios(tmp_path):
    fake = _script(
        tmp_path,
        "bench_fake.py",
        f"""\
        import sys
        sys.stdout.write({FAKE_OUTPUT!r})
        """,
    )
    failing = _script(
        tmp_path,
        "bench_failing.py",
        """\
        print("RATIO\\tfirst half\\t0.9\\t<= 1\\tbefore the crash", flush=True)
        raise SystemExit(3)
        """,
    )
    silent = _script(tmp_path, "bench_silent.py", "print('no ratios here')\n")
    echoed: list[str] = []
    outcomes = [
        run_script(script, directory=tmp_path, echo=echoed.append)
        for script in (fake, failing, silent)
    ]
    assert "freeze                      159.1 ms\n" in echoed  # streamed, not only the ratios
    assert [o.ok for o in outcomes] == [True, False, False]
    assert [len(o.ratios) for o in outcomes] == [3, 1, 0]
    assert outcomes[1].returncode == 3 and outcomes[1].ratios[0].met is True

    assert run.rows(outcomes) == [
        ("attest vs bare pyHanko B-T", "1.19", "<= 1.3", "yes", "124.2 ms vs 103.9 ms"),
        ("bulk verification, PDFs/s", "12.50", ">= 30", "NO", "pool of 2"),
        ("worklist p95, 50 users / 1 user", "7.40", "-", "-", "p95 310 ms vs 42 ms"),
        ("first half", "0.90", "<= 1", "yes", "before the crash"),
        ("bench_failing.py", "-", "-", "NO", "failed (exit status 3)"),
        ("bench_silent.py", "-", "-", "NO", "printed no RATIO line"),
    ]
    table = run.format_table(outcomes).splitlines()
    assert table[0].split() == ["measure", "value", "target", "met", "detail"]
    assert len(table) == 2 + 6
    assert table[2].split("  ")[0] == "attest vs bare pyHanko B-T"
    assert re.search(r" 1\.19  <= 1\.3 +yes +124\.2 ms vs 103\.9 ms$", table[2])

    host = {
        "cpu": "Test CPU",
        "cores": "2",
        "ram": "1.0 GiB",
        "os": "Linux",
        "python": "3.11.2",
        "postgresql": "15.8",
    }
    markdown = run.format_markdown(
        outcomes,
        when=dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.timezone.utc),
        seconds=330,
        host=host,
        loads=("0.5, 0.4, 0.3", "2.0, 1.5, 1.0"),
        cpu="other processes 40 (12%)",
        note="The machine was shared.",
        speed=("120 ms", "250 ms"),
    )
    assert "2026-01-02 03:04 UTC" in markdown and "5.5 min" in markdown
    assert "took 120 ms at the start, 250 ms at the end" in markdown
    assert "Test CPU, 2 cores, 1.0 GiB RAM" in markdown and "PostgreSQL 15.8" in markdown
    assert "The machine was shared." in markdown and "other processes 40 (12%)" in markdown
    assert "| attest vs bare pyHanko B-T | 1.19 | <= 1.3 | yes | 124.2 ms vs 103.9 ms |" in (
        markdown
    )
    assert "| bench_failing.py | - | - | NO | failed (exit status 3) |" in markdown


@pytest.mark.system
def test_a_script_over_its_time_limit_is_stopped_with_what_it_printed(tmp_path):
    slow = _script(
        tmp_path,
        "bench_slow.py",
        """\
        import subprocess, sys, time
        print("RATIO\\tfast part\\t1.0\\t-\\t", flush=True)
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        print(child.pid, flush=True)
        time.sleep(60)
        """,
    )
    slow = Script(slow.name, timeout=3)
    echoed: list[str] = []
    started = time.monotonic()
    outcome = run_script(slow, python=sys.executable, directory=tmp_path, echo=echoed.append)
    assert time.monotonic() - started < 20
    assert outcome.timed_out and not outcome.ok and outcome.problem.startswith("stopped after")
    assert [r.label for r in outcome.ratios] == ["fast part"]
    child = int(echoed[1])
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the script's own subprocess outlived the time limit"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_every_benchmark_script_in_the_list_exists():
    missing = [s.name for s in run.SCRIPTS if not (run.HERE / s.name).is_file()]
    assert not missing
    assert Outcome("bench_x.py", returncode=0).problem == "printed no RATIO line"
