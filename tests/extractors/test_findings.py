"""Findings: each e-mail finding is triggered by a message built for it and absent on a clean
one; image, statement and type-mismatch findings on files whose values were read by hand."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from evidence_kit.extractors import ExtractContext, extract
from evidence_kit.extractors.email import EmailExtractor
from evidence_kit.extractors.findings.base import describe_record, type_label, when_text
from evidence_kit.extractors.interface import Description, LossView, RecordView

SAMPLES = Path(__file__).resolve().parents[2] / "samples"

CLEAN = {
    "Return-Path": "<alice@example.net>",
    "Received-2": "from mail-out.example.net (mail-out.example.net [198.51.100.7]) by "
    "mx.example.org (Postfix) with ESMTPS id AB12; Thu, 19 Nov 2026 13:15:09 +0000",
    "Received-1": "from [203.0.113.9] (unknown [203.0.113.9]) by mail-out.example.net "
    "(Postfix) with ESMTPSA id CD34; Thu, 19 Nov 2026 13:15:05 +0000",
    "Authentication-Results": "mx.example.org; spf=pass smtp.mailfrom=example.net; "
    "dkim=pass header.d=example.net; dmarc=pass header.from=example.net",
    "From": "Alice Smith <alice@example.net>",
    "To": "Bob <bob@example.org>",
    "Subject": "Lunch",
    "Date": "Thu, 19 Nov 2026 13:15:03 +0000",
    "Message-ID": "<1@example.net>",
    "MIME-Version": "1.0",
    "Content-Type": "text/html; charset=utf-8",
}
BODY = '<p>See <a href="https://www.example.net/menu">https://www.example.net/menu</a></p>'


def message(body: str = BODY, drop: tuple[str, ...] = (), **headers: str) -> bytes:
    fields = {k: v for k, v in CLEAN.items() if k not in drop}
    for key, value in headers.items():
        fields[key.replace("_", "-")] = value
    lines = [
        f"{k.split('-')[0] if k.startswith('Received') else k}: {v}" for k, v in fields.items()
    ]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


def describe_email(data: bytes, tmp_path: Path) -> Description:
    path = tmp_path / "m.eml"
    path.write_bytes(data)
    ctx = ExtractContext(scratch_dir=tmp_path / "scratch", original_name="m.eml")
    ex = EmailExtractor().extract(path, ctx).to_dict()
    return describe_record(RecordView("E0001", "m.eml", "message/rfc822", ex))


def codes(desc: Description) -> dict[str, str]:
    return {f.code: f.severity for f in desc.findings}


def text_of(desc: Description, code: str) -> str:
    return " ".join(f.text for f in desc.findings if f.code == code)


def test_clean_message_has_facts_only(tmp_path: Path) -> None:
    desc = describe_email(message(), tmp_path)
    assert codes(desc) == {
        "email.auth": "fact",
        "email.origin-ip": "fact",
        "email.last-hop": "fact",
    }
    assert "SPF passed; DKIM passed; DMARC passed" in text_of(desc, "email.auth")
    # The earliest public address is the sender's own connection, recorded by its relay.
    assert "203.0.113.9" in text_of(desc, "email.origin-ip")
    assert "mail-out.example.net" in text_of(desc, "email.origin-ip")
    assert "mx.example.org by mail-out.example.net (198.51.100.7)" in text_of(
        desc, "email.last-hop"
    )
    assert desc.kind == "E-mail"
    assert desc.summary == (
        "E-mail from 'Alice Smith' <alice@example.net>, 19 Nov 2026 13:15 UTC, subject 'Lunch'; "
        "sent from 203.0.113.9"
    )


def test_reply_to_elsewhere(tmp_path: Path) -> None:
    desc = describe_email(message(Reply_To="Alice <alice.private@example.com>"), tmp_path)
    assert codes(desc)["email.reply-to"] == "warning"
    assert "alice.private@example.com" in text_of(desc, "email.reply-to")
    assert "replies go to a different address (alice.private@example.com)" in desc.summary
    # The same domain, another mailbox: worth a look, not a warning.
    same = describe_email(message(Reply_To="<accounts@example.net>"), tmp_path)
    assert codes(same)["email.reply-to"] == "notable"
    # Reply-To the sender itself is no finding.
    own = describe_email(message(Reply_To="Alice <ALICE@example.net>"), tmp_path)
    assert "email.reply-to" not in codes(own)


def test_return_path_elsewhere(tmp_path: Path) -> None:
    desc = describe_email(message(Return_Path="<bounce@bulk-sender.example.com>"), tmp_path)
    assert codes(desc)["email.return-path"] == "notable"
    assert "bounce@bulk-sender.example.com" in text_of(desc, "email.return-path")


def test_display_name_impersonation(tmp_path: Path) -> None:
    desc = describe_email(message(From='"security@mybank.example" <alice@example.net>'), tmp_path)
    assert codes(desc)["email.display-name"] == "warning"
    assert text_of(desc, "email.display-name") == (
        "The sender's name shows the address security@mybank.example, but the e-mail really "
        "came from alice@example.net: the name is made to deceive."
    )


def test_link_text_differs_from_target(tmp_path: Path) -> None:
    body = '<a href="http://login.evil.example.com/x">https://www.mybank.example/secure</a>'
    desc = describe_email(message(body), tmp_path)
    assert codes(desc)["email.link-mismatch"] == "warning"
    assert "'https://www.mybank.example/secure'" in text_of(desc, "email.link-mismatch")
    assert "'http://login.evil.example.com/x'" in text_of(desc, "email.link-mismatch")


def test_authentication_failures_as_stated(tmp_path: Path) -> None:
    auth = "mx.example.org; spf=fail smtp.mailfrom=example.net; dkim=none; dmarc=fail"
    desc = describe_email(message(Authentication_Results=auth), tmp_path)
    assert codes(desc)["email.auth"] == "warning"
    assert "SPF failed; DKIM none; DMARC failed" in text_of(desc, "email.auth")
    assert "mx.example.org" in text_of(desc, "email.auth")
    assert "SPF failed; DMARC failed" in desc.summary


def test_origin_ip_needs_a_public_address(tmp_path: Path) -> None:
    private = "from pc (pc [192.168.1.20]) by mail-out.example.net; Thu, 19 Nov 2026 13:15:05 +0000"
    desc = describe_email(message(Received_1=private), tmp_path)
    # 192.168.1.20 is a home network address: the earliest *public* one is the next relay.
    assert "192.168.1.20" not in text_of(desc, "email.origin-ip")
    assert "198.51.100.7" in text_of(desc, "email.origin-ip")
    none = describe_email(message(drop=("Received-1", "Received-2")), tmp_path)
    assert "email.origin-ip" not in codes(none)
    assert codes(none)["email.no-relay-headers"] == "notable"


def test_date_far_from_first_hop(tmp_path: Path) -> None:
    early = describe_email(message(Date="Mon, 16 Nov 2026 09:00:00 +0000"), tmp_path)
    assert codes(early)["email.date-gap"] == "notable"
    assert "is 3 days before the first server received it" in text_of(early, "email.date-gap")
    late = describe_email(message(Date="Thu, 19 Nov 2026 18:15:03 +0000"), tmp_path)
    assert "5 hours after the first server received it" in text_of(late, "email.date-gap")
    # A few minutes of queueing or clock drift is normal.
    near = describe_email(message(Date="Thu, 19 Nov 2026 13:10:00 +0000"), tmp_path)
    assert "email.date-gap" not in codes(near)


def test_demo_email_summary_and_children(tmp_path: Path) -> None:
    path = SAMPLES / "scam-email.eml"
    ctx = ExtractContext(scratch_dir=tmp_path, original_name=path.name)
    ex = EmailExtractor().extract(path, ctx).to_dict()
    view = RecordView(
        "E0004",
        path.name,
        "message/rfc822",
        ex,
        children=(("E0005", "invoice.pdf"),),
        timezone="Europe/London",
    )
    desc = describe_record(view)
    # Values read by hand from samples/scam-email.eml.
    assert desc.summary.startswith(
        "E-mail from 'Mark Williams' <mark.williams.oilrig@example.net>, "
        "19 Nov 2026 13:15 GMT (13:15 UTC)"
    )
    assert "replies go to a different address (m.williams.private@example.com)" in desc.summary
    assert "SPF failed" in desc.summary
    assert desc.summary.endswith("1 attachment (E0005 invoice.pdf)")
    assert [f.severity for f in desc.findings][:3] == ["warning"] * 3
    attach = next(f for f in desc.findings if f.code == "email.attachments")
    assert attach.items == ("E0005",)


def test_images(tmp_path: Path) -> None:
    shot = SAMPLES / "Screenshot 2026-11-20 at 09.14.png"
    photo = SAMPLES / "photo-of-receipt.jpg"
    ctx = ExtractContext(scratch_dir=tmp_path, original_name=shot.name)
    d1 = describe_record(
        RecordView("E0002", shot.name, "image/png", extract(shot, "image/png", ctx).to_dict())
    )
    assert d1.summary == "Screenshot (PNG image, 390×844), made 20 Nov 2026 09:14 UTC"
    assert set(codes(d1)) == {"image.screenshot", "image.taken"}
    ctx = ExtractContext(scratch_dir=tmp_path, original_name=photo.name)
    rec = extract(photo, "image/jpeg", ctx).to_dict()
    d2 = describe_record(
        RecordView("E0003", photo.name, "image/jpeg", rec, timezone="Europe/London")
    )
    assert codes(d2) == {"image.place": "notable", "image.photo": "fact", "image.taken": "fact"}
    assert "latitude 51.50070, longitude -0.12460" in text_of(d2, "image.place")
    assert "Taken 19 Nov 2026 18:42 GMT (18:42 UTC)" in text_of(d2, "image.taken")


def test_edited_picture_and_undated_screenshot(tmp_path: Path) -> None:
    from PIL import Image

    img = Image.new("RGB", (64, 48), "white")
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS 80D"
    exif[0x0131] = "Adobe Photoshop 25.0 (Windows)"
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    path = tmp_path / "holiday.jpg"
    path.write_bytes(buf.getvalue())
    ctx = ExtractContext(scratch_dir=tmp_path / "s", original_name=path.name)
    rec = extract(path, "image/jpeg", ctx).to_dict()
    desc = describe_record(RecordView("E0001", path.name, "image/jpeg", rec))
    assert codes(desc)["image.edited"] == "notable"
    assert "'Adobe Photoshop 25.0 (Windows)'" in text_of(desc, "image.edited")
    assert codes(desc)["image.photo"] == "fact"

    buf = io.BytesIO()
    Image.new("RGB", (390, 844), "white").save(buf, "PNG")
    path = tmp_path / "Screenshot chat.png"
    path.write_bytes(buf.getvalue())
    ctx = ExtractContext(scratch_dir=tmp_path / "s", original_name=path.name)
    rec = extract(path, "image/png", ctx).to_dict()
    desc = describe_record(RecordView("E0009", path.name, "image/png", rec))
    assert codes(desc)["image.no-date"] == "notable"
    assert "--item E0009" in text_of(desc, "image.no-date")


def test_type_mismatch_says_what_the_file_is(tmp_path: Path) -> None:
    path = SAMPLES / "photo-of-receipt.jpg"
    ctx = ExtractContext(scratch_dir=tmp_path, original_name="invoice.pdf")
    rec = extract(path, "image/jpeg", ctx).to_dict()
    desc = describe_record(RecordView("E0001", "invoice.pdf", "image/jpeg", rec))
    assert desc.findings[0].code == "file.type-mismatch"
    assert desc.findings[0].text.startswith(
        "The name ends in .pdf but the file is really a JPEG image (image/jpeg)"
    )


def test_statement_matches_a_recorded_loss(tmp_path: Path) -> None:
    path = SAMPLES / "statement.csv"
    ctx = ExtractContext(scratch_dir=tmp_path, original_name=path.name)
    rec = extract(path, "text/csv", ctx).to_dict()
    txs = rec["metadata"]["transactions"]
    paid = next(t for t in txs if t["amount"].startswith("-") and "142" not in t["amount"])
    amount = paid["amount"].lstrip("-")
    loss = LossView(9, amount, "GBP", paid["date"])
    desc = describe_record(RecordView("E0006", path.name, "text/csv", rec, losses=(loss,)))
    assert desc.summary.startswith(
        "Bank statement (CSV): 12 transactions, 2026-11-01 to 2026-11-24"
    )
    match = text_of(desc, "statement.loss-match")
    assert f"The transaction of {paid['date']}, {paid['amount']}" in match
    assert "(step 9 of the case history)" in match
    elsewhere = LossView(9, "1.23", "GBP", paid["date"])
    desc = describe_record(RecordView("E0006", path.name, "text/csv", rec, losses=(elsewhere,)))
    assert "statement.loss-match" not in codes(desc)


def test_a_broken_record_still_has_a_summary() -> None:
    bad = {"extractor": "email", "metadata": {"addresses": "nonsense", "received": 5}}
    desc = describe_record(RecordView("E0001", "x.eml", "message/rfc822", bad))
    assert desc.summary.startswith("E-mail")


@pytest.mark.parametrize(
    ("mime", "label"),
    [
        ("message/rfc822", "E-mail"),
        ("image/png", "PNG image"),
        ("application/pdf", "PDF document"),
        ("image/webp", "WEBP image"),
        ("application/x-dosexec", "Windows program"),
        ("application/x-weird-thing", "File (application/x-weird-thing)"),
    ],
)
def test_type_labels(mime: str, label: str) -> None:
    assert type_label(mime) == label


def test_times_in_the_collectors_zone_with_utc_beside() -> None:
    from datetime import UTC, datetime

    moment = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    assert when_text(moment, "Europe/London") == "02 Jul 2026 00:30 BST (01 Jul 23:30 UTC)"
    assert when_text(moment, "UTC") == "01 Jul 2026 23:30 UTC"
