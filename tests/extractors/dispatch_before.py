"""The extractor choice as it was before the explicit registry (issue 13), kept verbatim.

Frozen copy of the old ``_MODULES`` order, ``might_accept`` pre-filter and each extractor's
``accepts`` method, so that ``test_registry`` can show the declarations choose exactly as the
old code did. Do not edit: it is the reference, not the implementation.
"""

from __future__ import annotations

_OCTET = "application/octet-stream"
_NAMED_SUFFIXES = frozenset(
    {
        ".eml",
        ".msg",
        ".mht",
        ".mhtml",
        ".pdf",
        ".csv",
        ".tsv",
        ".tab",
        ".txt",
        ".ofx",
        ".qfx",
        ".qbo",
        ".sta",
        ".mt940",
        ".940",
        ".xml",
        ".camt",
        ".heic",
        ".heif",
        ".hif",
        ".avif",
        ".jpg",
        ".jpeg",
        ".jpe",
        ".png",
        ".gif",
        ".webp",
        ".tif",
        ".tiff",
        ".bmp",
    }
)
_IMAGE_MIMES = frozenset(
    {
        "image/jpeg",
        "image/pjpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/tiff",
        "image/heic",
        "image/heif",
        "image/heic-sequence",
        "image/heif-sequence",
        "image/avif",
        "image/bmp",
        "image/x-bmp",
        "image/x-ms-bmp",
    }
)
_IMAGE_SUFFIXES = frozenset(
    {
        ".heic",
        ".heif",
        ".hif",
        ".avif",
        ".jpg",
        ".jpeg",
        ".jpe",
        ".png",
        ".gif",
        ".webp",
        ".tif",
        ".tiff",
        ".bmp",
    }
)
_OFX_SUFFIXES = frozenset({".ofx", ".qfx", ".qbo"})
_MT940_SUFFIXES = frozenset({".sta", ".mt940", ".940"})
_TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".tab"})
_TEXT_MIMES = frozenset(
    {
        "text/plain",
        "text/csv",
        "application/csv",
        "text/x-csv",
        "text/tab-separated-values",
        "application/octet-stream",
    }
)
_OFX_MIMES = frozenset(
    {
        "application/x-ofx",
        "application/ofx",
        "application/x-qfx",
        "application/vnd.intu.qfx",
        "application/vnd.intu.qbo",
        "application/x-qbo",
    }
)
_XML_MIMES = frozenset({"text/xml", "application/xml"})


def might_accept(module: str, mime: str, suffix: str) -> bool:
    m = mime.split(";", 1)[0].strip().lower()
    if m in ("", _OCTET, "inode/x-empty") and suffix not in _NAMED_SUFFIXES:
        return False
    if module.endswith(".email"):
        return m.startswith(("message/", "text/")) or "outlook" in m or suffix in (".eml", ".msg")
    if module.endswith(".image"):
        return m.startswith("image/") or m == _OCTET
    if module.endswith(".statement"):
        return (
            m.startswith("text/")
            or "xml" in m
            or "ofx" in m
            or "qfx" in m
            or "qbo" in m
            or "csv" in m
            or m == _OCTET
        )
    if module.endswith(".pdf"):
        return "pdf" in m or (m == _OCTET and suffix == ".pdf")
    return True


def email_accepts(mime: str, suffix: str) -> bool:
    m = (mime or "").lower()
    if m in ("message/rfc822", "message/global", "message/news"):
        return True
    if m == "application/vnd.ms-outlook":
        return True
    generic = m.startswith("text/") or m in ("", "application/octet-stream", "inode/x-empty")
    if suffix == ".eml" and generic:
        return True
    return suffix == ".msg" and m in (
        "application/cdfv2",
        "application/x-ole-storage",
        "application/vnd.ms-office",
        "application/cdfv2-corrupt",
        "application/octet-stream",
    )


def image_accepts(mime: str, suffix: str) -> bool:
    mime = mime.split(";", 1)[0].strip().lower()
    if mime in _IMAGE_MIMES:
        return True
    return mime == "application/octet-stream" and suffix.lower() in _IMAGE_SUFFIXES


def statement_accepts(mime: str, suffix: str) -> bool:
    if mime in _OFX_MIMES:
        return True
    if suffix in _OFX_SUFFIXES | _MT940_SUFFIXES:
        return mime.startswith("text/") or mime in _XML_MIMES | _TEXT_MIMES
    if mime in _XML_MIMES:
        return suffix in (".xml", ".camt", "")
    if mime in ("text/csv", "application/csv", "text/x-csv", "text/tab-separated-values"):
        return True
    if mime == "application/octet-stream":
        return suffix in (".csv", ".tsv", ".tab")
    if mime == "text/plain":
        return suffix in _TABLE_SUFFIXES or suffix == ""
    return False


def pdf_accepts(mime: str, suffix: str) -> bool:
    mime = mime.split(";", 1)[0].strip().lower()
    if mime in ("application/pdf", "application/x-pdf"):
        return True
    return mime == "application/octet-stream" and suffix.lower() == ".pdf"


_ORDER = (
    ("evidence_kit.extractors.email", "email", email_accepts),
    ("evidence_kit.extractors.image", "image", image_accepts),
    ("evidence_kit.extractors.statement", "statement", statement_accepts),
    ("evidence_kit.extractors.pdf", "pdf", pdf_accepts),
)

#: Every MIME type and suffix the old rules name, plus some they do not.
MIMES = sorted(
    _IMAGE_MIMES
    | _TEXT_MIMES
    | _OFX_MIMES
    | _XML_MIMES
    | {
        "application/pdf",
        "application/x-pdf",
        "message/rfc822",
        "message/global",
        "message/news",
        "application/vnd.ms-outlook",
        "application/cdfv2",
        "application/x-ole-storage",
        "application/vnd.ms-office",
        "application/cdfv2-corrupt",
        "text/html",
        "inode/x-empty",
        "",
        "application/zip",
        "video/mp4",
        "application/octet-stream",
        "text/x-c",
        "image/svg+xml",
        "image/x-icon",
        "application/json",
        "text/rtf",
        "message/partial",
        "application/x-outlook-msg",
        "application/warc",
        "application/x-ia-arc",
        "application/gzip",
        "application/xhtml+xml",
    }
)
SUFFIXES = sorted(
    _NAMED_SUFFIXES
    | _IMAGE_SUFFIXES
    | _OFX_SUFFIXES
    | _MT940_SUFFIXES
    | _TABLE_SUFFIXES
    | {
        "",
        ".pdf",
        ".eml",
        ".msg",
        ".xml",
        ".camt",
        ".bin",
        ".exe",
        ".docx",
        ".zip",
        ".txt",
        ".html",
        ".json",
        ".xls",
        ".mhtml",
        ".mht",
        ".wacz",
        ".warc",
        ".arc",
        ".htm",
    }
)


def chosen_before(mime: str, suffix: str) -> str:
    """The extractor name the old code chose ("none" if none)."""
    for module, name, accepts in _ORDER:
        if might_accept(module, mime, suffix) and accepts(mime, suffix):
            return name
    return "none"
