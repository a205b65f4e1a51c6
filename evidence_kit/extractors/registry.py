"""The one extractor registry: what each extractor reads, in the order they are tried.

Built once, here, explicitly, and never changed at run time (like plaso's ``ParsersManager``,
each entry is a format declaration; unlike plaso, the parser behind it is imported only when a
file needs it, so Pillow or pypdf are never loaded for an e-mail). The first entry whose
:class:`~evidence_kit.extractors.interface.Accepts` matches a file reads it.

To add an extractor: write its module (``extractors/<family>.py`` or a subpackage) exposing one
``EXTRACTOR`` object, add a loader function and one :class:`Registered` entry to
:data:`REGISTRY` below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from evidence_kit.extractors.interface import Accepts, Describer, Description, Extractor, RecordView

__all__ = [
    "CHAT",
    "EMAIL",
    "IMAGE",
    "PDF",
    "REGISTRY",
    "STATEMENT",
    "WEB",
    "Registered",
    "Thumbnailer",
    "by_name",
]

_OCTET = "application/octet-stream"


#: Makes a small JPEG preview of a file (longest side ``max_px``), or None if it cannot.
Thumbnailer = Callable[[Path, int], bytes | None]


@dataclass(frozen=True, slots=True, eq=False)
class Registered:
    """One registry entry: an extractor's name and declaration, and how to import it.

    ``thumbnail``, when given, makes report previews of the files this extractor reads (it
    imports the extractor's module when called, like ``load``). ``describe`` turns a stored
    record this extractor wrote into a plain summary and findings (its module, under
    ``extractors/findings/``, imports no parser: records are read, never files).
    """

    name: str
    accepting: Accepts
    load: Callable[[], Extractor] = field(repr=False)
    thumbnail: Thumbnailer | None = field(default=None, repr=False)
    describe: Describer | None = field(default=None, repr=False)

    def accepts(self, mime: str, suffix: str) -> bool:
        """True if the declaration says yes from type and name alone (no bytes read)."""
        return self.accepting.by_type(mime, suffix)


# Each loader imports its module only when a file needs it (typed imports, no module names).


def _email() -> Extractor:
    from evidence_kit.extractors.email import EXTRACTOR

    return EXTRACTOR


def _image() -> Extractor:
    from evidence_kit.extractors.image import EXTRACTOR

    return EXTRACTOR


def _image_thumbnail(path: Path, max_px: int) -> bytes | None:
    from evidence_kit.extractors.image import make_thumbnail

    return make_thumbnail(path, max_px)


def _email_findings(view: RecordView) -> Description:
    from evidence_kit.extractors.findings.email import describe

    return describe(view)


def _image_findings(view: RecordView) -> Description:
    from evidence_kit.extractors.findings.image import describe

    return describe(view)


def _statement_findings(view: RecordView) -> Description:
    from evidence_kit.extractors.findings.statement import describe

    return describe(view)


def _chat_findings(view: RecordView) -> Description:
    from evidence_kit.extractors.findings.chat import describe

    return describe(view)


def _pdf_findings(view: RecordView) -> Description:
    from evidence_kit.extractors.findings.pdf import describe

    return describe(view)


def _statement() -> Extractor:
    from evidence_kit.extractors.statement import EXTRACTOR

    return EXTRACTOR


def _chat() -> Extractor:
    from evidence_kit.extractors.chat import EXTRACTOR

    return EXTRACTOR


def _chat_sniff(head: bytes) -> bool:
    from evidence_kit.extractors.chat.sniff import looks_like_chat

    return looks_like_chat(head)


def _pdf() -> Extractor:
    from evidence_kit.extractors.pdf import EXTRACTOR

    return EXTRACTOR


#: E-mail by content type, or by ``.eml``/``.msg`` name when libmagic is unsure: it calls many
#: real e-mails ``text/plain`` (no leading ``Received``), ``text/html`` (an HTML body near the
#: top) or ``application/octet-stream`` (NUL bytes); a ``.eml`` that is really a PDF or an image
#: is left to the extractor for its content.
EMAIL = Registered(
    "email",
    Accepts(
        mime_types=frozenset(
            {"message/rfc822", "message/global", "message/news", "application/vnd.ms-outlook"}
        ),
        extensions={
            ".eml": frozenset({"text/*", "", _OCTET, "inode/x-empty"}),
            ".msg": frozenset(
                {
                    "application/cdfv2",
                    "application/x-ole-storage",
                    "application/vnd.ms-office",
                    "application/cdfv2-corrupt",
                    _OCTET,
                }
            ),
        },
    ),
    _email,
    describe=_email_findings,
)

#: Image types; unidentified content only when the name says image (older libmagic does not
#: know HEIC/HEIF/AVIF, and the attempt records *why* a damaged "photo" is not readable).
IMAGE = Registered(
    "image",
    Accepts(
        mime_types=frozenset(
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
        ),
        extensions=dict.fromkeys(
            (
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
            ),
            frozenset({_OCTET}),
        ),
    ),
    _image,
    _image_thumbnail,
    _image_findings,
)

_XML = frozenset({"text/xml", "application/xml"})
_MARKUP_NAMED = frozenset({"text/*", "application/xml", "application/csv", _OCTET})

#: CSV-like text, the OFX family, MT940 and XML that may be camt; never PDF or Excel. UTF-16
#: exports and files with stray NUL bytes are typed as binary by libmagic, hence octet-stream.
STATEMENT = Registered(
    "statement",
    Accepts(
        mime_types=frozenset(
            {
                "application/x-ofx",
                "application/ofx",
                "application/x-qfx",
                "application/vnd.intu.qfx",
                "application/vnd.intu.qbo",
                "application/x-qbo",
                "text/csv",
                "application/csv",
                "text/x-csv",
                "text/tab-separated-values",
            }
        ),
        extensions={
            **dict.fromkeys((".ofx", ".qfx", ".qbo", ".sta", ".mt940", ".940"), _MARKUP_NAMED),
            ".xml": _XML,
            ".camt": _XML,
            "": _XML | {"text/plain"},
            **dict.fromkeys((".csv", ".tsv", ".tab"), frozenset({"text/plain", _OCTET})),
            ".txt": frozenset({"text/plain"}),
        },
    ),
    _statement,
    describe=_statement_findings,
)

#: Chat exports and mailboxes, by their first bytes (WhatsApp lines, a ``From `` line and
#: headers, a chat JSON object, a WhatsApp zip), or by a mailbox's name, so that a damaged
#: mailbox is recorded as such. Before statement, which also takes ``.txt``.
CHAT = Registered(
    "chat",
    Accepts(
        extensions=dict.fromkeys((".mbox", ".mbx"), frozenset({"text/*", _OCTET})),
        sniff=_chat_sniff,
    ),
    _chat,
    describe=_chat_findings,
)

#: ``application/pdf``; also unidentified content named ``.pdf`` (junk before the header
#: defeats libmagic but not PDF readers).
PDF = Registered(
    "pdf",
    Accepts(
        mime_types=frozenset({"application/pdf", "application/x-pdf"}),
        extensions={".pdf": frozenset({_OCTET})},
    ),
    _pdf,
    describe=_pdf_findings,
)


def _web() -> Extractor:
    from evidence_kit.extractors.web import EXTRACTOR

    return EXTRACTOR


def _web_findings(view: RecordView) -> Description:
    from evidence_kit.extractors.findings.web import describe

    return describe(view)


def _web_sniff(head: bytes) -> bool:
    """A WARC (plain or gzip), an MHTML that names its snapshot, or an HTML page, from its
    first bytes (an ``.eml`` that libmagic calls HTML starts with headers, not markup)."""
    if head.startswith(b"WARC/1.") or head.startswith(b"WARC/0."):
        return True
    if head.startswith(b"\x1f\x8b"):
        import zlib

        try:
            inner = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(head, 16)
        except zlib.error:
            return False
        return inner.startswith((b"WARC/", b"filedesc://"))
    if b"\nSnapshot-Content-Location:" in head or head.startswith(b"Snapshot-Content-Location:"):
        return True
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if not start.startswith(_HTML_STARTS) or (start.startswith(b"<!--") and b"<html" not in head):
        return False
    from evidence_kit.extractors.chat.sniff import looks_like_chat

    return not looks_like_chat(head)  # a Telegram export (messages.html) is a conversation


_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<meta", b"<title", b"<body", b"<!--")


_MHT_NAMED = frozenset({"message/rfc822", "text/*", "", _OCTET, "inode/x-empty"})

#: Saved web pages: MHTML by name (libmagic calls it an e-mail or text) or by its snapshot
#: header, HTML by its first bytes only (libmagic calls some ``.eml`` files HTML, and a
#: Telegram export's ``messages.html`` is a conversation, for CHAT), WARC/ARC by type or first
#: bytes (also gzip-compressed), WACZ by name. Before EMAIL, which would otherwise take every
#: MHTML as a message.
WEB = Registered(
    "web",
    Accepts(
        mime_types=frozenset({"application/xhtml+xml", "application/warc", "application/x-ia-arc"}),
        extensions={
            ".mhtml": _MHT_NAMED,
            ".mht": _MHT_NAMED,
            ".wacz": frozenset({"application/zip", _OCTET}),
            ".warc": frozenset({"application/gzip", "application/x-gzip", _OCTET, "text/*"}),
            ".arc": frozenset({"application/gzip", "application/x-gzip", _OCTET, "text/*"}),
        },
        sniff=_web_sniff,
    ),
    _web,
    describe=_web_findings,
)

#: Order matters: the first entry that accepts a file reads it.
REGISTRY: tuple[Registered, ...] = (WEB, EMAIL, IMAGE, CHAT, STATEMENT, PDF)


def by_name(name: str) -> Registered | None:
    """The entry whose extractor wrote a record (``extraction.extractor``), or None."""
    return next((entry for entry in REGISTRY if entry.name == name), None)
