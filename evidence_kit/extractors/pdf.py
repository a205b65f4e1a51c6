"""PDF documents: page count, version, encryption, document info, XMP, attachments and text.

Victims receive fake invoices, "refund forms" and doctored bank statements as PDFs. What police
want first is who or what made the file (Author, Creator, Producer), when (CreationDate and
ModDate, converted to UTC, and the XMP dates, which an editor may update differently), the
links and identifiers in it, and whether something is hidden inside (attachments, JavaScript).

``pypdf`` is pure Python and tolerant (``strict=False``), but a hostile file can still make it
slow, so the text pass is bounded in pages, characters and wall-clock time, and every page is
read on its own: one broken page costs that page, not the document. Attachments are only
listed, never extracted (the brief of this extractor is to describe the container).

Metadata keys (always present): ``pdf_version`` (from the header, e.g. "1.7", or None),
``encrypted`` (bool), ``page_count`` (int, or None when unreadable). Optional: ``encryption``
(``filter``, ``version``, ``revision``, ``key_bits``, ``algorithm``),
``decrypted_with_empty_password`` (bool), ``info`` (document information dictionary, names
without the slash: Title, Author, Creator, Producer, CreationDate, ModDate, ...), ``xmp``
(``create_date``, ``modify_date``, ``metadata_date``, ``creator_tool``, ``producer``, ``title``,
``creator``, ``document_id``, ``instance_id``), ``attachments`` (list of ``{"name", "size",
"mime", "description"}``), ``links`` (URIs of link annotations), ``has_javascript``,
``has_forms``, ``text`` (first pages, pages separated by form feeds), ``text_pages``,
``text_truncated``, ``text_stopped`` (why the text pass stopped early, if it did).
"""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from evidence_kit.extractors import registry
from evidence_kit.extractors.identifiers import find_identifiers, merge
from evidence_kit.extractors.interface import ExtractContext, Extraction, Identifier, TimeFact

__all__ = ["EXTRACTOR", "PdfExtractor", "parse_pdf_date"]

#: Text is read from at most this many pages...
MAX_TEXT_PAGES = 50
#: ...up to this many characters in all...
MAX_TEXT_CHARS = 200_000
#: ...and for at most this long: a hostile content stream can make text extraction crawl.
TEXT_TIME_BUDGET_S = 20.0
#: Cap on each copied metadata value.
VALUE_CAP = 4096
_MAX_INFO_KEYS = 50
_MAX_ATTACHMENTS = 200
_MAX_LINKS = 200
_MAX_PAGE_ERRORS = 5

_UNKNOWN_ZONE = "local time, zone unknown"
# D:YYYYMMDDHHmmSSOHH'mm' with every part after the year optional (PDF 1.7, 7.9.4). Real files
# add junk: "Z07'46'", "+01'00" without the closing quote, spaces; we read what fits.
_PDF_DATE_RE = re.compile(
    r"(?:D:)?\s*(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?"
    r"\s*(?:(Z)|([+\-])(\d{2})(?:'?(\d{2}))?)?"
)
_INFO_DATES = (
    ("CreationDate", "PDF created (Info CreationDate)"),
    ("ModDate", "PDF last modified (Info ModDate)"),
)


def parse_pdf_date(raw: str) -> tuple[str, bool] | None:
    """Parse a PDF date string; return (ISO string, zone known) or None if it is not a date.

    With an offset (or "Z") the result is UTC ("2024-01-01T11:00:00Z"); without one it is the
    naive local time ("2024-01-01T12:00:00"), since the writer's zone is unknown.
    """
    m = _PDF_DATE_RE.match(raw.strip())
    if not m:
        return None
    year = int(m.group(1))
    month, day, hour, minute, second = (
        int(g) if g else d for g, d in zip(m.group(2, 3, 4, 5, 6), (1, 1, 0, 0, 0), strict=True)
    )
    try:
        dt = datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return None
    if m.group(7):
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ"), True
    if m.group(8):
        hours, minutes = int(m.group(9)), int(m.group(10) or 0)
        if hours > 14 or minutes >= 60:
            return dt.strftime("%Y-%m-%dT%H:%M:%S"), False
        delta = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-delta if m.group(8) == "-" else delta)
        try:
            return dt.replace(tzinfo=tz).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), True
        except (OverflowError, ValueError):
            return None
    return dt.strftime("%Y-%m-%dT%H:%M:%S"), False


def _iso_date(raw: str) -> tuple[str, bool] | None:
    """Parse an XMP (ISO 8601) date; return (ISO string, zone known) like :func:`parse_pdf_date`."""
    v = raw.strip()[:64]
    if len(v) < 4:
        return None
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        return None
    if dt.tzinfo is None:
        return dt.strftime("%Y-%m-%dT%H:%M:%S"), False
    try:
        return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), True
    except (OverflowError, ValueError):
        return None


def _text(value: Any, cap: int = VALUE_CAP) -> str | None:
    """A PDF object as plain text: strings decoded, bytes read as UTF-8, names without slash."""
    if isinstance(value, IndirectObject):
        value = value.get_object()
    if isinstance(value, bytes):
        # pypdf hands back undecodable strings as bytes (e.g. raw UTF-8 without a BOM).
        try:
            s = value.decode("utf-8")
        except UnicodeDecodeError:
            s = value.decode("latin-1")
    elif isinstance(value, str):
        s = str(value)
    elif isinstance(value, bool | int | float):
        s = str(value)
    else:
        return None
    return s.replace("\x00", "").strip()[:cap]


def _time_fact(raw: str, label: str, field: str, parse: Any = parse_pdf_date) -> TimeFact | None:
    parsed = parse(raw)
    if not parsed:
        return None
    at, known = parsed
    return TimeFact(
        at=at, label=label if known else f"{label}, {_UNKNOWN_ZONE}", raw=raw[:100], field=field
    )


class PdfExtractor:
    """PDF files: what made them, when, what they say and what they carry."""

    name = "pdf"

    def accepts(self, mime: str, suffix: str) -> bool:
        """PDF, or unidentified content named ``.pdf`` (declared in the registry)."""
        return registry.PDF.accepts(mime, suffix)

    def extract(self, path: Path, ctx: ExtractContext) -> Extraction:
        """Read the PDF's structure, metadata and the text of its first pages."""
        # pypdf logs every repair it makes on broken files; our errors say what matters.
        logging.getLogger("pypdf").setLevel(logging.ERROR)
        result = Extraction(extractor=self.name)
        md = result.metadata
        md.update({"pdf_version": None, "encrypted": False, "page_count": None})
        try:
            reader = PdfReader(path, strict=False)
        # Hostile input: pypdf raises many kinds of errors on broken files; all mean the same.
        except Exception as exc:
            result.errors.append(
                f"the PDF is damaged or not a PDF: it could not be opened "
                f"({type(exc).__name__}: {exc})"[:400]
            )
            return result
        header = _attr(reader, "pdf_header")
        if isinstance(header, str) and header.startswith("%PDF-"):
            md["pdf_version"] = header[5:].strip()[:10]

        if _attr(reader, "is_encrypted"):
            md["encrypted"] = True
            encryption = _encryption(reader)
            if encryption:
                md["encryption"] = encryption
            # Many statements are "encrypted" only to stop printing/editing, with an empty
            # user password: those open without asking anyone for anything.
            try:
                opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
            except Exception:  # unsupported algorithm, damaged /Encrypt...
                opened = False
            md["decrypted_with_empty_password"] = opened
            if not opened:
                result.errors.append("encrypted: text and dates not readable without the password")
                return result

        try:
            md["page_count"] = len(reader.pages)
        except Exception as exc:
            result.errors.append(
                f"the PDF's page list is damaged: {type(exc).__name__}: {exc}"[:400]
            )
        self._info(reader, md, result)
        self._xmp(reader, md, result)
        self._catalog(reader, md, result)
        texts = self._text(reader, md, result)
        result.identifiers = self._identifiers(md, texts)
        return result

    @staticmethod
    def _info(reader: PdfReader, md: dict[str, Any], result: Extraction) -> None:
        try:
            meta = reader.metadata
            items = list(meta.items())[:_MAX_INFO_KEYS] if meta else []
            info: dict[str, str] = {}
            for key, value in items:
                text = _text(value)
                if text:  # empty strings (a blank Title) say nothing; keep the record short
                    info[str(key).lstrip("/")[:100]] = text
        except Exception as exc:
            result.errors.append(
                f"the PDF's document information is damaged: {type(exc).__name__}: {exc}"[:400]
            )
            return
        if info:
            md["info"] = info
        for key, label in _INFO_DATES:
            raw = info.get(key)
            if raw:
                fact = _time_fact(raw, label, f"pdf.info.{key}")
                if fact:
                    result.times.append(fact)

    @staticmethod
    def _xmp(reader: PdfReader, md: dict[str, Any], result: Extraction) -> None:
        """Read the common XMP fields, whatever ``rdf:about`` their Description has."""
        try:
            xmp = reader.xmp_metadata
            if xmp is None:
                return
            root = xmp.rdf_root
        except Exception as exc:
            result.errors.append(
                f"the PDF's XMP metadata is damaged: {type(exc).__name__}: {exc}"[:400]
            )
            return
        ns_xmp = "http://ns.adobe.com/xap/1.0/"
        ns_pdf = "http://ns.adobe.com/pdf/1.3/"
        ns_dc = "http://purl.org/dc/elements/1.1/"
        ns_mm = "http://ns.adobe.com/xap/1.0/mm/"
        wanted = (
            ("create_date", ns_xmp, "CreateDate"),
            ("modify_date", ns_xmp, "ModifyDate"),
            ("metadata_date", ns_xmp, "MetadataDate"),
            ("creator_tool", ns_xmp, "CreatorTool"),
            ("producer", ns_pdf, "Producer"),
            ("title", ns_dc, "title"),
            ("creator", ns_dc, "creator"),
            ("document_id", ns_mm, "DocumentID"),
            ("instance_id", ns_mm, "InstanceID"),
        )
        out: dict[str, str] = {}
        try:
            for desc in root.getElementsByTagNameNS(
                "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "Description"
            ):
                for key, ns, local in wanted:
                    if key in out:
                        continue
                    value = desc.getAttributeNS(ns, local)
                    if not value:
                        nodes = desc.getElementsByTagNameNS(ns, local)
                        value = "; ".join(filter(None, (_node_text(n) for n in nodes[:1])))
                    if value and value.strip():
                        out[key] = value.strip()[:VALUE_CAP]
        except Exception as exc:
            result.errors.append(
                f"the PDF's XMP metadata is damaged: {type(exc).__name__}: {exc}"[:400]
            )
        if not out:
            return
        md["xmp"] = out
        for key, label in (
            ("create_date", "PDF created (XMP CreateDate)"),
            ("modify_date", "PDF last modified (XMP ModifyDate)"),
            ("metadata_date", "PDF metadata last changed (XMP MetadataDate)"),
        ):
            if key in out:
                fact = _time_fact(out[key], label, f"pdf.xmp.{key}", _iso_date)
                if fact:
                    result.times.append(fact)

    @staticmethod
    def _catalog(reader: PdfReader, md: dict[str, Any], result: Extraction) -> None:
        """Attachments (listed, not extracted), JavaScript and form flags."""
        attachments: list[dict[str, Any]] = []
        try:
            for entry in reader.attachment_list:
                if len(attachments) >= _MAX_ATTACHMENTS:
                    break
                item: dict[str, Any] = {"name": _text(entry.name, 500) or ""}
                size = _attr(entry, "size")  # declared in /Params, not measured
                item["size"] = size if isinstance(size, int) and size >= 0 else None
                item["mime"] = _text(_attr(entry, "subtype"), 200)
                item["description"] = _text(_attr(entry, "description"), 500)
                attachments.append(item)
        except Exception as exc:
            result.errors.append(
                f"the PDF's list of attached files is damaged: {type(exc).__name__}: {exc}"[:400]
            )
        if attachments:
            md["attachments"] = attachments
        try:
            root = _dict(reader.trailer.get("/Root"))
            if root is None:
                return
            names = _dict(root.get("/Names"))
            action = _dict(root.get("/OpenAction"))
            js_on_open = action is not None and (
                action.get("/S") == "/JavaScript" or "/JS" in action
            )
            md["has_javascript"] = bool(
                (names is not None and "/JavaScript" in names) or js_on_open
            )
            md["has_forms"] = "/AcroForm" in root
        except Exception:  # noqa: S110  # flags are a bonus; a broken catalog shows elsewhere
            pass

    @staticmethod
    def _text(reader: PdfReader, md: dict[str, Any], result: Extraction) -> list[str]:
        """Text of the first pages, within the page, size and time limits."""
        count = md.get("page_count")
        if not isinstance(count, int) or count <= 0:
            return []
        texts: list[str] = []
        links: list[str] = []
        total = 0
        pages_read = 0
        failures = 0
        stopped: str | None = None
        started = time.monotonic()
        for index in range(min(count, MAX_TEXT_PAGES)):
            if time.monotonic() - started > TEXT_TIME_BUDGET_S:
                stopped = (
                    f"time limit ({TEXT_TIME_BUDGET_S:.0f} s) reached after {pages_read} pages"
                )
                break
            try:
                page = reader.pages[index]
                text = page.extract_text() or ""
            except Exception as exc:  # one bad page must not cost the others
                failures += 1
                if failures <= _MAX_PAGE_ERRORS:
                    result.errors.append(
                        f"the text of page {index + 1} could not be read: "
                        f"{type(exc).__name__}: {exc}"[:300]
                    )
                continue
            pages_read += 1
            if len(links) < _MAX_LINKS:
                links.extend(_page_links(page, _MAX_LINKS - len(links)))
            text = text.replace("\x00", "")
            if total + len(text) > MAX_TEXT_CHARS:
                texts.append(text[: MAX_TEXT_CHARS - total])
                stopped = f"text limit ({MAX_TEXT_CHARS:,} characters) reached"
                break
            texts.append(text)
            total += len(text)
        if failures > _MAX_PAGE_ERRORS:
            result.errors.append(f"the text of {failures} pages in all could not be read")
        md["text"] = "\f".join(texts)
        md["text_pages"] = pages_read
        if stopped is None and count > MAX_TEXT_PAGES:
            stopped = f"page limit ({MAX_TEXT_PAGES} pages) reached"
        # Truncated means "there is more text than we kept", not "some page was unreadable".
        md["text_truncated"] = stopped is not None
        if stopped:
            md["text_stopped"] = stopped
        if links:
            md["links"] = list(dict.fromkeys(links))
        return texts

    @staticmethod
    def _identifiers(md: dict[str, Any], texts: list[str]) -> list[Identifier]:
        found: list[list[Identifier]] = []
        if md.get("links"):
            found.append(find_identifiers("\n".join(md["links"]), "pdf.link"))
        found.append(find_identifiers("\n".join(texts), "pdf.text"))
        for key, value in (md.get("info") or {}).items():
            if key not in ("CreationDate", "ModDate", "Trapped"):
                found.append(find_identifiers(value, f"pdf.info.{key}"))
        return merge(*found)


def _attr(obj: object, name: str) -> Any:
    """``obj.name``, or None if it raises (pypdf properties resolve objects lazily)."""
    try:
        return getattr(obj, name)
    except Exception:
        return None


def _node_text(node: Any) -> str:
    """All text under an XML node (dc:title and dc:creator sit inside rdf:Alt/Seq/li)."""
    parts: list[str] = []
    stack = [node]
    while stack and len(parts) < 100:
        n = stack.pop()
        if n.nodeType == n.TEXT_NODE:
            if n.data.strip():
                parts.append(n.data.strip())
        else:
            stack.extend(reversed(n.childNodes))
    return "; ".join(parts)


def _dict(obj: Any) -> DictionaryObject | None:
    """Resolve an indirect reference; the result if it is a dictionary, else None."""
    if isinstance(obj, IndirectObject):
        obj = obj.get_object()
    return obj if isinstance(obj, DictionaryObject) else None


def _page_links(page: Any, limit: int) -> list[str]:
    """URIs of link annotations on a page (phishing PDFs are mostly one big link)."""
    out: list[str] = []
    try:
        annots = page.get("/Annots")
        annots = annots.get_object() if annots is not None else None
        if not isinstance(annots, ArrayObject):
            return out
        for ref in annots[:1000]:
            annot = _dict(ref)
            action = _dict(annot.get("/A")) if annot is not None else None
            if action is not None and "/URI" in action:
                uri = _text(action["/URI"], 2048)
                if uri:
                    out.append(uri)
                    if len(out) >= limit:
                        break
    except Exception:  # noqa: S110  # links are a bonus; never fail the page for them
        pass
    return out


def _encryption(reader: PdfReader) -> dict[str, Any]:
    """Describe the /Encrypt dictionary (readable without the password)."""
    try:
        enc = _dict(reader.trailer.get("/Encrypt"))
        if enc is None:
            return {}
        v, r = enc.get("/V"), enc.get("/R")
        length = enc.get("/Length")
        out: dict[str, Any] = {
            "filter": _text(enc.get("/Filter"), 100),
            "version": int(v) if isinstance(v, int) else None,
            "revision": int(r) if isinstance(r, int) else None,
            "key_bits": int(length) if isinstance(length, int) else None,
        }
        cf = _dict(enc.get("/CF"))
        std = _dict(cf.get("/StdCF")) if cf is not None else None
        cfm = std.get("/CFM") if std is not None else None
        if out["version"] == 5:
            out["algorithm"] = "AES-256"
        elif cfm == "/AESV2":
            out["algorithm"] = "AES-128"
        elif out["version"] in (1, 2) or cfm == "/V2":
            out["algorithm"] = f"RC4 {out['key_bits'] or 40}-bit"
        if isinstance(out["filter"], str):
            out["filter"] = out["filter"].lstrip("/")
        return out
    except Exception:
        return {}


#: The extractors this module provides, for the registry.
EXTRACTOR = PdfExtractor()
