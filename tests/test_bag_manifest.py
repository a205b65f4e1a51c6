"""The manifest parser: its fast path for ``<hex>  <path>`` lines agrees with the general rule."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from evidence_kit.store.bag import decode_path, is_dangerous, manifest_bytes, parse_manifest

_HEX = re.compile(r"[0-9a-fA-F]{64}")


def reference(data: bytes) -> tuple[dict[str, str], list[str]]:
    """RFC 8493 read plainly: checksum, white space, path (a leading ``*`` is a mode flag)."""
    entries: dict[str, str] = {}
    problems: list[str] = []
    for n, line in enumerate(data.decode("utf-8").split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        parts = line.split(None, 1)
        if len(parts) != 2 or not _HEX.fullmatch(parts[0]):
            problems.append(f"line {n} is not '<sha256> <path>'")
            continue
        path = parts[1].lstrip("*")
        if "%" in path:
            path = decode_path(path)
        if is_dangerous(path):
            problems.append(f"line {n} names an unsafe path {path!r}")
            continue
        if path in entries:
            problems.append(f"line {n} lists {path!r} twice")
        entries[path] = parts[0].lower()
    return entries, problems


hexdigest = st.text("0123456789abcdefABCDEF", min_size=63, max_size=65)
separator = st.sampled_from([" ", "  ", " *", "\t", "  *", " \u3000", "   ", "*", ""])
path = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
line = st.tuples(hexdigest, separator, path, st.sampled_from(["", "\r", " "])).map("".join)


@given(st.lists(line, max_size=8))
def test_fast_path_agrees_with_the_general_rule(lines: list[str]) -> None:
    data = "\n".join(lines).encode("utf-8")
    parsed = parse_manifest(data)
    assert (parsed.entries, parsed.problems) == reference(data)


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=10).map(lambda s: "data/" + s),
        st.text("0123456789abcdef", min_size=64, max_size=64),
        max_size=6,
    )
)
def test_what_evkit_writes_reads_back(entries: dict[str, str]) -> None:
    parsed = parse_manifest(manifest_bytes(entries))
    safe = {p: h for p, h in entries.items() if not is_dangerous(p)}
    assert parsed.entries == safe


standard_line = st.tuples(
    st.text("0123456789abcdef", min_size=64, max_size=64),
    st.sampled_from(["  ", "  ", "  ", " *", " "]),
    st.lists(
        st.sampled_from(list("ab./\\:%*\x00 \r\u2028C") + ["data/", "..", "//"]), max_size=8
    ).map("".join),
    st.sampled_from(["\n", "\n", "\r\n", ""]),
).map("".join)


@given(st.lists(standard_line, max_size=6))
def test_common_form_manifests_agree_with_the_general_rule(lines: list[str]) -> None:
    data = "".join(lines).encode("utf-8")
    parsed = parse_manifest(data)
    assert (parsed.entries, parsed.problems) == reference(data)
