"""Two versions of evkit, interleaved: ``add`` and ``verify`` of N small random files.

    .venv/bin/python bench/compare.py OLD_TREE NEW_TREE [--files 3000] [--rounds 5]

Each tree is a checkout of this repository (e.g. ``git worktree add /tmp/old <commit>``); it
runs with ``PYTHONPATH=<tree>`` and the same interpreter, byte-compiled first as an install
is. The two alternate round by round, so a busy machine slows both alike; medians are shown
with every run. Figures only: not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    trees = {"old": Path(args.old).resolve(), "new": Path(args.new).resolve()}
    for tree in trees.values():
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(tree / "evidence_kit")], check=True
        )
    here = Path(__file__).resolve().parent
    (here / "out").mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="compare-", dir=here / "out"))
    try:
        src = root / "src"
        src.mkdir()
        rng = random.Random(1)
        for i in range(args.files):
            (src / f"f{i:05d}.bin").write_bytes(rng.randbytes(rng.randint(1024, 16384)))
        times: dict[str, dict[str, list[float]]] = {k: {"add": [], "verify": []} for k in trees}
        for r in range(args.rounds):
            order = list(trees.items()) if r % 2 == 0 else list(reversed(trees.items()))
            for name, tree in order:
                env = dict(os.environ, PYTHONPATH=str(tree), EVKIT_HOME=str(root / f"home-{name}"))
                evkit = [sys.executable, "-m", "evidence_kit"]
                case = root / f"case-{name}-{r}"
                subprocess.run(
                    [
                        *evkit,
                        "init",
                        str(case),
                        "--title",
                        "bench",
                        "--collector",
                        "Bench",
                        "--email",
                        "b@example.org",
                        "--timezone",
                        "UTC",
                    ],
                    env=env,
                    check=True,
                    capture_output=True,
                )
                for step, cmd in (
                    ("add", [*evkit, "-C", str(case), "add", str(src)]),
                    ("verify", [*evkit, "verify", str(case)]),
                ):
                    t = time.perf_counter()
                    subprocess.run(cmd, env=env, check=True, capture_output=True)
                    times[name][step].append(time.perf_counter() - t)
        for step in ("add", "verify"):
            old, new = (statistics.median(times[k][step]) for k in ("old", "new"))
            runs = {k: " ".join(f"{x:.2f}" for x in times[k][step]) for k in trees}
            print(
                f"{step}: old {old:.3f} s, new {new:.3f} s (new/old {new / old:.2f}); "
                f"runs old [{runs['old']}] new [{runs['new']}]"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
