"""Generate a WhatsApp "Export chat" zip for the benchmark of issue 14.

    python bench/chat_export.py OUT.zip [--messages 100000] [--media 2000] [--media-kib 48]

The chat is Android style (``DD/MM/YYYY, HH:MM - Name: text``), with multi-line messages and
media lines ``IMG-YYYYMMDD-WA0001.jpg (file attached)``; every media file is random bytes
(stored, as WhatsApp does for JPEGs). Deterministic for a given set of arguments.
"""

from __future__ import annotations

import argparse
import random
import zipfile
from datetime import datetime, timedelta


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--media", type=int, default=2000)
    ap.add_argument("--media-kib", type=int, default=48)
    args = ap.parse_args()
    rng = random.Random(14)  # test data, not secrets
    people = ["Mark", "Jane Doe", "~ Crypto Coach", "+44 7700 900123"]
    words = "send money bank transfer wallet please today love trust account code".split()
    start = datetime(2025, 1, 13, 8, 0)
    every = max(1, args.messages // max(1, args.media))
    lines: list[str] = []
    media: list[str] = []
    for i in range(args.messages):
        at = start + timedelta(minutes=3 * i)
        head = f"{at:%d/%m/%Y, %H:%M} - {people[i % len(people)]}: "
        if i % every == 0 and len(media) < args.media:
            name = f"IMG-{at:%Y%m%d}-WA{len(media):04d}.jpg"
            media.append(name)
            lines.append(f"{head}{name} (file attached)")
        else:
            text = " ".join(rng.choice(words) for _ in range(rng.randint(2, 14)))
            if i % 17 == 0:
                text += "\nIBAN GB33BUKB20201555555555\nthanks"
            lines.append(head + text)
    with zipfile.ZipFile(args.out, "w") as zf:
        zf.writestr("WhatsApp Chat with Mark.txt", "\n".join(lines) + "\n", zipfile.ZIP_DEFLATED)
        for name in media:
            zf.writestr(name, rng.randbytes(args.media_kib * 1024), zipfile.ZIP_STORED)


if __name__ == "__main__":
    main()
