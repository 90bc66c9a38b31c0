"""Peak memory of freezing the reference memo with a 200-page bilaga, against a 10-page one.

Run: .venv/bin/python bench/bench_memory.py [--pages 10 200]

Three bilagor: 10 and 200 pages of the reference bilaga's text (70 KB and 0.5 MB), and 200
scanned pages (one JPEG each, about 18 MB: near BILAGA_MAX_BYTES, the heaviest bilaga
a handläggare can attach).

Each case runs in a fresh subprocess, twice: once for the peak RSS, once for the
tracemalloc peak (tracing slows the run and costs memory of its own, so apart). The
subprocess sets up an app on SQLite in a temporary folder with the demo organisation and
its real keys (SIGNING=pades), freezes the demo's reference memo once to warm up (imports,
fonts, keys, the timestamp authority), and creates the reference memo with the bilaga
stored as a handläggare's upload. Then it measures one freeze as the server does it:
``submit_memo`` (the bilaga read from storage, the memo rendered, the bilaga appended, the
signature fields, the seal's certification signature with its RFC 3161 timestamp, the
frozen PDF stored) and the commit.

Peak RSS is VmHWM after the step minus VmRSS just before it (the high-water mark is reset
through /proc/self/clear_refs, Linux). tracemalloc counts only what Python allocates; RSS
also counts what the C libraries (zlib, OpenSSL) hold and what the allocator does not
give back. Both are compared with the size of the bilaga and of the frozen PDF.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import ratio  # noqa: E402

MIB = 1024 * 1024


def _status_kib(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    assert match, field
    return int(match.group(1))


def child(template: Path, bilaga_path: Path, method: str) -> dict:
    """One freeze in this (fresh) process, on a copy of the template app; what it cost."""
    import sqlalchemy as sa

    from attest import blobs, db
    from attest.blobs import Blob
    from attest.demo import create_reference_memo, reference_content
    from attest.memos.bilagor import check_pdf
    from attest.memos.models import Memo
    from attest.memos.operations import create_memo
    from attest.users.operations import get_user
    from attest.workflow.models import Submission
    from attest.workflow.operations import submit_memo
    from bench.bench_attest import _app

    with tempfile.TemporaryDirectory() as directory:
        shutil.copytree(template, directory, dirs_exist_ok=True)
        app = _app(directory)  # migrated and with the demo already: nothing to do
        with app.app_context():
            author = get_user("evelyn")
            submit_memo(create_reference_memo("evelyn"), author)  # the warm-up freeze
            db.session().commit()
            data = bilaga_path.read_bytes()
            upload = dataclasses.replace(
                check_pdf("bilaga.pdf", data), title="Slutrapport i samband med upphörande"
            )
            memo_id = create_memo(author, reference_content(), uploads=[upload]).id
            db.session().commit()
            bilaga_bytes = len(data)
            del data, upload
            db.session().expunge_all()  # the bilaga is read from storage, as in a request
            author = get_user("evelyn")
            memo = db.session().get(Memo, memo_id)
            gc.collect()
            if method == "tracemalloc":
                tracemalloc.start()
            rss_before = _status_kib("VmRSS")
            Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
            started = time.perf_counter()
            submit_memo(memo, author)
            db.session().commit()
            seconds = time.perf_counter() - started
            peak_rss = _status_kib("VmHWM") - rss_before
            traced = tracemalloc.get_traced_memory()[1] if method == "tracemalloc" else None
            tracemalloc.stop()
            sha = db.session().scalar(
                sa.select(Submission.frozen_pdf_sha256).where(Submission.memo_id == memo_id)
            )
            frozen_bytes = len(blobs.store().get(sha))
            assert db.session().get(Blob, sha) is not None
    return {
        "method": method,
        "bilaga_bytes": bilaga_bytes,
        "frozen_bytes": frozen_bytes,
        "rss_before_kib": rss_before,
        "peak_rss_kib": peak_rss,
        "tracemalloc_peak": traced,
        "seconds": seconds,
    }


def measure(template: Path, bilaga: Path, method: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(template), str(bilaga), method],
        capture_output=True,
        text=True,
        timeout=180,
    )
    if done.returncode != 0:
        raise SystemExit(f"the {method} run failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def scanned_bilaga(pages: int, page_bytes: int = 115_000) -> bytes:
    """A bilaga as a scanner makes it: one JPEG per page (noise, so it does not shrink)."""
    from PIL import Image
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    from attest.pdf.fonts import FONT_NAME, register_fonts

    rng = random.Random(7)
    side = int(page_bytes**0.5)  # grey noise as a JPEG at quality 90: about a byte a pixel
    out = BytesIO()
    # The JPEGs go in as they are, not ASCII85-encoded (reportlab's pure-Python encoder
    # would take most of the benchmark's time).
    was, rl_config.useA85 = rl_config.useA85, 0
    try:
        # reportlab lists its initial font on every page even when no text is drawn: an
        # embedded one, as the intake wants (a scanner's PDF has none).
        register_fonts()
        canvas = Canvas(out, pagesize=A4, invariant=1, initialFontName=FONT_NAME)
        for _ in range(pages):
            image = Image.frombytes("L", (side, side), rng.randbytes(side * side))
            jpeg = BytesIO()
            image.save(jpeg, "JPEG", quality=90)
            jpeg.seek(0)
            canvas.drawImage(ImageReader(jpeg), 0, 0, *A4)
            canvas.showPage()
        canvas.save()
    finally:
        rl_config.useA85 = was
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs=2, default=(10, 200), metavar=("SMALL", "LARGE"))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child[0]), Path(args.child[1]), args.child[2])))
        return

    from attest import db
    from bench.bench_attest import _app
    from bench.bench_render import bilaga_of_pages

    small, large = args.pages
    cases = {
        f"{small} pp": lambda: bilaga_of_pages(small),
        f"{large} pp": lambda: bilaga_of_pages(large),
        f"{large} pp scan": lambda: scanned_bilaga(large),
    }
    results: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "app"
        db.engine_of(_app(str(template))).dispose()  # the demo and its keys, made once
        for number, (name, build) in enumerate(cases.items()):
            path = Path(folder) / f"bilaga-{number}.pdf"
            path.write_bytes(build())
            results[name] = {m: measure(template, path, m) for m in ("rss", "tracemalloc")}
    print(f"{'bilaga':>13}{'bilaga KB':>11}{'frozen KB':>11}{'peak RSS MB':>13}"
          f"{'tracemalloc MB':>16}{'freeze s':>10}{'RSS before MB':>15}")  # fmt: skip
    for name, by in results.items():
        rss, traced = by["rss"], by["tracemalloc"]
        print(
            f"{name:>13}{rss['bilaga_bytes'] / 1024:>11.0f}{rss['frozen_bytes'] / 1024:>11.0f}"
            f"{rss['peak_rss_kib'] / 1024:>13.1f}{traced['tracemalloc_peak'] / MIB:>16.1f}"
            f"{rss['seconds']:>10.2f}{rss['rss_before_kib'] / 1024:>15.1f}"
        )

    def figures(name: str) -> tuple[float, float, float, dict]:
        """tracemalloc peak MB, RSS growth MB, frozen PDF MB, the RSS run."""
        rss = results[name]["rss"]
        traced = results[name]["tracemalloc"]["tracemalloc_peak"] / MIB
        return traced, rss["peak_rss_kib"] / 1024, rss["frozen_bytes"] / MIB, rss

    s_tm, s_rss, s_pdf, _ = figures(f"{small} pp")
    l_tm, l_rss, l_pdf, l_run = figures(f"{large} pp")
    x_tm, x_rss, x_pdf, x_run = figures(f"{large} pp scan")
    # The small case's RSS growth is within the allocator's slack (memory the warm-up freed
    # and the step reuses), so the pages ratio is taken from tracemalloc, and RSS growth is
    # set against the size of the PDF.
    ratio(
        f"freeze peak memory (tracemalloc), {large}- / {small}-page bilaga",
        l_tm / s_tm,
        None,
        f"{l_tm:.1f} MB vs {s_tm:.1f} MB; the frozen PDF {l_pdf:.2f} MB vs {s_pdf:.2f} MB "
        f"({l_pdf / s_pdf:.1f}x); peak RSS growth {l_rss:.1f} MB vs {s_rss:.1f} MB; "
        f"freeze {l_run['seconds']:.2f} s",
    )
    ratio(
        f"freeze peak memory (tracemalloc) / frozen PDF size, {large}-page bilaga",
        l_tm / l_pdf,
        None,
        f"{small} pages: {s_tm / s_pdf:.1f}x; the PDF is parsed and copied whole at each step",
    )
    ratio(
        f"freeze peak RSS growth / frozen PDF size, {large}-page scanned bilaga",
        x_rss / x_pdf,
        None,
        f"{x_rss:.0f} MB above the worker's {x_run['rss_before_kib'] / 1024:.0f} MB for a "
        f"{x_pdf:.1f} MB PDF (tracemalloc {x_tm:.0f} MB); freeze {x_run['seconds']:.2f} s",
    )


if __name__ == "__main__":
    main()
