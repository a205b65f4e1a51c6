"""E-mail extractor: RFC 822/MIME ``.eml`` files and Outlook ``.msg`` files.

What police ask of a scam e-mail is mostly in its headers: who it claims to be from, where the
replies go, the relay path (``Received``) and the first public IP on it, and what the receiving
servers said about SPF/DKIM/DMARC. Attachments and forwarded messages are evidence in their own
right, so they are written out as children and preserved as items of their own.

Everything here reads criminal-authored bytes, so the rules are:

* never crash: each section is read separately and a failure becomes a plain-language entry in
  ``Extraction.errors`` while the other sections are still returned;
* never trust names: attachment bytes go to generated names (``child-0001.bin``) inside
  ``ExtractContext.scratch_dir``; the declared file name is only recorded as data;
* never hold a large attachment several times over: long base64 runs are cut out of the message
  before parsing and streamed from the memory-mapped file when the attachment is written;
* report header claims as claims: authentication verdicts are "as stated", never re-checked.

Header access uses :data:`email.policy.compat32` because it keeps raw values and never raises on
malformed headers (``policy.default`` raises on some of them when a header is read); every value
is decoded here with an explicit, lenient RFC 2047 / charset step.
"""

from __future__ import annotations

from pathlib import Path

from evidence_kit.extractors import registry
from evidence_kit.extractors.email.common import _OLE_MAGIC, _err, _make_json_safe
from evidence_kit.extractors.email.message import _extract_eml
from evidence_kit.extractors.email.msg import _extract_msg
from evidence_kit.extractors.interface import ExtractContext, Extraction

__all__ = ["EXTRACTOR", "EmailExtractor"]


class EmailExtractor:
    """Reads ``.eml`` (RFC 822/MIME) and Outlook ``.msg`` files."""

    name = "email"

    def accepts(self, mime: str, suffix: str) -> bool:
        """E-mail by type, or ``.eml``/``.msg`` when libmagic is unsure (see the registry)."""
        return registry.EMAIL.accepts(mime, suffix)

    def extract(self, path: Path, ctx: ExtractContext) -> Extraction:
        """Read the message; never raises for bad content (errors are recorded instead)."""
        result = Extraction(extractor=self.name)
        try:
            with path.open("rb") as fh:
                head = fh.read(8)
            if head == _OLE_MAGIC:
                _extract_msg(path, ctx, result)
            else:
                _extract_eml(path, ctx, result)
        except MemoryError:
            raise
        except RecursionError:
            result.errors.append(
                "the message is nested too deeply to read completely; it is "
                "kept in this file exactly as received"
            )
        # Hostile input: whatever went wrong is a finding about the file, not a crash.
        except Exception as exc:
            result.errors.append(_err("could not be read completely as an e-mail", exc))
        _make_json_safe(result)
        return result


#: The extractor this module provides, for the registry.
EXTRACTOR = EmailExtractor()
