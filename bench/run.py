"""Run every benchmark and print one table of what they measured (`make bench`).

Run: .venv/bin/python bench/run.py [--only bench_load] [--write bench/RESULTS.md] [--note TEXT]

Each script runs as a subprocess with its own time limit; its output is streamed as it
comes, and its lines ``RATIO<TAB>label<TAB>value<TAB>target<TAB>detail`` (bench/report.py)
are collected. At the end: one table (label, value, target, whether it is met, detail),
the date, the machine and the total time; with --write, the same as Markdown. A script
that fails or runs out of time is a row of its own and makes the exit status 1; a target
that is not met does not (benchmarks are measurements, not tests).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import timeit
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

HERE = Path(__file__).resolve().parent
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


@dataclass(frozen=True)
class Script:
    name: str  # file name in bench/
    args: tuple[str, ...] = ()
    timeout: float = 300.0  # seconds


# In the order they run, the longest first. Together they take about 5 minutes on this
# 2-core machine; each limit is a few times its script's time, room for a loaded machine.
SCRIPTS = (
    Script("bench_scale.py", timeout=420),
    Script("bench_render.py", timeout=90),
    Script("bench_sign.py", timeout=150),
    Script("bench_attest.py", timeout=150),
    Script("bench_verify.py", args=("5", "24"), timeout=480),
    Script("bench_memory.py", timeout=240),
    Script("bench_load.py", timeout=240),
)


@dataclass(frozen=True)
class Ratio:
    label: str
    value: float
    target: str | None  # "<= 1.3", ">= 30" or None
    detail: str = ""
    script: str = ""

    @property
    def met(self) -> bool | None:
        """Whether the value meets the target; None without a (readable) target."""
        return target_met(self.value, self.target)


@dataclass
class Outcome:
    script: str
    returncode: int | None = None
    seconds: float = 0.0
    timed_out: bool = False
    ratios: list[Ratio] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def problem(self) -> str:
        if self.timed_out:
            return f"stopped after {self.seconds:.0f} s (time limit)"
        if self.returncode != 0:
            return f"failed (exit status {self.returncode})"
        if not self.ratios:
            return "printed no RATIO line"
        return ""


_TARGET = re.compile(r"^\s*(<=|>=|<|>)\s*([0-9]+(?:\.[0-9]+)?)\s*$")


def target_met(value: float, target: str | None) -> bool | None:
    match = _TARGET.match(target or "")
    if match is None:
        return None
    bound = float(match.group(2))
    return {
        "<=": value <= bound,
        ">=": value >= bound,
        "<": value < bound,
        ">": value > bound,
    }[match.group(1)]


def parse_ratio(line: str, script: str = "") -> Ratio | None:
    """The Ratio on a RATIO line; None for any other line (or a malformed one)."""
    if not line.startswith("RATIO\t"):
        return None
    parts = line.rstrip("\r\n").split("\t")
    if len(parts) < 4:
        return None
    try:
        value = float(parts[2])
    except ValueError:
        return None
    target = parts[3].strip()
    return Ratio(
        label=parts[1].strip(),
        value=value,
        target=None if target in ("", "-") else target,
        detail="\t".join(parts[4:]).strip(),
        script=script,
    )


def collect(lines: Iterable[str], script: str = "") -> list[Ratio]:
    return [r for r in (parse_ratio(line, script) for line in lines) if r is not None]


def run_script(
    script: Script,
    *,
    python: str = sys.executable,
    directory: Path = HERE,
    echo: Callable[[str], None] = lambda line: print(line, end="", flush=True),
) -> Outcome:
    """Run one script, echo its output as it comes, and collect its ratio lines."""
    outcome = Outcome(script.name)
    started = time.perf_counter()
    process = subprocess.Popen(
        [python, str(directory / script.name), *script.args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,  # its own process group: a time-out stops what it started
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            echo(line)
            found = parse_ratio(line, script.name)
            if found is not None:
                outcome.ratios.append(found)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        outcome.returncode = process.wait(timeout=script.timeout)
    except subprocess.TimeoutExpired:
        outcome.timed_out = True
        _stop_group(process)
        outcome.returncode = process.returncode
    reader.join(timeout=10)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the script's process group (it cleans up), SIGKILL if it does not end."""
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, Python, PostgreSQL, load average: what the figures depend on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count() or "?"),
        "ram": ram,
        "python": platform.python_version(),
        "postgresql": postgres_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def postgres_version() -> str:
    try:
        import psycopg

        with psycopg.connect(PG_DSN, connect_timeout=3) as connection:
            row = connection.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "?"
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable" here
        return f"not reachable ({type(exc).__name__})"


def host_speed() -> str:
    """Milliseconds of a fixed pure-Python loop, best of 3: how fast the host ran then.

    On a shared host the speed of a core changes from one hour to the next; the ratios
    compare within a run, this compares runs (and explains an absolute figure, PDFs/s).
    """
    best = min(timeit.repeat("sum(range(10_000_000))", number=1, repeat=3))
    return f"{best * 1000:.0f} ms"


def load_average() -> str:
    try:
        return ", ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"


def _machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:9]
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal: all but idle and iowait
    return sum(int(v) for i, v in enumerate(fields) if i not in (3, 4)) / os.sysconf("SC_CLK_TCK")


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuUse:
    """CPU used by the benchmarks (this run's subprocesses) and by everything else."""

    seconds: float = 0.0
    busy: float | None = None
    ours: float = 0.0

    @classmethod
    def start(cls) -> "CpuUse":
        return cls(time.perf_counter(), _machine_busy_seconds(), _children_seconds())

    def since(self) -> str:
        wall = time.perf_counter() - self.seconds
        busy = _machine_busy_seconds()
        ours = _children_seconds() - self.ours
        capacity = wall * (os.cpu_count() or 1)
        if busy is None or self.busy is None or capacity <= 0:
            return f"the benchmarks used {ours:.0f} CPU seconds"
        other = max(0.0, busy - self.busy - ours)
        return (
            f"of the {capacity:.0f} CPU seconds the cores had, the benchmarks used {ours:.0f} "
            f"({ours / capacity:.0%}) and other processes {other:.0f} ({other / capacity:.0%}; "
            "PostgreSQL's work for the benchmarks is counted there)"
        )


def _met_text(met: bool | None) -> str:
    return {True: "yes", False: "NO", None: "-"}[met]


def _value_text(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 1000 else f"{value:.0f}"


def rows(outcomes: Sequence[Outcome]) -> list[tuple[str, str, str, str, str]]:
    """label, value, target, met, detail: every ratio, then a row per script that failed."""
    table = []
    for outcome in outcomes:
        for r in outcome.ratios:
            table.append(
                (r.label, _value_text(r.value), r.target or "-", _met_text(r.met), r.detail)
            )
        if outcome.problem:
            table.append((outcome.script, "-", "-", "NO", outcome.problem))
    return table


def format_table(outcomes: Sequence[Outcome]) -> str:
    table = rows(outcomes)
    header = ("measure", "value", "target", "met", "detail")
    widths = [max(len(row[i]) for row in [header, *table]) for i in range(4)]
    lines = []
    for row in [header, *table]:
        cells = [row[0].ljust(widths[0]), row[1].rjust(widths[1])]
        cells += [row[2].ljust(widths[2]), row[3].ljust(widths[3]), row[4]]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths) + "  ------")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def format_markdown(
    outcomes: Sequence[Outcome],
    *,
    when: dt.datetime,
    seconds: float,
    host: dict[str, str],
    loads: tuple[str, str],
    cpu: str = "",
    note: str = "",
    speed: tuple[str, str] | None = None,
) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Measured by `make bench` (`bench/run.py`) on {when:%Y-%m-%d %H:%M} UTC; "
        f"the whole run took {seconds / 60:.1f} min.",
        "",
        f"- Machine: {host['cpu']}, {host['cores']} cores, {host['ram']} RAM, {host['os']}",
        f"- Python {host['python']}, PostgreSQL {host['postgresql']}",
        f"- Load average (1, 5, 15 min) at the start: {loads[0]}; at the end: {loads[1]}",
    ]
    if speed:
        lines.append(
            f"- Speed of a core: `sum(range(10_000_000))` took {speed[0]} at the start, "
            f"{speed[1]} at the end (best of 3; lower is faster)"
        )
    if cpu:
        lines.append(f"- CPU during the run: {cpu}")
    if note:
        lines += ["", note]
    lines += [
        "",
        "Each value is measured against its baseline in the same run, side by side, so that",
        "other work on the machine slows both sides; the absolute times are in the detail.",
        "Regenerate with `make bench` (it rewrites this file).",
        "",
        "| measure | value | target | met | detail |",
        "|---|---:|---|---|---|",
    ]
    for row in rows(outcomes):
        lines.append("| " + " | ".join(_md(cell) for cell in row) + " |")
    lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="run only this script")
    parser.add_argument("--write", type=Path, help="also write the table as Markdown here")
    parser.add_argument("--note", default="", help="a paragraph for the Markdown file")
    args = parser.parse_args(argv)
    scripts = [
        s for s in SCRIPTS if not args.only or s.name in args.only or s.name[:-3] in args.only
    ]
    if not scripts:
        parser.error("no such script: " + ", ".join(args.only))
    when = dt.datetime.now(dt.timezone.utc)
    host = machine()
    load_before, speed_before = load_average(), host_speed()
    cpu = CpuUse.start()
    started = time.perf_counter()
    outcomes = []
    for script in scripts:
        print(f"\n== {script.name} (time limit {script.timeout:.0f} s) ==", flush=True)
        outcome = run_script(script)
        print(f"-- {script.name}: {outcome.seconds:.1f} s", flush=True)
        outcomes.append(outcome)
    seconds = time.perf_counter() - started
    loads = (load_before, load_average())
    speed = (speed_before, host_speed())
    cpu_use = cpu.since()

    print("\n" + format_table(outcomes))
    print(
        f"\n{when:%Y-%m-%d %H:%M} UTC; {host['cpu']}, {host['cores']} cores, {host['ram']}; "
        f"Python {host['python']}; PostgreSQL {host['postgresql']}"
    )
    print(f"load average at start {loads[0]}, at end {loads[1]}; total {seconds:.0f} s")
    print(f"speed of a core (sum(range(10**7))): {speed[0]} at the start, {speed[1]} at the end")
    print(f"CPU: {cpu_use}")
    if args.write:
        text = format_markdown(
            outcomes,
            when=when,
            seconds=seconds,
            host=host,
            loads=loads,
            cpu=cpu_use,
            note=args.note,
            speed=speed,
        )
        args.write.write_text(text, encoding="utf-8")
        print(f"wrote {args.write}")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
