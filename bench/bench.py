"""evkit performance, measured as ratios against standard tools on the same data.

Run: bash bench/run.sh  (or .venv/bin/python bench/bench.py --help). Not part of the test suite.
Each figure is the median of --repeat runs with a warm page cache. Ratios > 1 mean evkit is
faster; the targets (from the case-spine issue) are printed beside each figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EVKIT = [sys.executable, "-m", "evidence_kit"]


def run(
    cmd: list[str] | str,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    shell: bool = False,
) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one command."""
    with tempfile.TemporaryFile() as errf:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, shell=shell, stdout=subprocess.DEVNULL, stderr=errf
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - t0
        errf.seek(0)
        err = errf.read().decode(errors="replace")[-2000:]
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"command failed ({code}): {cmd}\n{err}")
    return elapsed, usage.ru_maxrss


def median_time(fn, repeat: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    times, rss = [], 0
    for _ in range(repeat):
        t, r = fn()
        times.append(t)
        rss = max(rss, r)
    return statistics.median(times), rss


def make_large(root: Path, count: int, mib: int) -> None:
    """``count`` files of ``mib`` MiB, each with different content (evkit stores duplicates once,
    so identical files would measure one stored file instead of ``count``)."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        block = os.urandom(1 << 20)
        with open(root / f"video-{i}.bin", "wb") as f:
            for j in range(mib):
                f.write(block[j % 7 :] + block[: j % 7])


def make_small(root: Path, count: int) -> None:
    """``count`` files of 1-16 KiB of random bytes, every one different."""
    root.mkdir(parents=True, exist_ok=True)
    rnd = os.urandom(1 << 16)
    for i in range(count):
        sub = root / f"chat-{i // 1000:02d}"
        sub.mkdir(exist_ok=True)
        size = 1024 + (i * 7919) % (15 * 1024)  # 1-16 KiB
        start = (i * 131) % (len(rnd) - size)
        (sub / f"msg-{i:05d}.bin").write_bytes(i.to_bytes(4, "big") + rnd[start : start + size - 4])


SAMPLES = HERE.parent / "samples"


def make_mix(root: Path, count: int) -> None:
    """A realistic mix of small evidence files, every one different: screenshots (PNG,
    100-400 KB), photos (JPEG, 0.5-2 MB), e-mails (.eml, 6-40 KB), PDFs (made with fpdf2, a
    page of text), bank statements (CSV) and notes (text). The PNG, JPEG and e-mail are the
    ones in samples/, made distinct (bytes after the image's end, a header line); the readers
    see valid files of each type."""
    from fpdf import FPDF

    root.mkdir(parents=True, exist_ok=True)
    png = (SAMPLES / "Screenshot 2026-11-20 at 09.14.png").read_bytes()
    jpg = (SAMPLES / "photo-of-receipt.jpg").read_bytes()
    eml = (SAMPLES / "scam-email.eml").read_bytes()
    csv = (SAMPLES / "statement.csv").read_bytes()
    rnd = os.urandom(2 << 20)
    for i in range(count):
        kind = i % 20
        tag = i.to_bytes(4, "big")
        sub = root / f"folder-{i // 500:02d}"
        sub.mkdir(exist_ok=True)
        if kind < 6:  # 30% screenshots
            size = 100_000 + (i * 7919) % 300_000
            (sub / f"Screenshot {i:05d}.png").write_bytes(png + tag + rnd[: size - len(png)])
        elif kind < 10:  # 20% photos
            size = 500_000 + (i * 104_729) % 1_500_000
            start = (i * 131) % (len(rnd) - size)
            (sub / f"IMG_{i:05d}.jpg").write_bytes(jpg + tag + rnd[start : start + size])
        elif kind < 15:  # 25% e-mails
            extra = b"X-Bench: %d\r\n" % i
            body = b"\r\n" + rnd[: (i * 37) % 30_000].hex().encode()[:30_000]
            (sub / f"message-{i:05d}.eml").write_bytes(extra + eml + body)
        elif kind < 17:  # 10% PDFs
            pdf = FPDF()
            pdf.add_page()
            pdf.set_font("helvetica", size=11)
            pdf.multi_cell(0, 6, f"Invoice {i}. " + "Payment due to account 12345678. " * 40)
            (sub / f"invoice-{i:05d}.pdf").write_bytes(bytes(pdf.output()))
        elif kind < 19:  # 10% statements
            rows = b"".join(
                b"2026-11-%02d,Transfer %d,-%d.00,GBP\n" % (1 + j % 28, i, j) for j in range(50)
            )
            (sub / f"statement-{i:05d}.csv").write_bytes(csv + rows)
        else:  # 5% notes
            (sub / f"note-{i:05d}.txt").write_text(f"Note {i}: he called again.\n" * 20)


_MAGIC_ONLY = """
import os, sys
import magic
files = [os.path.join(d, f) for d, _, fs in os.walk(sys.argv[1]) for f in fs]
pids = []
for k in range(2):
    pid = os.fork()
    if pid == 0:
        m = magic.Magic(mime=True)
        for p in files[k::2]:
            with open(p, "rb", buffering=0) as f:
                m.from_buffer(f.read(8192))
        os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
"""


def scale(work: Path, env: dict[str, str], counts: list[int], results: dict[str, object]) -> None:
    """Add and verify N small files for each N: peak RSS and time per file (linear?)."""
    for n in counts:
        src = work / f"scale-{n}"
        make_small(src, n)
        case = work / f"scale-case-{n}"
        run(EVKIT + ["init", str(case), "--title", "bench", "--collector", "bench"], env=env)
        add_t, add_rss = run(EVKIT + ["-C", str(case), "add", str(src)], env=env)
        ver_t, ver_rss = run(EVKIT + ["-C", str(case), "verify"], env=env)
        print(
            f"{n} files: add {add_t:.1f} s ({add_t / n * 1e6:.0f} us/file, peak RSS "
            f"{add_rss / 1024:.0f} MB); verify {ver_t:.2f} s ({ver_t / n * 1e6:.0f} us/file, "
            f"peak RSS {ver_rss / 1024:.0f} MB)"
        )
        results[f"scale_{n}"] = {
            "add_s": round(add_t, 2),
            "add_peak_rss_mb": round(add_rss / 1024),
            "verify_s": round(ver_t, 3),
            "verify_peak_rss_mb": round(ver_rss / 1024),
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--work", type=Path, default=HERE / "out")
    ap.add_argument("--large-count", type=int, default=4)
    ap.add_argument("--large-mib", type=int, default=256)
    ap.add_argument("--small-count", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--mix-count", type=int, default=2000)
    ap.add_argument("--only", choices=("large", "small", "mix"), default=None)
    ap.add_argument(
        "--scale",
        type=int,
        nargs="*",
        default=None,
        metavar="N",
        help="instead: add and verify N small files for each N (e.g. 20000 100000); peak RSS "
        "and time per file",
    )
    args = ap.parse_args()
    work: Path = args.work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = dict(os.environ, EVKIT_HOME=str(work / "home"))
    env.pop("EVKIT_PASSPHRASE", None)
    results: dict[str, object] = {}
    # An installed evkit runs from compiled bytecode (pip compiles it). Where
    # PYTHONDONTWRITEBYTECODE is set (as in some sandboxes), an editable checkout would
    # otherwise be recompiled at every start; compile once, as an install does.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(HERE.parent / "evidence_kit")],
        check=True,
        stdout=subprocess.DEVNULL,
    )

    t, _ = median_time(lambda: run(EVKIT + ["--help"], env=env), 5)
    results["help_seconds"] = round(t, 3)
    print(f"evkit --help: {t:.3f} s (target < 0.3 s)")

    if args.scale:
        scale(work, env, args.scale, results)
        kinds: tuple[str, ...] = ()
    else:
        kinds = ("large", "small", "mix") if args.only is None else (args.only,)
    for kind in kinds:
        src = work / f"src-{kind}"
        if kind == "large":
            make_large(src, args.large_count, args.large_mib)
        elif kind == "mix":
            make_mix(src, args.mix_count)
        else:
            make_small(src, args.small_count)
        files = [p for p in src.rglob("*") if p.is_file()]
        total = sum(p.stat().st_size for p in files)
        subprocess.run(["cat", *map(str, files[:1])], stdout=subprocess.DEVNULL, check=True)
        subprocess.run(
            f"find {src} -type f -print0 | xargs -0 cat > /dev/null", shell=True, check=True
        )  # warm the page cache
        label = f"{kind}: {len(files)} files, {total / 1e6:.0f} MB"
        print(f"\n== {label}")

        # --- add vs cp -r + sync (+ file --mime-type on both cores), interleaved round by
        # round so that a slow minute slows both alike.
        cp_ts: list[float] = []
        type_ts: list[float] = []
        add_ts: list[float] = []
        add_rss = 0
        for r in range(args.repeat):
            dst = work / f"cp-{kind}-{r}"
            cp_ts.append(run(f"cp -r {src} {dst} && sync", shell=True)[0])
            if kind != "large":  # typing every file: what add does besides copying
                type_ts.append(
                    run(
                        f"find {dst} -type f -print0 | "
                        "xargs -0 -P 2 -n 1000 file --mime-type > /dev/null",
                        shell=True,
                    )[0]
                )
            case = work / f"case-{kind}-{r}"
            run(EVKIT + ["init", str(case), "--title", "bench", "--collector", "bench"], env=env)
            t, rss = run(EVKIT + ["-C", str(case), "add", str(src)], env=env)
            add_ts.append(t)
            add_rss = max(add_rss, rss)
        cp_t, add_t = statistics.median(cp_ts), statistics.median(add_ts)
        stored = sum(1 for _ in (work / f"case-{kind}-0" / "data").iterdir())
        # Identical sources would be stored once and measure less (more: attachments of the
        # e-mails are stored as items of their own).
        if stored < len(files):
            raise SystemExit(
                f"the case holds {stored} files, not {len(files)}: bench data must be distinct"
            )
        ratio = cp_t / add_t
        target = {"large": 0.8, "mix": 0.5}.get(kind)
        print(
            f"add:    evkit {add_t:.2f} s ({total / add_t / 1e6:.0f} MB/s, "
            f"{len(files) / add_t:.0f} files/s) vs cp -r + sync {cp_t:.2f} s -> "
            f"{ratio:.2f}x"
            + (f" (target >= {target}x)" if target else "")
            + f"; peak RSS {add_rss / 1024:.0f} MB"
        )
        results[f"add_{kind}"] = {
            "evkit_s": round(add_t, 3),
            "cp_sync_s": round(cp_t, 3),
            "ratio": round(ratio, 3),
            "peak_rss_mb": round(add_rss / 1024),
        }
        if type_ts:
            type_t = statistics.median(type_ts)
            both = statistics.median(c + f for c, f in zip(cp_ts, type_ts, strict=True))
            print(
                f"        vs cp -r + sync + file --mime-type on both cores {both:.2f} s "
                f"(file alone {type_t:.2f} s) -> {both / add_t:.2f}x"
                + (" (target >= 0.8x)" if kind == "small" else "")
            )
            results[f"add_{kind}"].update(  # type: ignore[attr-defined]
                file_mime_s=round(type_t, 3), vs_cp_sync_file=round(both / add_t, 3)
            )
        if kind == "small":
            # libmagic alone on the first 8 KiB of every file (as add does), both cores:
            # the part of add's time that typing takes on this data.
            magic_t, _ = median_time(
                lambda: run([sys.executable, "-c", _MAGIC_ONLY, str(src)]), args.repeat
            )
            print(f"        (libmagic alone on the first 8 KiB, both cores: {magic_t:.2f} s)")
            results["add_small"]["libmagic_only_s"] = round(magic_t, 3)  # type: ignore[index]
        for p in work.glob(f"cp-{kind}-*"):
            shutil.rmtree(p)
        case = work / f"case-{kind}-0"

        # --- verify vs openssl x2 / sha256sum -c x2 / bagit
        ver_t, ver_rss = median_time(
            lambda: run(EVKIT + ["-C", str(case), "verify"], env=env), args.repeat
        )
        half = [str(p) for p in sorted((case / "data").iterdir())]
        a, b = half[0::2], half[1::2]
        listfile_a, listfile_b = work / "a.lst", work / "b.lst"
        listfile_a.write_text("\0".join(a))
        listfile_b.write_text("\0".join(b))
        ossl = (
            f"(xargs -0 -n 256 openssl dgst -sha256 < {listfile_a} > /dev/null & "
            f"xargs -0 -n 256 openssl dgst -sha256 < {listfile_b} > /dev/null; wait)"
        )
        ossl_t, _ = median_time(lambda: run(ossl, shell=True), args.repeat)
        shacheck = (
            "split -n l/2 manifest-sha256.txt /tmp/evkbench-m. && "
            "(sha256sum --quiet -c /tmp/evkbench-m.aa & sha256sum --quiet -c "
            "/tmp/evkbench-m.ab; wait); rm -f /tmp/evkbench-m.*"
        )
        sha_t, _ = median_time(lambda: run(shacheck, shell=True, cwd=case), args.repeat)
        bagit_cmd = [sys.executable, "-m", "bagit", "--validate", "--processes", "2", str(case)]
        bag_t, _ = median_time(lambda: run(bagit_cmd), 1 if kind != "large" else args.repeat)
        print(
            f"verify: evkit {ver_t:.2f} s ({total / ver_t / 1e6:.0f} MB/s, "
            f"{len(files) / ver_t:.0f} files/s); peak RSS {ver_rss / 1024:.0f} MB"
        )
        print(
            f"        vs 2x openssl dgst {ossl_t:.2f} s -> {ossl_t / ver_t:.2f}x "
            f"(target >= 0.9x for large files)"
        )
        print(
            f"        vs 2x sha256sum -c {sha_t:.2f} s -> {sha_t / ver_t:.2f}x "
            f"(target >= 1x for small files)"
        )
        print(
            f"        vs bagit --validate --processes 2 {bag_t:.2f} s -> "
            f"{bag_t / ver_t:.2f}x (target >= 4x for small files)"
        )
        results[f"verify_{kind}"] = {
            "evkit_s": round(ver_t, 3),
            "openssl2_s": round(ossl_t, 3),
            "sha256sum2_s": round(sha_t, 3),
            "bagit_s": round(bag_t, 3),
            "vs_openssl": round(ossl_t / ver_t, 3),
            "vs_sha256sum": round(sha_t / ver_t, 3),
            "vs_bagit": round(bag_t / ver_t, 3),
            "peak_rss_mb": round(ver_rss / 1024),
        }
        for p in work.glob(f"case-{kind}-*"):
            shutil.rmtree(p)
        shutil.rmtree(src)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
