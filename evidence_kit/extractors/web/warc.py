"""WARC (and legacy ARC) web archives, read with ``warcio`` as a stream.

For each record: its type, ``WARC-Target-URI``, ``WARC-Date`` (the archiving tool's clock),
the HTTP status and content type of a response, and the recorded digests re-checked against
the bytes. The WARC standard leaves open whether a payload digest covers the bytes as sent
(with HTTP chunked transfer encoding) or the decoded body, and archiving tools differ; so a
payload that matches only once its chunked encoding is removed is reported as that known
difference, never as a change. A truncated record is reported as cut short. ``warcinfo``
records say which software made the archive and who ran it (as stated). Request records are
linked to their responses. HTML responses become pages (title, text, links, forms).

Work is bounded: records are streamed and hashed as they are read, never held whole; at most
:data:`MAX_RECORDS_READ` records are read and :data:`MAX_RESOURCES` described, and the record
says when a limit was reached.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import logging
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from evidence_kit.extractors.interface import ExtractContext, Extraction
from evidence_kit.extractors.web.common import HTML_INPUT_CAP, MAX_RESOURCES, err
from evidence_kit.extractors.web.html import decode_html
from evidence_kit.extractors.web.pages import Pages

#: Records read from one archive at most (the rest stay in the file, unread).
MAX_RECORDS_READ = 200_000
#: A chunked payload larger than this is not decoded to re-check its digest a second way.
DECHUNK_CAP = 16 * 1024 * 1024
_HTTP_HEAD_CAP = 64 * 1024
_READ = 1 << 16
_MAX_WARCINFO = 20
_ALGOS = {"sha1": "sha1", "sha256": "sha256", "sha512": "sha512", "md5": "md5", "sha-1": "sha1"}

REVISIT_NOTE = "not checked: a revisit record's digests describe the earlier capture it points to"
WHOLE_BLOCK_NOTE = (
    "the stated payload digest is the digest of the whole record block, which matches: the "
    "archiving tool hashed the block rather than the payload (a known tool quirk, not a change)"
)
CHUNKED_NOTE = (
    "matches once the HTTP chunked transfer encoding is removed: archiving tools differ on "
    "which bytes this digest covers (a known difference, not a change to the content)"
)


def _digest_bytes(value: str) -> tuple[str, bytes] | None:
    """(hashlib name, raw digest) of a WARC digest such as ``sha1:BASE32``, or None."""
    algo, sep, text = value.strip().partition(":")
    name = _ALGOS.get(algo.strip().lower())
    if not sep or name is None:
        return None
    size = hashlib.new(name).digest_size
    text = text.strip()
    for form in ("b32", "b16", "b64"):
        try:
            if form == "b32":
                raw = base64.b32decode(text.upper() + "=" * (-len(text) % 8))
            elif form == "b16":
                raw = base64.b16decode(text.upper())
            else:
                alt = b"-_" if "-" in text or "_" in text else None
                raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=alt)
        except (ValueError, TypeError):
            continue
        if len(raw) == size:
            return name, raw
    return None


def _dechunk(data: bytes) -> bytes | None:
    """The body of an HTTP chunked transfer encoding, or None if it is not well-formed."""
    out = bytearray()
    pos = 0
    while True:
        eol = data.find(b"\r\n", pos, pos + 1024)
        if eol == -1:
            return None
        size_text = data[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return None
        pos = eol + 2
        if size == 0:
            return bytes(out)
        if pos + size > len(data):
            return None
        out += data[pos : pos + size]
        pos += size + 2


def _parse_http_head(head: bytes) -> tuple[int | None, dict[str, str], str]:
    """Status code (None for a request), lower-cased headers and the first line."""
    lines = head.decode("iso-8859-1").split("\n")
    first = lines[0].strip()
    status: int | None = None
    parts = first.split()
    if first.upper().startswith("HTTP/") and len(parts) >= 2 and parts[1][:3].isdigit():
        status = int(parts[1][:3])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip() and len(headers) < 200:
            headers.setdefault(name.strip().lower(), value.strip()[:2000])
    return status, headers, first[:500]


def _worth_keeping(http_head: bytes) -> bool:
    """Only an HTML page (read for its text) or a chunked body (re-checked de-chunked) is
    held in memory while its record is read."""
    head = http_head.lower()
    return b"html" in head or b"chunked" in head


@dataclass
class _Hashing:
    """Hashes of one record's block and payload, computed while the block is read once."""

    block_algo: tuple[str, bytes] | None
    payload_algo: tuple[str, bytes] | None
    http: bool
    block_h: Any = None
    payload_h: Any = None
    head: bytearray = field(default_factory=bytearray)
    head_done: bool = False
    keep: bytearray = field(default_factory=bytearray)
    keep_cap: int = 0
    kept_all: bool = True
    size: int = 0
    http_head: bytes = b""

    def __post_init__(self) -> None:
        if self.block_algo:
            self.block_h = hashlib.new(self.block_algo[0])
        if self.payload_algo:
            self.payload_h = hashlib.new(self.payload_algo[0])
        if not self.http:
            self.head_done = True

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.block_h is not None:
            self.block_h.update(chunk)
        if not self.head_done:
            self.head += chunk
            end = self.head.find(b"\r\n\r\n")
            sep = 4
            if end == -1:
                end = self.head.find(b"\n\n")
                sep = 2
            if end == -1:
                if len(self.head) > _HTTP_HEAD_CAP:
                    self.head_done = True  # no header end: the whole block is payload
                    self._payload(bytes(self.head))
                    self.head.clear()
                return
            self.http_head = bytes(self.head[:end])
            rest = bytes(self.head[end + sep :])
            self.head.clear()
            self.head_done = True
            if not _worth_keeping(self.http_head):
                self.keep_cap = 0  # an image or script: hashed as it streams, never held
            self._payload(rest)
            return
        self._payload(chunk)

    def _payload(self, chunk: bytes) -> None:
        if self.payload_h is not None:
            self.payload_h.update(chunk)
        room = self.keep_cap - len(self.keep)
        if room > 0:
            self.keep += chunk[:room]
        if len(chunk) > max(room, 0):
            self.kept_all = False


@dataclass
class WarcState:
    """What is learned across all records of one archive (or of all archives in a WACZ)."""

    result: Extraction
    pages: Pages
    records: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    warcinfo: list[dict[str, Any]] = field(default_factory=list)
    read: int = 0
    mismatches: int = 0
    chunked_notes: int = 0
    cut_short: int = 0
    digests_checked: int = 0
    limit_hit: bool = False
    layout_warnings: int = 0
    responses: dict[str, int] = field(default_factory=dict)  # record id -> index in records

    def finish(self) -> None:
        md = self.result.metadata
        md["warc"] = {
            "records_read": self.read,
            "record_types": self.counts,
            "records": self.records,
            "records_truncated": self.read > len(self.records),
            "records_cap": MAX_RESOURCES,
            "warcinfo": self.warcinfo,
            "digests_checked": self.digests_checked,
            "digest_mismatches": self.mismatches,
            "chunked_encoding_differences": self.chunked_notes,
            "records_cut_short": self.cut_short,
        }
        if self.read > len(self.records):
            self.result.errors.append(
                f"{self.read} records were read; the first {len(self.records)} are listed in this "
                "record (all are kept in the file exactly as saved)"
            )
        if self.limit_hit:
            self.result.errors.append(
                f"only the first {MAX_RECORDS_READ} records were read; the rest of the archive "
                "is kept in the file but was not read"
            )
        if self.layout_warnings:
            self.result.errors.append(
                f"{self.layout_warnings} record(s) were not followed by the blank line the WARC "
                "format requires: a record's stated length may be wrong"
            )


def _iterator(fh: IO[bytes], warnings: list[int]) -> Any:
    """warcio's iterator, with its stderr warnings counted instead of printed."""
    from warcio.archiveiterator import ArchiveIterator

    class _Quiet(ArchiveIterator):  # type: ignore[misc]
        def _consume_blanklines(self) -> tuple[bytes | None, int]:
            empty_size = 0
            first_line = True
            while True:
                line = self.reader.readline()
                if len(line) == 0:
                    return None, empty_size
                stripped = line.rstrip()
                if len(stripped) == 0 or first_line:
                    empty_size += len(line)
                    if len(stripped) != 0:
                        warnings[0] += 1
                        self.err_count += 1
                    first_line = False
                    continue
                return line, empty_size

    return _Quiet(fh, no_record_parse=True, arc2warc=True)


def read_archive(fh: IO[bytes], state: WarcState, where: str) -> None:
    """Read every record of one WARC/ARC stream into ``state``; raises on a broken stream.

    A record's digest mismatch is judged once the next record has been found: if the record
    did not end where its stated length says, the file is damaged or cut short there (the
    "record" then holds bytes of the next one), which is reported as that, not as a change.
    """
    _quiet_warcio()
    warnings = [0]
    pending: tuple[dict[str, Any], list[str], int] | None = None
    try:
        for record in _iterator(fh, warnings):
            if pending is not None:
                _judge(pending, warnings[0], state)
                pending = None
            if state.read >= MAX_RECORDS_READ:
                state.limit_hit = True
                break
            state.read += 1
            entry, messages = _record(record, state, where)
            if messages:
                pending = (entry, messages, warnings[0])
    finally:
        if pending is not None:
            _judge(pending, warnings[0], state)
        state.layout_warnings += warnings[0]


def _judge(pending: tuple[dict[str, Any], list[str], int], now: int, state: WarcState) -> None:
    entry, messages, before = pending
    what = entry.get("target_uri") or entry["type"]
    if now > before:
        entry["damaged"] = "the record does not end where its stated length says"
        entry["unchecked_digests"] = messages  # the recorded digests, for the officer
        state.result.errors.append(
            f"the record of {what} does not end where its stated length says (the file is "
            "damaged or cut short there), so the fingerprints recorded when it was saved "
            "cannot be checked"
        )
        return
    state.mismatches += 1
    state.result.errors.append(
        f"digest mismatch for {what}: the stored bytes do not match the "
        f"{'; '.join(messages)}. The content changed after capture, or the archiving tool "
        "recorded the digest wrongly"
    )


_QUIETED: list[bool] = []


class _DropWarcioWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR


def _quiet_warcio() -> None:
    """warcio logs its repairs (spaces in a URI) as warnings; the record states them instead."""
    if not _QUIETED:
        logging.getLogger("warcio.recordloader").addFilter(_DropWarcioWarnings())
        _QUIETED.append(True)


def _header(record: Any, name: str) -> str | None:
    value = record.rec_headers.get_header(name)
    return str(value)[:4000] if value is not None else None


def _record(record: Any, state: WarcState, where: str) -> tuple[dict[str, Any], list[str]]:
    """Read one record into ``state``; return its entry and its digest-mismatch messages."""
    rtype = str(record.rec_type or "unknown")[:40]
    state.counts[rtype] = state.counts.get(rtype, 0) + 1
    uri = _header(record, "WARC-Target-URI")
    if uri and uri.startswith("<") and uri.endswith(">"):
        uri = uri[1:-1]  # wget wraps the URI in angle brackets
    date = _header(record, "WARC-Date")
    ctype = _header(record, "Content-Type") or ""
    declared_len = record.length
    block_digest = _header(record, "WARC-Block-Digest")
    payload_digest = _header(record, "WARC-Payload-Digest")
    http = rtype in ("response", "request", "revisit") and (
        "application/http" in ctype.lower() or ctype == ""
    )
    revisit = rtype == "revisit"  # its digests describe the earlier capture it points to
    block_algo = _digest_bytes(block_digest) if block_digest and not revisit else None
    payload_algo = _digest_bytes(payload_digest) if payload_digest and rtype != "revisit" else None
    hashing = _Hashing(block_algo, payload_algo, http)
    want_page = rtype in ("response", "resource") and len(state.pages.pages) < 200
    html_resource = not http and "html" in ctype.lower()
    hashing.keep_cap = (
        max(HTML_INPUT_CAP, DECHUNK_CAP) if (http or html_resource) and want_page else 0
    )
    if http and payload_algo and not want_page:
        hashing.keep_cap = DECHUNK_CAP  # a chunked body may need decoding to re-check
    if rtype == "warcinfo":
        hashing.keep_cap = 64 * 1024
    stream = record.raw_stream
    while True:
        chunk = stream.read(_READ)
        if not chunk:
            break
        hashing.update(chunk)
    if not hashing.head_done:  # a block shorter than its HTTP head: all of it is the head
        hashing.http_head = bytes(hashing.head)
    entry: dict[str, Any] = {
        "archive": where,
        "type": rtype,
        "target_uri": uri,
        "warc_date": date,
        "record_id": _header(record, "WARC-Record-ID"),
        "content_type": ctype[:200] or None,
        "length": hashing.size,
    }
    status: int | None = None
    headers: dict[str, str] = {}
    if http and hashing.http_head:
        status, headers, first = _parse_http_head(hashing.http_head)
        entry["http_status"] = status
        entry["http_content_type"] = headers.get("content-type")
        if rtype == "request":
            entry["request_line"] = first
            entry["concurrent_to"] = _header(record, "WARC-Concurrent-To")
    stated_len = (_header(record, "Content-Length") or "").strip()
    if stated_len and not stated_len.isdigit():
        entry["damaged"] = f"its stated length {stated_len[:40]!r} is not a length"
        state.result.errors.append(
            f"{where} record {state.read} ({uri or rtype}): its stated length "
            f"{stated_len[:40]!r} is not a valid length, so its content could not be read"
        )
    cut = isinstance(declared_len, int) and hashing.size < declared_len
    if cut:
        state.cut_short += 1
        entry["cut_short"] = {"declared": declared_len, "present": hashing.size}
        state.result.errors.append(
            f"{where} record {state.read} ({uri or rtype}) is cut short: {hashing.size} of "
            f"{declared_len} bytes are in the file"
        )
    if revisit:
        for kind, stated in (("block", block_digest), ("payload", payload_digest)):
            if stated:
                entry[f"{kind}_digest"] = {"stated": stated[:200], "check": REVISIT_NOTE}
        messages: list[str] = []
    else:
        messages = _check(entry, "block", block_digest, block_algo, hashing.block_h, state, cut)
    if payload_algo is not None:
        messages += _check_payload(
            entry, payload_digest or "", payload_algo, hashing, headers, state, cut, block_digest
        )
    elif payload_digest and not revisit:
        entry["payload_digest"] = {"stated": payload_digest[:200], "check": "not checked"}
    if rtype == "warcinfo":
        _warcinfo(bytes(hashing.keep), entry, state)
    if len(state.records) < MAX_RESOURCES:
        state.records.append(entry)
    if want_page and (status is None or 200 <= status < 300):
        _page(entry, hashing, headers, status, uri, date, state)
    return entry, messages


def _check(
    entry: dict[str, Any],
    kind: str,
    stated: str | None,
    algo: tuple[str, bytes] | None,
    hasher: Any,
    state: WarcState,
    cut: bool,
) -> list[str]:
    if not stated:
        return []
    if algo is None or hasher is None:
        entry[f"{kind}_digest"] = {"stated": stated[:200], "check": "not checked (unknown form)"}
        return []
    state.digests_checked += 1
    ok = hasher.digest() == algo[1]
    entry[f"{kind}_digest"] = {"stated": stated[:200], "check": "matches" if ok else "MISMATCH"}
    if ok or cut:
        return []
    entry[f"{kind}_digest"]["computed"] = f"{algo[0]}:{hasher.hexdigest()}"
    return [f"{kind} digest recorded at capture: {stated[:80]}"]


def _check_payload(
    entry: dict[str, Any],
    stated: str,
    algo: tuple[str, bytes],
    hashing: _Hashing,
    headers: dict[str, str],
    state: WarcState,
    cut: bool,
    block_digest: str | None,
) -> list[str]:
    state.digests_checked += 1
    ok = hashing.payload_h.digest() == algo[1]
    info: dict[str, Any] = {"stated": stated[:200], "check": "matches" if ok else "MISMATCH"}
    entry["payload_digest"] = info
    if ok or cut:
        return []
    block = entry.get("block_digest") or {}
    if block_digest and block_digest.strip() == stated.strip() and block.get("check") == "matches":
        info["check"] = "matches the whole record (the tool hashed the block, not the payload)"
        info["note"] = WHOLE_BLOCK_NOTE
        return []
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    if chunked:
        if not hashing.kept_all:
            info["check"] = "not checked (chunked and too large to decode)"
            return []
        body = _dechunk(bytes(hashing.keep))
        if body is not None and hashlib.new(algo[0], body).digest() == algo[1]:
            info["check"] = "matches after removing chunked encoding"
            info["note"] = CHUNKED_NOTE
            state.chunked_notes += 1
            return []
    info["computed"] = f"{algo[0]}:{hashing.payload_h.hexdigest()}"
    return [f"payload digest recorded at capture: {stated[:80]}"]


def _warcinfo(block: bytes, entry: dict[str, Any], state: WarcState) -> None:
    fields: dict[str, str] = {}
    for line in block.decode("utf-8", "replace").splitlines()[:200]:
        name, sep, value = line.partition(":")
        if sep and name.strip():
            fields.setdefault(name.strip().lower(), value.strip()[:1000])
    info = {
        "software": fields.get("software"),
        "operator": fields.get("operator"),
        "hostname": fields.get("hostname"),
        "format": fields.get("format"),
        "is_part_of": fields.get("ispartof"),
        "description": fields.get("description"),
        "user_agent": fields.get("http-header-user-agent"),
        "warc_date": entry.get("warc_date"),
        "archive": entry.get("archive"),
    }
    if len(state.warcinfo) < _MAX_WARCINFO:
        state.warcinfo.append({k: v for k, v in info.items() if v is not None})


def _decode_body(data: bytes, headers: dict[str, str], complete: bool) -> bytes | None:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _dechunk(data) if complete else None
        data = body if body is not None else data
    enc = headers.get("content-encoding", "").lower().strip()
    if enc in ("gzip", "x-gzip", "deflate"):
        try:
            d = zlib.decompressobj(zlib.MAX_WBITS | 32 if enc != "deflate" else zlib.MAX_WBITS)
            return d.decompress(data, HTML_INPUT_CAP)
        except zlib.error:
            try:
                return zlib.decompressobj(-zlib.MAX_WBITS).decompress(data, HTML_INPUT_CAP)
            except zlib.error:
                return None
    if enc and enc != "identity":
        return None
    return data


def _page(
    entry: dict[str, Any],
    hashing: _Hashing,
    headers: dict[str, str],
    status: int | None,
    uri: str | None,
    date: str | None,
    state: WarcState,
) -> None:
    ctype = (headers.get("content-type") or entry.get("content_type") or "").lower()
    extra = {"http_status": status, "content_type": ctype[:200] or None, "source": "WARC record"}
    if "html" not in ctype:
        return
    body = _decode_body(bytes(hashing.keep), headers, hashing.kept_all)
    if body is None:
        extra["note"] = "the page's content encoding could not be decoded"
        state.pages.add_other(
            {
                "role": "page",
                "url": uri,
                "url_source": "WARC-Target-URI",
                **extra,
                "_claimed_raw": date,
                "_claimed_source": "WARC-Date",
            }
        )
        return
    charset = None
    if "charset=" in ctype:
        charset = ctype.split("charset=", 1)[1].split(";")[0].strip(" \"'") or None
    html, _ = decode_html(body[:HTML_INPUT_CAP], charset)
    state.pages.add_html(
        html,
        url=uri,
        url_source="WARC-Target-URI",
        claimed_raw=date,
        claimed_source="WARC-Date",
        extra=extra,
    )


_FALLBACK_PAGES = 20


def add_fallback_pages(state: WarcState) -> None:
    """An archive without any HTML page still captured something: list its first responses
    and resources (address, type, status, WARC-Date) as its pages."""
    if state.pages.pages:
        return
    for entry in state.records:
        if len(state.pages.pages) >= _FALLBACK_PAGES:
            break
        if entry["type"] not in ("response", "resource") or not entry.get("target_uri"):
            continue
        state.pages.add_other(
            {
                "role": "resource",
                "url": entry["target_uri"],
                "url_source": "WARC-Target-URI",
                "title": None,
                "http_status": entry.get("http_status"),
                "content_type": entry.get("http_content_type") or entry.get("content_type"),
                "_claimed_raw": entry.get("warc_date"),
                "_claimed_source": "WARC-Date",
            }
        )


def extract_warc(path: Path, ctx: ExtractContext, result: Extraction) -> None:
    """Read a WARC, WARC.gz, ARC or ARC.gz file into ``result``."""
    from warcio.exceptions import ArchiveLoadFailed

    with path.open("rb") as fh:
        head = fh.read(4)
    md = result.metadata
    md["format"] = "warc"
    md["compressed"] = "gzip" if head.startswith(b"\x1f\x8b") else None
    pages = Pages(result)
    state = WarcState(result, pages)
    try:
        with path.open("rb") as fh:
            read_archive(fh, state, "archive")
    except ArchiveLoadFailed as exc:
        if "non-chunked gzip" in str(exc) and head.startswith(b"\x1f\x8b"):
            # One gzip stream around all records: not the WARC layout, but readable as a stream.
            result.errors.append(
                "the archive is compressed as one block instead of one block per record (not "
                "the standard WARC layout); it was read as one stream"
            )
            state = WarcState(result, pages := Pages(result))
            try:
                with gzip.open(path, "rb") as gz:
                    read_archive(cast("IO[bytes]", gz), state, "archive")
            except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc2:
                result.errors.append(err("the archive could not be read to its end", exc2))
        else:
            result.errors.append(err("the archive could not be read to its end", exc))
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        result.errors.append(err("the archive could not be read to its end", exc))
    state.finish()
    add_fallback_pages(state)
    if not state.read:
        result.errors.append("no web archive record could be read from this file")
    pages.finish()
    del ctx
