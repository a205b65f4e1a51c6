"""The custody log: append-only JSON Lines, hash-chained and Ed25519-signed, one event a line.

Each line is the RFC 8785 canonical JSON of an event. ``prev`` is ``sha256:`` of the previous
line's bytes (without its newline; the first event uses 64 zeros), and ``sig`` is the base64
Ed25519 signature over the canonical JSON of the event *without* its ``sig`` member. Anyone can
re-derive the signed bytes from the parsed line with any JCS implementation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from evidence_kit import __version__
from evidence_kit.models import EVENT_TYPE, GENESIS, CustodyEvent, Finding, KeyId, digest
from evidence_kit.models import LogHead as LogHead
from evidence_kit.store.canonical import canonical_bytes, json_safe, loads
from evidence_kit.store.layout import LOG_PATH as LOG_PATH
from evidence_kit.store.signing import Signer
from evidence_kit.util import hostname


def utc_now() -> str:
    """The current time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def line_hash(line: bytes) -> str:
    """``sha256:<hex>`` of one log line's bytes (without its newline): the next ``prev``."""
    return digest(hashlib.sha256(line).hexdigest())


def sign_event(
    signer: Signer,
    *,
    seq: int,
    prev: str,
    action: str,
    actor: dict[str, Any],
    data: dict[str, Any],
    at: str | None = None,
) -> CustodyEvent:
    """Build and sign one event (its ``sig`` is over the canonical JSON of its body)."""
    event = CustodyEvent(
        seq=seq,
        prev=prev,
        at=at or utc_now(),
        action=action,
        actor=actor,
        key_id=KeyId(signer.key_id),
        host=hostname(),
        tool=f"evkit {__version__}",
        data=json_safe(data),
    )
    return replace(event, sig=signer.sign_b64(canonical_bytes(event.body())))


def make_event(
    signer: Signer,
    *,
    seq: int,
    prev: str,
    action: str,
    actor: dict[str, Any],
    data: dict[str, Any],
    at: str | None = None,
) -> bytes:
    """Build, sign and serialise one event; returns the line bytes (no newline)."""
    return sign_event(
        signer, seq=seq, prev=prev, action=action, actor=actor, data=data, at=at
    ).line()


@dataclass
class ParsedLog:
    events: list[dict[str, Any]]
    hashes: list[str]  # line hash of each event
    torn_tail: bool  # the file ends in a partial line (an interrupted append)
    bad_lines: list[int]  # 1-based line numbers that are not JSON objects
    complete_size: int  # bytes up to the end of the last complete line
    lines: list[bytes] = field(default_factory=list)  # each event's line, as stored

    @property
    def head(self) -> LogHead:
        return LogHead(len(self.hashes), self.hashes[-1] if self.hashes else GENESIS)


def log_head(data: bytes) -> LogHead:
    """Where the chain ends, without parsing any event (complete lines only)."""
    body = data[: data.rfind(b"\n") + 1]
    if not body:
        return LogHead(0, GENESIS)
    last_start = body.rfind(b"\n", 0, len(body) - 1) + 1
    return LogHead(body.count(b"\n"), line_hash(body[last_start:-1]))


def parse_log(data: bytes) -> ParsedLog:
    """Split the log into events; tolerant, so that verification can report every problem."""
    events: list[dict[str, Any]] = []
    hashes: list[str] = []
    bad: list[int] = []
    lines: list[bytes] = []
    torn = bool(data) and not data.endswith(b"\n")
    complete = data.rfind(b"\n") + 1
    body = data[:complete]
    for n, line in enumerate(body.split(b"\n")[:-1] if body else [], start=1):
        hashes.append(line_hash(line))
        lines.append(line)
        try:
            obj = loads(line)
            if not isinstance(obj, dict):
                raise ValueError("not an object")
        except ValueError:
            bad.append(n)
            events.append({})
            continue
        events.append(obj)
    return ParsedLog(events, hashes, torn, bad, complete, lines)


def check_log(log: ParsedLog, verify: Callable[[bytes, bytes], bool], key_id: str) -> list[Finding]:
    """Check the chain, sequence numbers, types and every signature; report every problem."""
    findings: list[Finding] = []
    if log.torn_tail:
        findings.append(
            Finding(
                "log.torn",
                "The custody log ends with an incomplete line "
                "(an interrupted write that was not recovered).",
                LOG_PATH,
            )
        )
    prev = GENESIS
    for i, (event, h) in enumerate(zip(log.events, log.hashes, strict=True), start=1):
        where = f"{LOG_PATH} line {i}"
        if i in log.bad_lines:
            findings.append(
                Finding(
                    "log.malformed",
                    f"Custody log line {i} is not valid JSON: it was edited or damaged.",
                    where,
                )
            )
            prev = h
            continue
        if event.get("type") != EVENT_TYPE:
            findings.append(
                Finding(
                    "log.malformed", f"Custody log line {i} is not an evkit custody event.", where
                )
            )
        if event.get("seq") != i:
            findings.append(
                Finding(
                    "log.sequence",
                    f"Custody log line {i} has sequence number "
                    f"{event.get('seq')!r}: events were removed, reordered or "
                    "inserted.",
                    where,
                )
            )
        if event.get("prev") != prev:
            findings.append(
                Finding(
                    "log.chain",
                    f"Custody log line {i} does not follow from the "
                    "line before it: the log was edited, or lines were removed "
                    "or inserted.",
                    where,
                )
            )
        prev = h
        sig = event.get("sig")
        if event.get("key_id") != key_id:
            findings.append(
                Finding(
                    "log.key",
                    f"Custody log line {i} was signed with a "
                    "different key from the case's collector key.",
                    where,
                )
            )
            continue
        try:
            raw_sig = base64.b64decode(str(sig), validate=True)
            good = False
            line = log.lines[i - 1] if len(log.lines) >= i else None
            member = b',"sig":"' + str(sig).encode("ascii") + b'"'
            if line is not None and line.count(member) == 1:
                # Fastest: evkit writes each line in canonical form, so the signed bytes are the
                # line without its "sig" member. Sound: any bytes the key verifies are a body
                # evkit signed, which never has a top-level "sig", so the member removed was
                # this event's own; anything else falls through to re-encoding.
                good = verify(raw_sig, line.replace(member, b"", 1))
            if not good:
                body = {k: v for k, v in event.items() if k != "sig"}
                # For the events evkit writes, compact sorted json.dumps is the RFC 8785 form;
                # only if that fails is the (slow, exact) JCS encoder consulted.
                fast = json.dumps(
                    body, sort_keys=True, ensure_ascii=False, separators=(",", ":")
                ).encode("utf-8")
                good = verify(raw_sig, fast)
                if not good:
                    exact = canonical_bytes(body)
                    good = exact != fast and verify(raw_sig, exact)
        except (binascii.Error, ValueError, TypeError, UnicodeEncodeError):
            good = False
        if not good:
            findings.append(
                Finding(
                    "log.signature",
                    f"Custody log line {i} "
                    f"({event.get('action', '?')}) has a signature that does "
                    "not match its content: it was edited.",
                    where,
                )
            )
    return findings
