"""The image/screenshot extractor against real third-party files, crafted bombs and fuzzing."""

from __future__ import annotations

import io
import json
import resource
import struct
import zlib
from pathlib import Path

import exifread
import magic
import pytest
from exifread.utils import get_gps_coords
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from evidence_kit.extractors import ExtractContext, Extraction, extract
from evidence_kit.extractors.image import ImageExtractor, make_thumbnail

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
if not CORPUS.is_dir():
    pytest.skip("shared corpus not available: ../shared/corpus", allow_module_level=True)

IMAGES = CORPUS / "images"
WEIRD = CORPUS / "weird"
_IMAGE_SUFFIXES = {
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".webp",
    ".tif",
    ".tiff",
    ".heic",
    ".heif",
    ".avif",
    ".bmp",
}
CORPUS_IMAGES = sorted(
    p for d in (IMAGES, WEIRD) for p in d.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES
)


def run(path: Path, name: str | None = None, tmp: Path | None = None) -> Extraction:
    """Extract through the registry, exactly as the case store does."""
    mime = magic.from_file(str(path), mime=True)
    ctx = ExtractContext(scratch_dir=tmp or path.parent, original_name=name or path.name)
    return extract(path, mime, ctx)


def times_by_field(result: Extraction) -> dict[str, tuple[str, str]]:
    return {t.field: (t.at, t.label) for t in result.times}


# --- every corpus file ------------------------------------------------------------------------


@pytest.mark.parametrize("path", CORPUS_IMAGES, ids=lambda p: p.name)
def test_every_corpus_image_is_read_or_explained(path: Path, tmp_path: Path) -> None:
    result = run(path, tmp=tmp_path)
    assert result.extractor == "image"
    assert result.metadata or result.errors
    # Records are canonical JSON: plain types, no NaN/inf anywhere.
    json.dumps(result.to_dict(), allow_nan=False)
    for key in ("format", "width", "height", "mode", "looks_like_screenshot", "screenshot_reasons"):
        assert key in result.metadata
    assert all(isinstance(e, str) and e for e in result.errors)
    assert result.identifiers == []  # GPS goes in metadata, never in identifiers
    assert not list(tmp_path.iterdir())  # nothing written outside scratch (nor inside)


def test_corpus_gps_matches_exifread(tmp_path: Path) -> None:
    """Independent oracle: exifread's own DMS-to-decimal helper, on every file with GPS."""
    checked = 0
    for path in CORPUS_IMAGES:
        with path.open("rb") as fh:
            try:
                tags = exifread.process_file(fh, details=False, extract_thumbnail=False)
                coords = get_gps_coords(tags)
            except Exception:  # the oracle itself fails on the broken files
                continue
        if coords is None:
            continue
        gps = run(path, tmp=tmp_path).metadata["gps"]
        assert gps["latitude"] == pytest.approx(coords[0], abs=1e-6), path.name
        assert gps["longitude"] == pytest.approx(coords[1], abs=1e-6), path.name
        checked += 1
    assert checked >= 4


# --- golden values (checked by hand with exifread) -------------------------------------------


def test_nikon_gps_photo() -> None:
    r = run(IMAGES / "exifpy__DSCN0010.jpg")
    md = r.metadata
    assert (md["format"], md["width"], md["height"], md["mode"]) == ("JPEG", 640, 480, "RGB")
    assert md["camera_make"] == "NIKON"
    assert md["camera_model"] == "COOLPIX P6000"
    assert md["software"] == "Nikon Transfer 1.1 W"
    # GPSLatitude [43, 28, 1407/500] N, GPSLongitude [11, 53, 645599999/100000000] E
    assert round(md["gps"]["latitude"], 4) == 43.4674
    assert round(md["gps"]["longitude"], 4) == 11.8851
    assert md["gps"]["map_datum"] == "WGS-84"
    times = times_by_field(r)
    # No OffsetTimeOriginal: the local time is kept as written, and said to be zone-less.
    assert times["exif.DateTimeOriginal"] == (
        "2008-10-22T16:28:39",
        "image captured (EXIF DateTimeOriginal), local time, zone unknown",
    )
    # GPSDate 2008:10:23 + GPSTimeStamp [14, 27, 181/25] are UTC by definition.
    assert times["exif.gps.GPSDateStamp"][0] == "2008-10-23T14:27:07Z"
    assert md["looks_like_screenshot"] is False


def test_canon_camera_without_position() -> None:
    r = run(IMAGES / "exifpy__Canon_40D.jpg")
    md = r.metadata
    assert md["camera_make"] == "Canon"
    assert md["camera_model"] == "Canon EOS 40D"
    assert md["exif"]["DateTimeOriginal"] == "2008:05:30 15:56:01"
    assert md["exif"]["DateTime"] == "2008:07:31 10:38:11"  # re-saved later in GIMP
    assert "gps" not in md  # a GPS IFD with only a version number is no position
    assert times_by_field(r)["exif.DateTimeOriginal"][0] == "2008-05-30T15:56:01"


def test_iphone_west_longitude_altitude_and_lens() -> None:
    md = run(IMAGES / "exiftool__Apple.jpg").metadata
    # GPSLatitude [53, 22, 233/4] N; GPSLongitude [1, 27, 601/25] W; GPSAltitude 13822/191
    assert round(md["gps"]["latitude"], 4) == 53.3828
    assert round(md["gps"]["longitude"], 4) == -1.4567  # west is negative
    assert md["gps"]["altitude_m"] == pytest.approx(13822 / 191, abs=1e-3)
    assert md["gps"]["timestamp_utc"] == "2016-09-28T17:17:58Z"
    assert md["lens"] == "iPhone 7 back camera 3.99mm f/1.8"


def test_offsets_turn_local_times_into_utc() -> None:
    r = run(IMAGES / "exifpy__iphone_13_pro_max.heic")  # HEIC via pillow-heif
    md = r.metadata
    assert md["format"] == "HEIF"
    assert (md["width"], md["height"]) == (3024, 4032)
    assert md["orientation"] == 6
    assert md["camera_model"] == "iPhone 13 Pro Max"
    at, label = times_by_field(r)["exif.DateTimeOriginal"]
    assert at == "2022-02-16T11:55:41Z"  # 12:55:41 at +01:00
    assert label == "image captured (EXIF DateTimeOriginal)"
    raws = {t.field: t.raw for t in r.times}
    assert raws["exif.DateTimeOriginal"] == "2022:02:16 12:55:41 +01:00"

    google = times_by_field(run(IMAGES / "exiftool__Google.jpg"))
    assert google["exif.DateTimeOriginal"][0] == "2023-10-06T20:53:51Z"  # 22:53:51 +02:00


def test_avif_and_webp_exif() -> None:
    avif = run(IMAGES / "exifpy__mountains.avif").metadata
    assert avif["format"] == "AVIF"
    assert avif["camera_model"] == "E-PL8"  # trailing padding stripped
    webp = run(IMAGES / "pillow__flower.webp").metadata
    assert webp["camera_model"] == "Canon PowerShot S40"


def test_png_text_time_and_late_exif() -> None:
    r = run(IMAGES / "pillow__exif.png")  # eXIf chunk after IDAT, ImageMagick tEXt dates
    md = r.metadata
    assert md["png_text"]["date:create"] == "2019-01-07T10:13:34+00:00"
    assert md["orientation"] == 1  # read from the late eXIf chunk without decoding pixels
    fields = times_by_field(r)
    assert fields["png.text.date:create"][0] == "2019-01-07T10:13:34Z"
    assert fields["png.tIME"] == ("2019-01-07T10:13:34Z", "PNG last modified (tIME chunk, UTC)")

    itxt = run(IMAGES / "pillow__itxt_chunks.png").metadata
    assert itxt["png_text"]["Comment"] == "Created with GIMP"
    xmp = run(IMAGES / "exiftool__PNG.png").metadata
    assert xmp["png_text"]["comment"] == "test comment"
    assert xmp["xmp"].startswith("<?xpacket")


# --- screenshots ------------------------------------------------------------------------------


def test_android_screenshot_is_flagged() -> None:
    r = run(IMAGES / "grader__Screenshot_20240508_221724_Grader.png")
    md = r.metadata
    assert md["looks_like_screenshot"] is True
    reasons = " | ".join(md["screenshot_reasons"])
    assert "file name" in reasons
    assert "no camera" in reasons
    assert md["software"].startswith("Android")
    # The phone recorded its UTC offset: 22:17:24 at +02:00.
    assert times_by_field(r)["exif.DateTimeOriginal"][0] == "2024-05-08T20:17:24Z"


def test_screenshot_recognised_without_its_name(tmp_path: Path) -> None:
    path = IMAGES / "grader__Screenshot_20240508_224000_Grader.png"
    md = run(path, name="IMG_0001.png", tmp=tmp_path).metadata
    assert md["looks_like_screenshot"] is True  # no camera + phone-screen size 1080x2124
    assert not any("file name" in r for r in md["screenshot_reasons"])


def test_photos_and_web_jpegs_are_not_screenshots() -> None:
    assert run(IMAGES / "exifpy__jolla.jpg").metadata["looks_like_screenshot"] is False
    # 1024x768 JPEG without camera data: lossy desktop-sized web picture, not a capture.
    md = run(WEIRD / "pillow__junk_jpeg_header.jpg").metadata
    assert md["looks_like_screenshot"] is False
    assert md["screenshot_reasons"]  # the signs are still listed for the investigator


def test_screenshot_software_tag(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0131] = "Screenshot"
    p = tmp_path / "shot.jpg"
    Image.new("RGB", (40, 30)).save(p, exif=exif)
    md = run(p, name="photo.jpg", tmp=tmp_path).metadata
    assert md["looks_like_screenshot"] is True
    assert any("EXIF Software" in r for r in md["screenshot_reasons"])


# --- damaged and hostile files ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "sharp__truncated.jpg",
        "sharp__truncated.png",
        "sharp__corrupt-header.jpg",
        "pillow__broken.png",
    ],
)
def test_truncated_and_corrupt_files_are_explained(name: str) -> None:
    result = run(WEIRD / name)
    assert result.extractor == "image"
    assert any("truncated or damaged" in e for e in result.errors), result.errors


def test_corrupt_header_keeps_the_exif_exifread_could_read() -> None:
    md = run(WEIRD / "sharp__corrupt-header.jpg").metadata
    assert md["format"] is None  # Pillow gave up on the header...
    assert md["camera_model"] == "Canon EOS 300D DIGITAL"  # ...exifread did not


def test_truncated_heic_is_caught_by_item_locations(tmp_path: Path) -> None:
    data = (IMAGES / "exifpy__samplefilehub.heif").read_bytes()
    p = tmp_path / "cut.heic"
    p.write_bytes(data[: len(data) // 2])
    errors = run(p, tmp=tmp_path).errors
    assert any("cut short" in e for e in errors), errors


def _png_with_ihdr(width: int, height: int) -> bytes:
    """A real 1x1 PNG whose IHDR is patched (CRC fixed) to claim another size."""
    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    ihdr = bytearray(data[16:29])
    ihdr[0:8] = struct.pack(">II", width, height)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)) & 0xFFFFFFFF)
    return bytes(data)


def test_decompression_bomb_is_recorded_not_decoded(tmp_path: Path) -> None:
    png = tmp_path / "bomb.png"
    png.write_bytes(_png_with_ihdr(100_000, 100_000))  # 10 Gpx: 30 GB if decoded
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG")
    jpeg = bytearray(buf.getvalue())
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5 : sof + 9] = struct.pack(">HH", 65000, 65000)
    jpg = tmp_path / "bomb.jpg"
    jpg.write_bytes(bytes(jpeg))

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for path, size in ((png, 100_000), (jpg, 65_000)):
        result = run(path, tmp=tmp_path)
        assert any("decompression bomb" in e for e in result.errors), result.errors
        assert (result.metadata["width"], result.metadata["height"]) == (size, size)
        assert result.metadata["decompression_bomb"] is True
        assert make_thumbnail(path) is None
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 100 * 1024  # Linux reports KiB: nowhere near a decoded bomb


def test_text_chunks_are_capped_and_zip_bombs_bounded(tmp_path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "A" * 10_000)
    info.add_text("Software", "B" * 50_000_000, zip=True)  # 50 MB inflated, ~50 KB stored
    info.add_itxt("Title", "€" * 3000)
    p = tmp_path / "text.png"
    Image.new("RGB", (4, 4)).save(p, pnginfo=info)
    md = run(p, tmp=tmp_path).metadata
    texts = md["png_text"]
    assert texts["Comment"] == "A" * 4096
    assert texts["Software"] == "B" * 4096
    assert len(texts["Title"].encode("utf-8")) <= 4096
    assert set(md["png_text_truncated"]) == {"Comment", "Software", "Title"}


def test_accepts() -> None:
    ex = ImageExtractor()
    for mime in (
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/tiff",
        "image/heic",
        "image/heif",
        "image/avif",
        "image/bmp",
        "image/x-ms-bmp",
    ):
        assert ex.accepts(mime, "")
    assert ex.accepts("application/octet-stream", ".heic")
    assert ex.accepts("application/octet-stream", ".avif")
    assert not ex.accepts("application/octet-stream", ".txt")
    assert not ex.accepts("application/pdf", ".png")
    assert not ex.accepts("image/svg+xml", ".svg")


# --- thumbnails -------------------------------------------------------------------------------


def test_thumbnail_is_small_jpeg_with_rotation_applied() -> None:
    data = make_thumbnail(IMAGES / "exifpy__portrait_6.jpg")  # 600x450 stored, Orientation 6
    assert data is not None
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG"
        assert im.size == (240, 320)  # shown upright: portrait
    heic = make_thumbnail(IMAGES / "exifpy__samplefilehub.heif", max_px=64)
    assert heic is not None
    with Image.open(io.BytesIO(heic)) as im:
        assert max(im.size) == 64


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [("RGBA", "PNG"), ("P", "PNG"), ("I;16", "PNG"), ("1", "PNG"), ("CMYK", "JPEG"), ("F", "TIFF")],
)
def test_thumbnail_handles_every_mode(tmp_path: Path, mode: str, fmt: str) -> None:
    p = tmp_path / f"x.{fmt.lower()}"
    Image.new(mode, (500, 300)).save(p, fmt)
    data = make_thumbnail(p)
    assert data is not None
    with Image.open(io.BytesIO(data)) as im:
        assert (im.format, im.mode, im.size) == ("JPEG", "RGB", (320, 192))


@pytest.mark.parametrize(
    "name",
    [
        "sharp__truncated.jpg",
        "pillow__broken.png",
        "sharp__corrupt-header.jpg",
        "spamscope__mail_outlook_1.msg",
    ],
)
def test_thumbnail_of_broken_file_is_none(name: str) -> None:
    assert make_thumbnail(WEIRD / name) is None


# --- fuzzing ----------------------------------------------------------------------------------

_SEEDS = {
    ".png": (IMAGES / "exiftool__PNG.png").read_bytes(),
    ".jpg": (IMAGES / "exiftool__Apple.jpg").read_bytes(),
    ".heic": (IMAGES / "exifpy__samplefilehub.heif").read_bytes()[:4096],
}
_fuzz_settings = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check_never_raises(tmp_path: Path, suffix: str, data: bytes) -> None:
    p = tmp_path / f"x{suffix}"
    p.write_bytes(data)
    ctx = ExtractContext(scratch_dir=tmp_path, original_name=p.name)
    mime = magic.from_buffer(data, mime=True)
    assert isinstance(extract(p, mime, ctx), Extraction)
    # The extractor itself handles every failure; the registry's safety net stays unused.
    direct = ImageExtractor().extract(p, ctx)
    assert direct.metadata or direct.errors
    json.dumps(direct.to_dict(), allow_nan=False)


@_fuzz_settings
@given(suffix=st.sampled_from([".png", ".jpg"]), data=st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise(tmp_path: Path, suffix: str, data: bytes) -> None:
    _check_never_raises(tmp_path, suffix, data)


@_fuzz_settings
@given(suffix=st.sampled_from(sorted(_SEEDS)), data=st.data())
def test_mutated_real_files_never_raise(tmp_path: Path, suffix: str, data: st.DataObject) -> None:
    seed = bytearray(_SEEDS[suffix])
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(seed) - 1))
        seed[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(16, len(seed)))
    _check_never_raises(tmp_path, suffix, bytes(seed[:cut]))
