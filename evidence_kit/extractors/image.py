"""Images and screenshots: format, size, EXIF (camera, times, GPS), PNG text and screenshot signs.

Screenshots are the most common evidence a victim has: a chat, a fake shop, a payment page. What
police want from them is *when* the picture was made (EXIF times with their UTC offsets, the PNG
``tIME`` chunk), *what* made it (camera or phone, software) and, for photos, *where* (GPS). This
extractor reads only headers and metadata, never the pixel data: that keeps it fast on 100-MP
phone photos and harmless on decompression bombs (a small file that declares billions of pixels).

Two independent readers are used because hostile or damaged files break them in different ways:
``exifread`` parses EXIF straight from the bytes and often survives a truncated file Pillow
refuses, while Pillow understands more containers (PNG text, WebP, HEIC via ``pillow-heif``).
Whatever either one reads is kept; what neither could read is recorded as a plain-words error.

Metadata keys (always present): ``format``, ``width``, ``height``, ``mode`` (``None`` when the
header could not be read), ``looks_like_screenshot`` (bool), ``screenshot_reasons`` (list of
str). Optional: ``camera_make``, ``camera_model``, ``software``, ``lens``, ``description``,
``orientation`` (EXIF 1-8) and ``orientation_label``, ``exif`` (selected tags by name), ``gps``
(``latitude``/``longitude`` in signed decimal degrees, ``altitude_m``, ``timestamp_utc``...),
``png_text`` (keyword to text, each capped at 4 KB) and ``png_text_truncated``, ``png_time_utc``,
``xmp`` and ``comment`` (capped at 4 KB), ``warnings`` (parser complaints, capped),
``decompression_bomb`` (True when the declared size is too large to read safely).
"""

from __future__ import annotations

import io
import logging
import math
import mmap
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import Any

import exifread
from PIL import Image, ImageOps, UnidentifiedImageError

from evidence_kit.extractors import registry
from evidence_kit.extractors.interface import ExtractContext, Extraction, TimeFact

__all__ = ["EXTRACTOR", "ImageExtractor", "make_thumbnail"]

# What this extractor accepts is declared in ``registry.IMAGE``.
# Only these Pillow plugins may open evidence: fewer parsers, less attack surface (EPS, for
# one, would hand the file to Ghostscript when pixels are loaded).
_PILLOW_FORMATS = ("JPEG", "MPO", "PNG", "GIF", "WEBP", "TIFF", "BMP", "HEIF", "AVIF")

#: Cap on every free-text value copied into metadata (PNG text, XMP, comments, EXIF strings).
TEXT_CAP = 4096
#: Declared pixel counts above this are reported as a possible decompression bomb. It is
#: Pillow's own default error threshold, fixed here so that another module setting
#: ``Image.MAX_IMAGE_PIXELS = None`` cannot switch our check off.
BOMB_PIXELS = 2 * 89_478_485
#: The most pixels :func:`make_thumbnail` will decode (after JPEG draft reduction): ~150 MB RGB.
THUMB_MAX_PIXELS = 50_000_000

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_MAX_CHUNKS = 100_000  # a real PNG has a few hundred; stop walking hostile ones
_PNG_MAX_TEXT_CHUNKS = 100
_PNG_MAX_CHUNK_READ = 2 * 1024 * 1024  # bytes of one text/eXIf chunk we are willing to read
_EXIF_MAX_BYTES = 1024 * 1024  # decompressed EXIF blob from a PNG text chunk
_HEIF_MAX_META = 16 * 1024 * 1024  # bytes of the HEIF 'meta' box we read to check item extents
_MAX_WARNINGS = 10

# EXIF tags we report, by number (the same in exifread and Pillow, unlike their names).
_MAIN_TAGS: dict[int, str] = {
    0x0100: "ImageWidth",
    0x0101: "ImageLength",
    0x010E: "ImageDescription",
    0x010F: "Make",
    0x0110: "Model",
    0x0112: "Orientation",
    0x0131: "Software",
    0x0132: "DateTime",
    0x013B: "Artist",
    0x013C: "HostComputer",
    0x8298: "Copyright",
    0x9003: "DateTimeOriginal",
    0x9004: "DateTimeDigitized",
    0x9010: "OffsetTime",
    0x9011: "OffsetTimeOriginal",
    0x9012: "OffsetTimeDigitized",
    0x9286: "UserComment",
    0x9290: "SubSecTime",
    0x9291: "SubSecTimeOriginal",
    0x9292: "SubSecTimeDigitized",
    0xA002: "ExifImageWidth",
    0xA003: "ExifImageLength",
    0xA420: "ImageUniqueID",
    0xA430: "CameraOwnerName",
    0xA431: "BodySerialNumber",
    0xA432: "LensSpecification",
    0xA433: "LensMake",
    0xA434: "LensModel",
}
_GPS_TAGS: dict[int, str] = {
    0x00: "GPSVersionID",
    0x01: "GPSLatitudeRef",
    0x02: "GPSLatitude",
    0x03: "GPSLongitudeRef",
    0x04: "GPSLongitude",
    0x05: "GPSAltitudeRef",
    0x06: "GPSAltitude",
    0x07: "GPSTimeStamp",
    0x0C: "GPSSpeedRef",
    0x0D: "GPSSpeed",
    0x10: "GPSImgDirectionRef",
    0x11: "GPSImgDirection",
    0x12: "GPSMapDatum",
    0x1D: "GPSDateStamp",
    0x1F: "GPSHPositioningError",
}
# ASCII-typed tags: decoded as text even when a damaged file hands us bytes.
_TEXT_TAGS = frozenset(
    {
        0x010E,
        0x010F,
        0x0110,
        0x0131,
        0x0132,
        0x013B,
        0x013C,
        0x8298,
        0x9003,
        0x9004,
        0x9010,
        0x9011,
        0x9012,
        0x9290,
        0x9291,
        0x9292,
        0xA420,
        0xA430,
        0xA431,
        0xA433,
        0xA434,
    }
)
_GPS_TEXT_TAGS = frozenset({0x01, 0x03, 0x0C, 0x10, 0x12, 0x1D})
_USER_COMMENT = 0x9286

_ORIENTATION = {
    1: "normal",
    2: "mirrored",
    3: "rotated 180°",
    4: "mirrored vertically",
    5: "mirrored and rotated 90° anticlockwise",
    6: "rotated 90° clockwise",
    7: "mirrored and rotated 90° clockwise",
    8: "rotated 90° anticlockwise",
}

# EXIF times and the tag holding each one's UTC offset (EXIF 2.31).
_EXIF_TIMES = (
    (0x9003, 0x9011, "image captured (EXIF DateTimeOriginal)"),
    (0x9004, 0x9012, "image digitised (EXIF DateTimeDigitized)"),
    (0x0132, 0x9010, "image file last changed (EXIF DateTime)"),
)
_UNKNOWN_ZONE = "local time, zone unknown"
_EXIF_DT_RE = re.compile(r"(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET_RE = re.compile(r"([+-])(\d{2}):?(\d{2})")
_PNG_TIME_KEYS = frozenset({"creation time", "date:create", "date:modify", "date:timestamp"})

# Screens, as (long side, short side). Phones: iPhone, common Android; desktops and laptops.
_SCREEN_SIZES = frozenset(
    {
        (1136, 640),
        (1334, 750),
        (1792, 828),
        (2208, 1242),
        (1920, 1080),
        (2436, 1125),
        (2688, 1242),
        (2532, 1170),
        (2556, 1179),
        (2778, 1284),
        (2796, 1290),
        (2340, 1080),
        (2400, 1080),
        (2412, 1080),
        (2220, 1080),
        (2160, 1080),
        (2280, 1080),
        (2960, 1440),
        (3040, 1440),
        (3088, 1440),
        (3120, 1440),
        (3200, 1440),
        (2560, 1440),
        (1280, 720),
        (1600, 720),
        (1520, 720),
        (1440, 720),
        (1366, 768),
        (1280, 800),
        (1440, 900),
        (1536, 864),
        (1600, 900),
        (1680, 1050),
        (1920, 1200),
        (2560, 1600),
        (2880, 1800),
        (3024, 1964),
        (3456, 2234),
        (3840, 2160),
        (2736, 1824),
        (2048, 1536),
        (2732, 2048),
        (2388, 1668),
        (2360, 1640),
        (2266, 1488),
        (1024, 768),
        (5120, 2880),
    }
)
# Short sides typical of phone screens, for sizes not in the table (cropped status bars,
# unusual models): combined with a tall phone aspect ratio.
_PHONE_WIDTHS = frozenset(
    {640, 720, 750, 828, 1080, 1125, 1170, 1179, 1206, 1242, 1284, 1290, 1320, 1440}
)
# Formats screenshots are saved in by desktop tools (photos from the web are mostly JPEG).
_LOSSLESS = frozenset({"PNG", "BMP", "GIF", "TIFF"})
_SCREENSHOT_NAME_RE = re.compile(
    r"screen[ _\-]?shot|screen[ _\-]?capture|bildschirmfoto|capture d.?[ée]cran|scrnshot",
    re.IGNORECASE,
)


# --- HEIF/AVIF support -----------------------------------------------------------------------


@cache
def _register_heif() -> bool:
    """Teach Pillow HEIC/HEIF through pillow-heif, once, on first use (keeps imports cheap)."""
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def _allowed_formats() -> tuple[str, ...]:
    """The plugin names from :data:`_PILLOW_FORMATS` this Pillow actually has (AVIF is optional)."""
    _register_heif()
    Image.init()
    return tuple(f for f in _PILLOW_FORMATS if f in Image.OPEN)


# --- plain JSON values -----------------------------------------------------------------------


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _plain(value: Any) -> Any:
    """Turn an exifread/Pillow value into str/int/float/list (or None when meaningless).

    Rationals (exifread ``Ratio``, Pillow ``IFDRational``) become floats, a zero denominator
    becomes None (never NaN/inf), short byte strings become lists of ints, long ones are dropped.
    Single-element lists are unwrapped, as exifread wraps every numeric value in a list.
    """
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, bytes | bytearray):
        return list(value) if len(value) <= 8 else None
    num, den = getattr(value, "numerator", None), getattr(value, "denominator", None)
    if num is not None and den is not None:
        try:
            return None if den == 0 else _finite(float(num) / float(den))
        except (OverflowError, ValueError, TypeError, ZeroDivisionError):
            return None
    if isinstance(value, list | tuple):
        items = [_plain(v) for v in value[:64]]
        return items[0] if len(items) == 1 else items
    return None


def _clean_text(s: str, cap: int = TEXT_CAP) -> str:
    """Drop NULs and padding that cameras write, and cap the length."""
    return s.replace("\x00", " ").strip()[:cap]


def _as_text(value: Any) -> str | None:
    """Read an ASCII-typed tag as text, whatever shape a damaged file gave it."""
    if isinstance(value, str):
        s = value
    elif isinstance(value, bytes | bytearray):
        s = bytes(value).decode("utf-8", "replace")
    elif isinstance(value, list | tuple) and all(
        isinstance(v, int) and 0 <= v < 256 for v in value
    ):
        s = bytes(value).decode("utf-8", "replace")
    else:
        return None
    s = _clean_text(s)
    return s or None


def _user_comment(value: Any) -> str | None:
    """Decode EXIF UserComment: an 8-byte character-code prefix, then the text."""
    if isinstance(value, str):
        return _clean_text(value) or None
    if isinstance(value, list | tuple) and all(isinstance(v, int) and 0 <= v < 256 for v in value):
        value = bytes(value)
    if not isinstance(value, bytes | bytearray):
        return None
    raw = bytes(value)
    code, body = raw[:8], raw[8:]
    if code.startswith(b"UNICODE"):
        # The byte order follows the TIFF header we no longer have; guess from the zeros.
        enc = "utf-16-be" if body[:1] == b"\x00" else "utf-16-le"
        text = body.decode(enc, "replace")
    else:  # "ASCII", undefined (all NULs) or JIS: read as UTF-8, replacing what is not
        text = body.decode("utf-8", "replace")
    return _clean_text(text) or None


def _convert(tag: int, value: Any, text_tags: frozenset[int]) -> Any:
    if tag == _USER_COMMENT:
        return _user_comment(value)
    if tag in text_tags:
        return _as_text(value)
    return _plain(value)


# --- reading EXIF from the two libraries -----------------------------------------------------


class _Exif:
    """EXIF tags by number, merged from several readers (first reader to give a tag wins)."""

    def __init__(self) -> None:
        self.main: dict[int, Any] = {}
        self.gps: dict[int, Any] = {}

    def add(self, ifd: str, tag: int, value: Any) -> None:
        if ifd == "gps":
            if tag in _GPS_TAGS and tag not in self.gps:
                v = _convert(tag, value, _GPS_TEXT_TAGS)
                if v is not None and v != "":
                    self.gps[tag] = v
        elif tag in _MAIN_TAGS and tag not in self.main:
            v = _convert(tag, value, _TEXT_TAGS)
            if v is not None and v != "":
                self.main[tag] = v

    def add_exifread(self, tags: dict[str, Any]) -> None:
        for key, tag in tags.items():
            prefix = key.split(" ", 1)[0]
            number = getattr(tag, "tag", None)
            if not isinstance(number, int):
                continue
            if prefix in ("Image", "EXIF"):
                self.add("main", number, getattr(tag, "values", None))
            elif prefix == "GPS":
                self.add("gps", number, getattr(tag, "values", None))

    def add_pillow(self, exif: Image.Exif) -> None:
        for number, value in exif.items():
            self.add("main", number, value)
        # get_ifd follows offsets inside attacker-written data; each IFD may fail on its own.
        for ifd_id, ifd in ((0x8769, "main"), (0x8825, "gps")):
            try:
                for number, value in exif.get_ifd(ifd_id).items():
                    self.add(ifd, number, value)
            except Exception:  # noqa: S112  # a broken sub-IFD must not lose the rest
                continue

    def text(self, tag: int) -> str | None:
        v = self.main.get(tag)
        return v if isinstance(v, str) and v else None

    def named(self) -> dict[str, Any]:
        return {_MAIN_TAGS[k]: v for k, v in sorted(self.main.items())}


def _read_exifread(path: Path, exif: _Exif) -> str | None:
    """Feed exifread's tags into ``exif``; return why it failed, or None."""
    try:
        with path.open("rb") as fh:
            tags = exifread.process_file(fh, details=False, extract_thumbnail=False)
    # exifread has many failure modes on hostile files (struct, index, unicode errors...).
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    exif.add_exifread(tags)
    return None


def _exif_from_bytes(data: bytes, exif: _Exif) -> str | None:
    """Parse a raw EXIF blob (a PNG eXIf chunk or ``exif`` text chunk) with Pillow."""
    try:
        parsed = Image.Exif()
        parsed.load(data)
        exif.add_pillow(parsed)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


# --- times -----------------------------------------------------------------------------------


def _utc_iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_offset(s: str | None) -> timezone | None:
    if not s:
        return None
    m = _OFFSET_RE.fullmatch(s.strip())
    if not m:
        return None
    hours, minutes = int(m.group(2)), int(m.group(3))
    if hours > 14 or minutes >= 60:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if m.group(1) == "-" else delta)


def _naive(m: re.Match[str]) -> datetime:
    """The naive datetime matched by :data:`_EXIF_DT_RE`; ValueError if impossible."""
    y, mo, d, h, mi, s = (int(g) for g in m.groups())
    return datetime(y, mo, d, h, mi, min(s, 59))  # a leap second is rounded


def _exif_time_fact(value: str, offset_raw: str | None, label: str, field: str) -> TimeFact | None:
    m = _EXIF_DT_RE.match(value.strip())
    if not m:
        return None
    try:
        dt = _naive(m)  # EXIF times are local wall-clock times
    except ValueError:  # "0000:00:00 00:00:00" and friends: no date was recorded
        return None
    tz = _parse_offset(offset_raw)
    raw = f"{value} {offset_raw}" if offset_raw else value
    if tz is None:
        return TimeFact(
            at=dt.strftime("%Y-%m-%dT%H:%M:%S"),
            label=f"{label}, {_UNKNOWN_ZONE}",
            raw=raw,
            field=field,
        )
    try:
        at = _utc_iso(dt.replace(tzinfo=tz))
    except (OverflowError, ValueError):
        return None
    return TimeFact(at=at, label=label, raw=raw, field=field)


def _text_time(value: str) -> tuple[str, bool] | None:
    """Parse a free-form date from a PNG text chunk: RFC 1123, ISO 8601 or EXIF style.

    Returns (ISO string, zone known).
    """
    v = value.strip()[:100]
    dt: datetime | None = None
    try:
        dt = parsedate_to_datetime(v)
    except (TypeError, ValueError, IndexError):
        dt = None
    if dt is None:
        try:
            dt = datetime.fromisoformat(v.replace(" ", "T", 1) if "T" not in v else v)
        except ValueError:
            dt = None
    if dt is None:
        m = _EXIF_DT_RE.match(v)
        if m:
            try:
                dt = _naive(m)
            except ValueError:
                dt = None
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.strftime("%Y-%m-%dT%H:%M:%S"), False
    try:
        return _utc_iso(dt), True
    except (OverflowError, ValueError):
        return None


# --- GPS -------------------------------------------------------------------------------------


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _dms(v: Any) -> float | None:
    """Degrees/minutes/seconds (or an already-decimal value) to decimal degrees."""
    if isinstance(v, list):
        parts = [_num(x) for x in v]
        if len(parts) == 3 and all(p is not None for p in parts):
            d, m, s = (p or 0.0 for p in parts)
            return _finite(d + m / 60 + s / 3600)
        if len(parts) == 1:
            return parts[0]
        return None
    return _num(v)


def _gps(g: dict[int, Any]) -> dict[str, Any]:
    """Decode the GPS IFD into signed decimal degrees, metres and a UTC time."""
    out: dict[str, Any] = {}
    for key, coord_tag, ref_tag, neg, limit in (
        ("latitude", 2, 1, "S", 90.0),
        ("longitude", 4, 3, "W", 180.0),
    ):
        value = _dms(g.get(coord_tag))
        ref = str(g.get(ref_tag) or "").strip().upper()[:1]
        if value is not None and abs(value) <= limit:
            if ref == neg and value > 0:
                value = -value
            out[key] = round(value, 7)
            if ref:
                out[f"{key}_ref"] = ref
    alt = _num(g.get(6))
    if alt is not None and math.isfinite(alt):
        below = g.get(5) == 1 or g.get(5) == [1]  # 1 = below sea level
        out["altitude_m"] = round(-abs(alt) if below else alt, 3)
    stamp, date = g.get(7), g.get(0x1D)
    time_utc: str | None = None
    if isinstance(stamp, list) and len(stamp) == 3 and all(_num(x) is not None for x in stamp):
        h, mi, s = (int(_num(x) or 0) for x in stamp)
        if 0 <= h < 24 and 0 <= mi < 60 and 0 <= s < 61:
            time_utc = f"{h:02d}:{mi:02d}:{min(s, 59):02d}"
            out["time_utc"] = time_utc
    if isinstance(date, str):
        out["date_utc_raw"] = date
        m = re.fullmatch(r"(\d{4})[:\-](\d{2})[:\-](\d{2})", date.strip())
        if m and time_utc:
            try:
                dt = datetime.fromisoformat(f"{m.group(1)}-{m.group(2)}-{m.group(3)}T{time_utc}")
                out["timestamp_utc"] = dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            except ValueError:
                pass
    if not out:
        return {}
    for key, tag in (("map_datum", 0x12), ("img_direction_ref", 0x10), ("speed_ref", 0x0C)):
        if isinstance(g.get(tag), str):
            out[key] = g[tag]
    for key, tag in (("img_direction", 0x11), ("speed", 0x0D), ("horizontal_error_m", 0x1F)):
        n = _num(g.get(tag))
        if n is not None:
            out[key] = round(n, 3)
    return out


# --- file structure checks (no pixel decoding) -----------------------------------------------


class _PngInfo:
    """What a walk over a PNG's chunks found."""

    def __init__(self) -> None:
        self.width: int | None = None
        self.height: int | None = None
        self.text: list[tuple[str, str, bool]] = []  # keyword, value (capped), was truncated
        self.exif: bytes | None = None
        self.time_utc: str | None = None
        self.problems: list[str] = []
        self.complete = False


def _inflate(data: bytes, limit: int) -> tuple[bytes, bool]:
    """Decompress at most ``limit`` bytes (zTXt/iTXt can be bombs too). Returns (data, cut)."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, limit)
    except zlib.error:
        return b"", False
    return out, bool(d.unconsumed_tail)


def _cap_text(raw: bytes, encoding: str) -> tuple[str, bool]:
    """Decode at most :data:`TEXT_CAP` bytes; returns (text, whether it was cut)."""
    end = min(len(raw), TEXT_CAP)
    if encoding == "utf-8" and end < len(raw):
        while end > 0 and 0x80 <= raw[end] < 0xC0:  # do not split a multi-byte character
            end -= 1
    return raw[:end].decode(encoding, "replace").replace("\x00", " "), end < len(raw)


def _png_text_chunk(ctype: bytes, data: bytes, info: _PngInfo) -> None:
    keyword_b, sep, rest = data.partition(b"\x00")
    if not sep:
        info.problems.append(f"a PNG {ctype.decode('latin-1')} chunk has no keyword")
        return
    keyword = keyword_b[:79].decode("latin-1", "replace")
    is_exif = keyword.lower() in ("exif", "raw profile type exif")
    limit = _EXIF_MAX_BYTES if is_exif else TEXT_CAP + 1
    encoding = "latin-1"
    if ctype == b"zTXt":
        raw, _ = _inflate(rest[1:], limit)
    elif ctype == b"iTXt":
        if len(rest) < 2:
            return
        compressed, body = rest[0], rest[2:]
        _lang, _, body = body.partition(b"\x00")
        _translated, _, body = body.partition(b"\x00")
        raw = _inflate(body, limit)[0] if compressed else body
        encoding = "utf-8"
    else:
        raw = rest
    if is_exif:
        blob = raw
        if keyword.lower() == "raw profile type exif":  # ImageMagick: "\nexif\n  len\nHEX..."
            try:
                blob = bytes.fromhex("".join(raw.decode("ascii", "replace").split("\n")[3:]))
            except ValueError:
                blob = b""
        if blob and info.exif is None:
            info.exif = blob[:_EXIF_MAX_BYTES]
        return
    if len(info.text) < _PNG_MAX_TEXT_CHUNKS:
        value, cut = _cap_text(raw, encoding)
        info.text.append((keyword, value, cut))


def _walk_png(path: Path) -> _PngInfo:
    """Read a PNG's chunk list: IHDR size, text chunks, eXIf, tIME, and whether it is whole.

    Only small chunks are read; image data (IDAT) is skipped by seeking, so this costs the same
    for a 1-MP screenshot and a 500-MP bomb. CRCs are checked on the chunks we read.
    """
    info = _PngInfo()
    size = path.stat().st_size
    with path.open("rb") as fh:
        if fh.read(8) != _PNG_SIGNATURE:
            info.problems.append("the file does not start with a PNG signature")
            return info
        pos = 8
        for _ in range(_PNG_MAX_CHUNKS):
            head = fh.read(8)
            if len(head) < 8:
                info.problems.append(
                    "the PNG data stops before its end marker (IEND): the file was cut short"
                )
                return info
            length, ctype = struct.unpack(">I4s", head)
            end = pos + 8 + length + 4
            if end > size:
                info.problems.append(
                    f"a PNG {ctype.decode('latin-1', 'replace')!r} chunk runs past the end of "
                    "the file: the file was cut short"
                )
                return info
            wanted = ctype in (b"IHDR", b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME")
            if wanted and length <= _PNG_MAX_CHUNK_READ:
                data = fh.read(length)
                crc = fh.read(4)
                if struct.pack(">I", zlib.crc32(ctype + data) & 0xFFFFFFFF) != crc:
                    info.problems.append(
                        f"a PNG {ctype.decode('latin-1')} chunk fails its checksum (damaged)"
                    )
                else:
                    _png_chunk(ctype, data, info)
            else:
                fh.seek(end)
            pos = end
            if ctype == b"IEND":
                info.complete = True
                return info
        info.problems.append("the PNG has an implausible number of chunks; stopped reading")
    return info


def _png_chunk(ctype: bytes, data: bytes, info: _PngInfo) -> None:
    if ctype == b"IHDR" and len(data) >= 8:
        info.width, info.height = struct.unpack(">II", data[:8])
    elif ctype == b"eXIf":
        info.exif = data
    elif ctype == b"tIME" and len(data) == 7:
        year, month, day, hour, minute, second = struct.unpack(">HBBBBB", data)
        try:
            dt = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
            info.time_utc = dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            info.problems.append("the PNG tIME chunk holds an impossible date")
    else:
        _png_text_chunk(ctype, data, info)


# JPEG start-of-frame markers carry the frame size (C4 DHT, C8 JPG and CC DAC do not).
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _check_jpeg(path: Path) -> tuple[list[str], tuple[int, int] | None]:
    """Walk JPEG segments to the image data and check an end marker follows.

    Inside entropy-coded data a 0xFF byte is always followed by 0x00 or a restart marker, so
    the first FF D9 after the start of scan is the real end-of-image: if there is none, the file
    was cut short. Returns (problems, (width, height) from the frame header or None).
    """
    problems: list[str] = []
    dims: tuple[int, int] | None = None
    with path.open("rb") as fh:
        try:
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # empty file
            return ["the file is empty"], None
        with mm:
            if mm[:2] != b"\xff\xd8":
                return ["the file does not start with a JPEG marker"], None
            pos, size = 2, len(mm)
            while pos < size:
                if mm[pos] != 0xFF:  # junk between segments: resynchronise like decoders do
                    nxt = mm.find(b"\xff", pos)
                    if nxt < 0:
                        break
                    pos = nxt
                while pos < size and mm[pos] == 0xFF:  # fill bytes
                    pos += 1
                if pos >= size:
                    break
                marker = mm[pos]
                pos += 1
                if marker == 0xD9:
                    return problems, dims
                if 0xD0 <= marker <= 0xD7 or marker in (0x01, 0x00):
                    continue
                if pos + 2 > size:
                    break
                (length,) = struct.unpack(">H", mm[pos : pos + 2])
                if marker in _SOF_MARKERS and pos + 7 <= size:
                    h, w = struct.unpack(">HH", mm[pos + 3 : pos + 7])
                    dims = (w, h)
                if marker == 0xDA:  # start of scan: image data follows up to FF D9
                    if mm.find(b"\xff\xd9", pos + length) < 0:
                        problems.append(
                            "the JPEG image data stops before its end marker: "
                            "the file was cut short"
                        )
                    return problems, dims
                if pos + length > size:
                    problems.append(
                        "a JPEG header segment runs past the end of the file: "
                        "the file was cut short"
                    )
                    return problems, dims
                pos += length
    problems.append("the JPEG has no image data: the file was cut short or damaged")
    return problems, dims


def _check_webp(path: Path) -> list[str]:
    """A WebP is one RIFF chunk whose declared size must fit in the file."""
    with path.open("rb") as fh:
        head = fh.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return ["the file does not start with a WebP (RIFF) header"]
    (declared,) = struct.unpack("<I", head[4:8])
    if declared + 8 > path.stat().st_size:
        return ["the WebP data is shorter than its header says: the file was cut short"]
    return []


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """ISO-BMFF boxes in data[start:end] as (type, payload start, box end); stops when broken."""
    pos = start
    while pos + 8 <= end:
        size, btype = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            if pos + 16 > end:
                return
            (size,) = struct.unpack(">Q", data[pos + 8 : pos + 16])
            header = 16
        elif size == 0:
            size = end - pos
        if size < header:
            return
        yield btype, pos + header, pos + size
        pos += size


def _check_heif(path: Path) -> list[str]:
    """Check a HEIC/HEIF/AVIF file's boxes and item extents (``iloc``) lie inside the file.

    The picture itself is stored at offsets listed in the ``iloc`` box; a file cut short during
    transfer still opens (its header is intact) but those offsets point past its end.
    """
    size = path.stat().st_size
    meta: bytes | None = None
    with path.open("rb") as fh:
        pos = 0
        for _ in range(1000):
            head = fh.read(16)
            if len(head) < 8:
                break
            box_size, btype = struct.unpack(">I4s", head[:8])
            if box_size == 1 and len(head) == 16:
                (box_size,) = struct.unpack(">Q", head[8:16])
            elif box_size == 0:
                box_size = size - pos
            if box_size < 8:
                return ["a HEIF box has an impossible size (damaged)"]
            if pos + box_size > size:
                return [
                    f"the HEIF {btype.decode('latin-1', 'replace')!r} box runs past the "
                    "end of the file: the file was cut short"
                ]
            if btype == b"meta" and box_size <= _HEIF_MAX_META:
                fh.seek(pos)
                meta = fh.read(box_size)
            pos += box_size
            fh.seek(pos)
            if pos >= size:
                break
    if meta is None:
        return []
    for btype, start, end in _boxes(meta, 12, len(meta)):  # 'meta' is a FullBox: skip 4 more
        if btype == b"iloc":
            try:
                last = _iloc_end(meta[start:end])
            except (struct.error, IndexError):
                return ["the HEIF item location table is damaged"]
            if last > size:
                return ["the HEIF image data ends past the end of the file: the file was cut short"]
    return []


def _iloc_end(b: bytes) -> int:
    """The furthest file offset any item extent in an ``iloc`` box payload reaches."""
    version = b[0]
    offset_size, length_size = b[4] >> 4, b[4] & 0x0F
    base_size, index_size = b[5] >> 4, (b[5] & 0x0F) if version in (1, 2) else 0
    pos = 6

    def read(n: int) -> int:
        nonlocal pos
        if n == 0:
            return 0
        if pos + n > len(b):
            raise IndexError("iloc truncated")
        v = int.from_bytes(b[pos : pos + n], "big")
        pos += n
        return v

    count = read(2 if version < 2 else 4)
    furthest = 0
    for _ in range(min(count, 10_000)):
        read(2 if version < 2 else 4)  # item id
        method = read(2) & 0x0F if version in (1, 2) else 0
        data_ref = read(2)
        base = read(base_size)
        for _ in range(min(read(2), 10_000)):
            read(index_size)
            off, length = read(offset_size), read(length_size)
            if method == 0 and data_ref == 0:  # plain file offsets (not idat/item-relative)
                furthest = max(furthest, base + off + length)
    return furthest


# --- screenshot heuristics -------------------------------------------------------------------


def _screenshot_signs(md: dict[str, Any], exif: _Exif, name: str) -> tuple[bool, list[str]]:
    """Decide whether the picture looks like a screen capture rather than a photo.

    A marker (file name, Software/Description/comment text saying "Screenshot") is decisive.
    Otherwise it takes no camera recorded and a screen-like size, and for a desktop-sized JPEG
    that is not enough: 1024x768 or 1920x1080 JPEGs without EXIF are everywhere on the web, while
    desktop screenshots are saved losslessly (PNG) and phone ones have a tall phone shape.
    """
    reasons: list[str] = []
    marker = False
    if _SCREENSHOT_NAME_RE.search(name):
        reasons.append(f"the file name {name[:100]!r} says it is a screenshot")
        marker = True
    texts: list[tuple[str, str]] = [
        (label, v)
        for label, v in (
            ("EXIF Software", exif.text(0x0131)),
            ("EXIF ImageDescription", exif.text(0x010E)),
            ("EXIF UserComment", exif.text(_USER_COMMENT)),
            ("XMP", md.get("xmp")),
            ("JPEG comment", md.get("comment")),
        )
        if isinstance(v, str)
    ]
    texts += [(f"PNG text {k!r}", v) for k, v in (md.get("png_text") or {}).items()]
    for label, value in texts:
        if _SCREENSHOT_NAME_RE.search(value):
            reasons.append(f"{label} mentions a screenshot")
            marker = True
    camera = exif.text(0x010F) or exif.text(0x0110)
    if not camera:
        reasons.append("no camera make or model is recorded")
    screen = False
    w, h = md.get("width"), md.get("height")
    if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0:
        long_side, short_side = max(w, h), min(w, h)
        phone_shape = h > w and 1.7 <= long_side / short_side <= 2.4
        if (long_side, short_side) in _SCREEN_SIZES:
            reasons.append(f"its size {w}x{h} is a common screen resolution")
            screen = phone_shape or md.get("format") in _LOSSLESS
        elif short_side in _PHONE_WIDTHS and phone_shape:
            reasons.append(f"its size {w}x{h} has a phone screen's width and shape")
            screen = True
    return marker or (screen and not camera), reasons


# --- the extractor ---------------------------------------------------------------------------


class ImageExtractor:
    """Photos and screenshots: JPEG, PNG, GIF, WebP, TIFF, HEIC/HEIF, AVIF, BMP."""

    name = "image"

    def accepts(self, mime: str, suffix: str) -> bool:
        """Image types; unidentified content when named as an image (declared in the registry)."""
        return registry.IMAGE.accepts(mime, suffix)

    def extract(self, path: Path, ctx: ExtractContext) -> Extraction:
        """Read headers and metadata only; never decodes the pixels."""
        # exifread logs every oddity of hostile files as a warning; our errors say what matters.
        logging.getLogger("exifread").setLevel(logging.ERROR)
        result = Extraction(extractor=self.name)
        md = result.metadata
        md.update({"format": None, "width": None, "height": None, "mode": None})
        exif = _Exif()
        exifread_error = _read_exifread(path, exif)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opened = self._read_pillow(path, md, exif, result.errors)
            head = _head(path)
            png: _PngInfo | None = None
            if head.startswith(_PNG_SIGNATURE):
                png = _walk_png(path)
                self._use_png(png, md, exif, result)
        msgs = [
            str(w.message)[:200]
            for w in caught
            if not issubclass(w.category, Image.DecompressionBombWarning)
        ]
        if msgs:
            md["warnings"] = list(dict.fromkeys(msgs))[:_MAX_WARNINGS]

        # Structure checks catch files cut short: Pillow opens those happily (it reads only
        # the header) and the victim would not know the copy they hold is incomplete.
        try:
            if opened:
                problems: list[str] = []
                if md["format"] in ("JPEG", "MPO"):
                    problems, _ = _check_jpeg(path)
                elif png is not None:
                    problems = png.problems
                elif md["format"] == "WEBP":
                    problems = _check_webp(path)
                elif md["format"] in ("HEIF", "AVIF"):
                    problems = _check_heif(path)
                result.errors.extend(f"the image is truncated or damaged: {p}" for p in problems)
            elif md["width"] is None and head.startswith(b"\xff\xd8"):
                _, dims = _check_jpeg(path)  # size from the frame header, for the record
                if dims:
                    md["width"], md["height"] = dims
        except (OSError, ValueError, struct.error) as exc:  # e.g. a file mmap cannot map
            result.errors.append(
                f"the image's structure could not be checked: {type(exc).__name__}: {exc}"[:300]
            )

        w, h = md["width"], md["height"]
        if (
            isinstance(w, int)
            and isinstance(h, int)
            and w * h > BOMB_PIXELS
            and not md.get("decompression_bomb")
        ):
            md["decompression_bomb"] = True
            result.errors.append(
                f"the image declares {w} x {h} pixels, too many to read safely (a possible "
                "decompression bomb); its pixel data was not read"
            )

        if exifread_error and opened and not exif.main and not exif.gps:
            result.errors.append(f"the EXIF metadata could not be read: {exifread_error}")
        self._summarise(exif, md, result)
        md["looks_like_screenshot"], md["screenshot_reasons"] = _screenshot_signs(
            md, exif, Path(ctx.original_name).name
        )
        return result

    @staticmethod
    def _read_pillow(path: Path, md: dict[str, Any], exif: _Exif, errors: list[str]) -> bool:
        """Format, size, mode, XMP/comment and EXIF from Pillow's lazy open (no pixel load)."""
        try:
            with Image.open(path, formats=_allowed_formats()) as im:
                md["format"] = im.format
                md["width"], md["height"] = int(im.width), int(im.height)
                md["mode"] = im.mode
                for key in ("xmp", "comment"):
                    value = im.info.get(key)
                    if isinstance(value, bytes | str):
                        text = (
                            value.decode("utf-8", "replace") if isinstance(value, bytes) else value
                        )
                        if text.strip():
                            md[key] = _clean_text(text)
                # PNG's getexif() loads the whole image to find late eXIf chunks; our own chunk
                # walker finds them without decoding pixels, so skip Pillow for PNG.
                if im.format != "PNG":
                    try:
                        exif.add_pillow(im.getexif())
                    except Exception as exc:
                        errors.append(
                            f"the EXIF metadata is damaged: {type(exc).__name__}: {exc}"[:300]
                        )
        except Image.DecompressionBombError as exc:
            md["decompression_bomb"] = True
            m = re.search(r"\((\d+) pixels\)", str(exc))
            pixels = f"{int(m.group(1)):,} pixels" if m else "too many pixels"
            errors.append(
                f"the image declares {pixels}, too many to read safely (a possible "
                "decompression bomb); its pixel data was not read"
            )
            return False
        except UnidentifiedImageError:
            errors.append(
                "the image is truncated or damaged: its content is not in a picture "
                "format we can read"
            )
            return False
        except Exception as exc:  # hostile input: record, do not propagate
            errors.append(
                f"the image is truncated or damaged: could not read its header "
                f"({type(exc).__name__}: {exc})"[:400]
            )
            return False
        return True

    @staticmethod
    def _use_png(png: _PngInfo, md: dict[str, Any], exif: _Exif, result: Extraction) -> None:
        if md["width"] is None and png.width is not None:
            md["width"], md["height"] = png.width, png.height
        if png.exif:
            problem = _exif_from_bytes(png.exif, exif)
            if problem:
                result.errors.append(f"the PNG's EXIF block is damaged: {problem}")
        if png.text:
            texts: dict[str, str] = {}
            cut: list[str] = []
            for keyword, value, truncated in png.text:
                key, n = keyword, 2
                while key in texts:  # repeated keywords (two Comment chunks) are all kept
                    key, n = f"{keyword} ({n})", n + 1
                texts[key] = value
                if truncated:
                    cut.append(key)
                if keyword.lower() == "xml:com.adobe.xmp" and "xmp" not in md:
                    md["xmp"] = value
                if keyword.lower() in _PNG_TIME_KEYS:
                    parsed = _text_time(value)
                    if parsed:
                        at, known = parsed
                        label = f"PNG text chunk {keyword!r}"
                        result.times.append(
                            TimeFact(
                                at=at,
                                label=label if known else f"{label}, {_UNKNOWN_ZONE}",
                                raw=value[:100],
                                field=f"png.text.{keyword}",
                            )
                        )
            md["png_text"] = texts
            if cut:
                md["png_text_truncated"] = cut
        if png.time_utc:
            md["png_time_utc"] = png.time_utc
            result.times.append(
                TimeFact(
                    at=png.time_utc,
                    label="PNG last modified (tIME chunk, UTC)",
                    raw=png.time_utc,
                    field="png.tIME",
                )
            )

    @staticmethod
    def _summarise(exif: _Exif, md: dict[str, Any], result: Extraction) -> None:
        """Promote the tags people ask about to top-level keys; add times and GPS."""
        for key, tag in (
            ("camera_make", 0x010F),
            ("camera_model", 0x0110),
            ("software", 0x0131),
            ("description", 0x010E),
        ):
            text = exif.text(tag)
            if text:
                md[key] = text
        lens = exif.text(0xA434) or exif.text(0xA433)
        if lens:
            md["lens"] = lens
        orientation = exif.main.get(0x0112)
        if isinstance(orientation, int) and orientation in _ORIENTATION:
            md["orientation"] = orientation
            md["orientation_label"] = _ORIENTATION[orientation]
        if exif.main:
            md["exif"] = exif.named()
        for tag, offset_tag, label in _EXIF_TIMES:
            value = exif.text(tag)
            if value:
                fact = _exif_time_fact(
                    value, exif.text(offset_tag), label, f"exif.{_MAIN_TAGS[tag]}"
                )
                if fact:
                    result.times.append(fact)
        gps = _gps(exif.gps)
        if gps:
            md["gps"] = gps
            if "timestamp_utc" in gps:
                result.times.append(
                    TimeFact(
                        at=gps["timestamp_utc"],
                        label="GPS position fix (EXIF GPS time, UTC)",
                        raw=f"{gps.get('date_utc_raw', '')} {gps.get('time_utc', '')}".strip(),
                        field="exif.gps.GPSDateStamp",
                    )
                )


def _head(path: Path, n: int = 16) -> bytes:
    with path.open("rb") as fh:
        return fh.read(n)


# --- thumbnails for the HTML report ----------------------------------------------------------


def make_thumbnail(path: Path, max_px: int = 320) -> bytes | None:
    """A JPEG thumbnail (longest side ``max_px``, EXIF rotation applied), or None on any failure.

    Bomb-safe: the declared size is checked before any pixel is decoded, JPEGs are decoded at a
    reduced scale (``draft``), and nothing above :data:`THUMB_MAX_PIXELS` is decoded at all.
    """
    if max_px < 1:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's bomb warning: our own limit applies
            with Image.open(path, formats=_allowed_formats()) as im:
                if im.format in ("JPEG", "MPO"):
                    im.draft("RGB", (max_px, max_px))
                if im.width * im.height > THUMB_MAX_PIXELS or im.width < 1 or im.height < 1:
                    return None
                im.thumbnail((max_px, max_px))
                shown = ImageOps.exif_transpose(im)
                return _to_jpeg(shown)
    # Any decoder failure on a hostile file just means "no thumbnail".
    except Exception:
        return None


def _to_jpeg(im: Image.Image) -> bytes:
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))  # transparency shown on white
        flat.paste(rgba, mask=rgba.getchannel("A"))
        im = flat
    elif im.mode != "RGB":
        im = im.convert("RGB")
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=80)
    return buf.getvalue()


#: The extractors this module provides, for the registry.
EXTRACTOR = ImageExtractor()
