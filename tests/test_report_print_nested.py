"""The report printed WITH its appendix (``evkit report --full``) keeps nested details readable
(issue 16, deliverable 1): a case holding an e-mail with deep headers (a long Received chain,
SPF/DKIM/DMARC results, ARC and DKIM signatures), a bank statement and a PDF whose metadata
has a long made-up field name is printed by headless Chromium; in the PDF's text every long
value reads whole and in order, and no column has shrunk to a character or two per line."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.conftest import SAMPLES, Run
from tests.test_report_story import needs_chromium, needs_pdftotext, pdf_text, print_html

HOPS = 8
SIG = "AbCdEf0123456789" * 12  # a base64-like signature with no place to break
SPF = (
    "spf=softfail (mx1.example.org: domain of transitioning bounce-7781@bulk-sender.example.net "
    "does not designate 198.51.100.17 as permitted sender) "
    "smtp.mailfrom=bounce-7781@bulk-sender.example.net"
)
DMARC = "dmarc=fail (p=REJECT sp=REJECT dis=QUARANTINE) header.from=paypal-secure-login.example.com"
#: A field name made up by whoever wrote the PDF (the sender controls it), and its value.
LONG_KEY = "CustomerReferenceNumberForTheCustomsClearanceOfParcelHeldAtHeathrowWarehouseDepot"
LONG_VALUE = "Parcel held at customs: pay the clearance fee of 250 GBP to release it today"


def _hop(i: int) -> str:
    return (
        f"from relay{i}.mailhub-eu-west-{i}.example.net "
        f"(relay{i}.mailhub-eu-west-{i}.example.net [198.51.100.{10 + i}]) "
        f"by relay{i + 1}.mailhub-eu-west-{i + 1}.example.net (Postfix) with ESMTPS id "
        f"4QxR7m2FzKz9sT{i} for <victim@example.org>; Thu, 19 Nov 2026 13:1{i}:07 +0000"
    )


def deep_email(path: Path) -> Path:
    received = [f"Received: {_hop(i)}" for i in reversed(range(HOPS))]
    lines = [
        "Return-Path: <bounce-7781@bulk-sender.example.net>",
        *received,
        f"ARC-Seal: i=1; a=rsa-sha256; t=1763557507; cv=none; d=example.org; s=arc; b={SIG}",
        f"ARC-Authentication-Results: i=1; mx1.example.org; {SPF}; {DMARC}",
        f"Authentication-Results: mx1.example.org;\n\tdkim=fail header.b=Xy12Ab34;\n\t{SPF};"
        f"\n\t{DMARC}",
        "Received-SPF: softfail (mx1.example.org: domain of transitioning "
        "bounce-7781@bulk-sender.example.net does not designate 198.51.100.17 as permitted "
        "sender) client-ip=198.51.100.17;",
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; "
        "d=paypal-secure-login.example.com; s=selector1; h=from:to:subject:date; "
        f"bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b={SIG}",
        'From: "PayPal Service <service@paypal.com>" <alerts@paypal-secure-login.example.com>',
        "Reply-To: recovery-desk-0042@example.com",
        "To: victim@example.org",
        "Subject: Your account is limited",
        "Date: Thu, 19 Nov 2026 13:10:03 +0000",
        "Message-ID: <20261119131003.4F2A9C71@paypal-secure-login.example.com>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Please confirm your account at https://paypal-secure-login.example.com/confirm?s="
        + "x9" * 60,
        "",
    ]
    path.write_text("\r\n".join(lines), encoding="utf-8")
    return path


def long_key_pdf(path: Path) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Title": "Invoice 4471", f"/{LONG_KEY}": LONG_VALUE})
    with path.open("wb") as f:
        writer.write(f)
    return path


def squash(text: str) -> str:
    """Text with white space and hyphens taken out: a value broken over lines (pdftotext drops
    a hyphen at a line end) still matches, one interleaved with other text does not."""
    return re.sub(r"[\s\-\u00ad]+", "", text)


def reads_whole(text: str, value: str, per_line: int = 12) -> bool:
    """``value`` reads in order over consecutive pieces of lines of ``text`` (lines of other
    columns printed between them skipped), with at least ``per_line`` characters a piece on
    average: it may wrap, but it was not chopped into a column of slivers."""
    target = squash(value)
    lines = [squash(line) for line in text.splitlines() if squash(line)]
    for n, line in enumerate(lines):
        for start in range(len(line)):
            head = line[start:]  # the value may begin after other text on its first line
            if len(head) < min(per_line, len(target)):
                break
            if head.startswith(target):
                return True
            if not target.startswith(head):
                continue
            rest, pieces = target[len(head) :], 1
            for nxt in lines[n + 1 : n + 60]:
                if nxt.startswith(rest):  # the last piece, perhaps followed by other text
                    rest, pieces = "", pieces + 1
                    break
                if rest.startswith(nxt):
                    rest, pieces = rest[len(nxt) :], pieces + 1
            if not rest and len(target) / pieces >= per_line:
                return True
    return False


def narrow_runs(text: str, run: int = 4) -> list[list[str]]:
    """Runs of ``run`` or more consecutive lines of one or two characters (list numbers such as
    ``3.`` and empty values shown as ``-`` aside): the mark of a column squeezed to a sliver."""
    found: list[list[str]] = []
    current: list[str] = []
    for line in text.splitlines():
        s = line.strip()
        if not s:
            continue
        if len(s) <= 2 and not re.fullmatch(r"\d+\.?|-", s):
            current.append(s)
            continue
        if len(current) >= run:
            found.append(current)
        current = []
    if len(current) >= run:
        found.append(current)
    return found


def test_the_checks_spot_a_squeezed_column() -> None:
    squeezed = "CustomerReference\nP\na\nrc\nel\nh\nel\nd\nHeldAt\n"
    assert narrow_runs(squeezed) == [["P", "a", "rc", "el", "h", "el", "d"]]
    assert not reads_whole(squeezed, "Parcel held")
    assert reads_whole(
        "info\nParcel held at customs: pay the\nTitle\nclearance fee",
        "Parcel held at customs: pay the clearance fee",
    )
    assert narrow_runs("method\n1.\n2.\n3.\n4.\n5.\n-\n-\n-\n-\nno\nresult") == []


@needs_pdftotext
@needs_chromium
def test_full_report_prints_nested_details_readably(
    evkit: Callable[..., Run], tmp_path: Path
) -> None:
    case = tmp_path / "case"
    r = evkit(
        "init",
        str(case),
        "--title",
        "Phishing and a customs fee",
        "--collector",
        "Jane Doe",
        "--timezone",
        "Europe/London",
        input="",
    )
    assert r.exit_code == 0, r.output
    files = tmp_path / "files"
    files.mkdir()
    shutil.copy(SAMPLES / "statement.csv", files / "statement.csv")
    deep_email(files / "limited.eml")
    long_key_pdf(files / "invoice.pdf")
    assert evkit("add", str(files), cwd=case).exit_code == 0
    r = evkit("report", "--format", "html,json", "--full", cwd=case)
    assert r.exit_code == 0, r.output
    page = case / "evkit/report/index.html"
    assert '<details id="appendix" open>' in page.read_text(encoding="utf-8")
    text = pdf_text(print_html(page, tmp_path / "full.pdf", tmp_path / "profile"))
    # The appendix was printed: the raw header values are in it.
    assert "authserv_id" in text and "dkim_signatures" in text
    # Long values read whole and in order: SPF and DMARC as stated, every relay hop, the
    # signature, and the value beside a long made-up field name (and that name).
    for value in (SPF, DMARC, *(_hop(i).split(";")[0] for i in range(HOPS)), SIG, LONG_VALUE):
        assert reads_whole(text, value), value
    assert reads_whole(text, LONG_KEY, per_line=20)
    # No column squeezed to a character or two per line anywhere in the printed report.
    assert narrow_runs(text) == [], narrow_runs(text)[:3]
