"""Generate the made-up demo evidence files in ``samples/``.

Everything here is invented by this script: no third-party content. People, banks and
addresses are fictitious; e-mail domains are ``example.*`` (RFC 2606), IP addresses come
from the documentation ranges (RFC 5737) plus one private hop, the phone number is from
Ofcom's range reserved for drama. Output is deterministic: fixed timestamps, fixed MIME
boundaries, no randomness, so running the script twice gives byte-identical files (for
the same Pillow, zlib, libjpeg and fpdf2 versions).

Usage: ``python scripts/make_samples.py [OUTPUT_DIR]`` (default: ``samples/`` next to
this script's parent).
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from email import charset as email_charset
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo
from PIL.TiffImagePlugin import IFDRational

ROOT = Path(__file__).resolve().parent.parent

SCREENSHOT_NAME = "Screenshot 2026-11-20 at 09.14.png"
RECEIPT_NAME = "photo-of-receipt.jpg"
EMAIL_NAME = "scam-email.eml"
STATEMENT_NAME = "statement.csv"
README_NAME = "README.md"

SCAMMER_NAME = "Mark Williams"
SCAMMER_FROM = "mark.williams.oilrig@example.net"
SCAMMER_REPLY_TO = "m.williams.private@example.com"
VICTIM = "Jane Doe <jane.doe@example.org>"
SCAMMER_PHONE = "+44 7700 900123"
BITCOIN_ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
SCAMMER_ACCOUNT = "M WILLIAMS 12-34-56 12345678"

# ---------------------------------------------------------------------------------------
# Screenshot of a phone chat (PNG)
# ---------------------------------------------------------------------------------------

WIDTH, HEIGHT = 390, 844
BG = (255, 255, 255)
HEADER_BG = (246, 246, 246)
GREY_BUBBLE = (233, 233, 235)
BLUE_BUBBLE = (10, 132, 255)
GREEN_BUBBLE = (52, 199, 89)
TEXT_DARK = (0, 0, 0)
TEXT_MUTED = (142, 142, 147)
TEXT_LIGHT = (255, 255, 255)
RULE = (216, 216, 220)

# (from_them, text)
CHAT: list[tuple[bool, str]] = [
    (True, "Good morning my queen, did you sleep well? I dreamt of you again"),
    (False, "Morning! Yes thanks. Did the parcel clear customs in the end?"),
    (True, "Yes my love, thanks to you. The rig manager will release me next week"),
    (True, "Hi dear, I need £250 for the flight ticket, please send to my friend's account"),
    (
        True,
        "Name M Williams, sort code 12-34-56, account 12345678. Don't tell the bank "
        "what it is for, they always block it",
    ),
    (False, "Mark I already sent £250 yesterday for the customs fee..."),
    (
        True,
        "I know darling, this is the last time I promise. I will pay you back the minute I land",
    ),
]


def _font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's built-in default font at ``size`` (needs Pillow built with FreeType)."""
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):
        raise SystemExit("make_samples.py needs Pillow with FreeType support")
    return font


_POUND = "\u00a3"
_SS = 4  # supersampling factor for the hand-drawn pound sign


def _text_length(text: str, font: ImageFont.FreeTypeFont) -> float:
    """Width of ``text`` in pixels, counting a pound sign as wide as a digit."""
    return font.getlength(text.replace(_POUND, "0"))


def _pound_sign(font: ImageFont.FreeTypeFont) -> Image.Image:
    """An anti-aliased pound-sign mask sized like the font's digits.

    Pillow's built-in font (an ASCII subset of Aileron) has no "£", so it is drawn
    here with lines and an arc at 4x size and scaled down.
    """
    width = round(font.getlength("0"))
    _left, top, _right, bottom = font.getbbox("0")
    height = int(bottom - top)
    w, h = width * _SS, height * _SS
    stroke = max(_SS, round(font.size * _SS / 11))
    half = stroke / 2
    mask = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(mask)
    stem_x = 0.34 * w
    d.arc((stem_x - half, half, w - half, 0.62 * h), start=180, end=335, fill=255, width=stroke)
    d.line((stem_x + half, 0.31 * h, stem_x + half, 0.82 * h), fill=255, width=stroke)
    d.line((stem_x + half, 0.82 * h, 0.10 * w, h - half), fill=255, width=stroke)
    d.line((0.06 * w, h - half - 1, 0.96 * w, h - half - 1), fill=255, width=stroke)
    d.line((0.04 * w, 0.56 * h, 0.72 * w, 0.56 * h), fill=255, width=stroke)
    return mask.resize((width, height), Image.Resampling.BOX)


def _draw_text(
    im: Image.Image,
    xy: tuple[float, float],
    text: str,
    font: ImageFont.FreeTypeFont,
    fill: tuple[int, int, int],
) -> None:
    """Draw ``text`` like ``ImageDraw.text``, drawing any pound sign by hand."""
    draw = ImageDraw.Draw(im)
    x, y = xy
    pieces = text.split(_POUND)
    for n, piece in enumerate(pieces):
        if piece:
            draw.text((x, y), piece, font=font, fill=fill)
            x += font.getlength(piece)
        if n < len(pieces) - 1:
            mask = _pound_sign(font)
            top = font.getbbox("0")[1]
            im.paste(fill, (round(x), round(y + top)), mask)
            x += font.getlength("0")


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap of ``text`` to lines no wider than ``width`` pixels."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if _text_length(candidate, font) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def make_screenshot() -> bytes:
    """Draw a plausible phone-chat screenshot and return the PNG bytes."""
    font = _font(15)
    small = _font(12)
    bold = _font(17)
    im = Image.new("RGB", (WIDTH, HEIGHT), BG)
    draw = ImageDraw.Draw(im)

    # status bar
    draw.text((28, 16), "09:14", font=bold, fill=TEXT_DARK)
    draw.rounded_rectangle((330, 19, 356, 31), radius=3, outline=TEXT_DARK, width=1)
    draw.rectangle((332, 21, 348, 29), fill=TEXT_DARK)
    for k in range(4):
        x = 296 + k * 6
        draw.rectangle((x, 29 - 3 * k, x + 3, 31), fill=TEXT_DARK)

    # conversation header
    draw.rectangle((0, 50, WIDTH, 130), fill=HEADER_BG)
    draw.line((0, 130, WIDTH, 130), fill=RULE)
    draw.text((14, 62), "<", font=bold, fill=BLUE_BUBBLE)
    draw.ellipse((175, 56, 215, 96), fill=(160, 168, 184))
    draw.text((195, 76), "MW", font=bold, fill=TEXT_LIGHT, anchor="mm")
    name_w = draw.textlength("Mark Williams", font=small)
    draw.text(((WIDTH - name_w) / 2, 104), "Mark Williams", font=small, fill=TEXT_DARK)

    stamp = "Today 09:12"
    draw.text(
        ((WIDTH - draw.textlength(stamp, font=small)) / 2, 146), stamp, font=small, fill=TEXT_MUTED
    )

    y = 172
    max_text = 236
    line_h = 19
    for theirs, message in CHAT:
        lines = _wrap(message, font, max_text)
        text_w = max(_text_length(line, font) for line in lines)
        bw = int(text_w) + 28
        bh = len(lines) * line_h + 14
        x0 = 12 if theirs else WIDTH - 12 - bw
        colour = GREY_BUBBLE if theirs else GREEN_BUBBLE
        draw.rounded_rectangle((x0, y, x0 + bw, y + bh), radius=17, fill=colour)
        for n, line in enumerate(lines):
            _draw_text(
                im, (x0 + 14, y + 7 + n * line_h), line, font, TEXT_DARK if theirs else TEXT_LIGHT
            )
        y += bh + 8
    draw.text(
        (WIDTH - 12 - draw.textlength("Delivered", font=small), y - 4),
        "Delivered",
        font=small,
        fill=TEXT_MUTED,
    )

    # message entry bar
    draw.line((0, 770, WIDTH, 770), fill=RULE)
    draw.rounded_rectangle((52, 780, 374, 814), radius=17, outline=RULE, width=1)
    draw.text((68, 789), "Text Message", font=font, fill=TEXT_MUTED)
    draw.ellipse((12, 782, 42, 812), fill=GREY_BUBBLE)
    draw.text((22, 786), "+", font=bold, fill=TEXT_MUTED)
    draw.rounded_rectangle((128, 828, 262, 833), radius=3, fill=TEXT_DARK)

    pal = im.quantize(colors=24, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    info = PngInfo()
    info.add_text("Software", "macOS screenshot (demo)")
    info.add_text("Creation Time", "Fri, 20 Nov 2026 09:14:07 GMT")
    buf = io.BytesIO()
    pal.save(buf, format="PNG", pnginfo=info, optimize=True)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------
# Photo of a money-transfer receipt (JPEG with EXIF and GPS)
# ---------------------------------------------------------------------------------------


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    """Degrees, minutes, seconds (hundredths) of an absolute coordinate, as EXIF wants."""
    value = abs(value)
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    hundredths = round((minutes_full - minutes) * 60 * 100)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(hundredths, 100)


def make_receipt() -> bytes:
    """Draw a 'photo' of a paper receipt and return JPEG bytes with EXIF and GPS."""
    bg = Image.new("RGB", (320, 240), (120, 96, 72))
    draw = ImageDraw.Draw(bg)
    for k in range(0, 240, 6):  # wood-ish grain, deterministic
        shade = 108 + (k * 7) % 23
        draw.line((0, k, 320, k + 3), fill=(shade, shade - 22, shade - 44), width=2)

    paper = Image.new("RGBA", (190, 250), (250, 248, 240, 255))
    pd = ImageDraw.Draw(paper)
    head = _font(13)
    body = _font(11)
    lines = [
        ("EXAMPLE MONEY SHOP", head),
        ("(demo - made up)", body),
        ("12 Example Street, London", body),
        ("------------------------------", body),
        ("19/11/2026      18:41", body),
        ("MONEY TRANSFER", head),
        ("To:  M WILLIAMS", body),
        ("Acct: 12-34-56 12345678", body),
        ("Ref: CUSTOMS FEE", body),
        ("Amount        GBP 250.00", body),
        ("Fee             GBP 4.99", body),
        ("TOTAL        GBP 254.99", head),
        ("------------------------------", body),
        ("Keep this receipt", body),
    ]
    y = 8
    for text, font in lines:
        pd.text((10, y), text, font=font, fill=(30, 30, 34, 255))
        y += 17
    paper = paper.rotate(-7, resample=Image.Resampling.BICUBIC, expand=True)
    bg.paste(paper, (62, -12), paper)

    exif = Image.Exif()
    exif[0x010F] = "DemoPhone"  # Make
    exif[0x0110] = "DemoPhone 12 (fictitious)"  # Model
    exif[0x0112] = 1  # Orientation
    exif[0x0132] = "2026:11:19 18:42:05"  # DateTime
    sub = exif.get_ifd(0x8769)  # Exif IFD
    sub[0x9003] = "2026:11:19 18:42:05"  # DateTimeOriginal
    sub[0x9004] = "2026:11:19 18:42:05"  # DateTimeDigitized
    sub[0x9010] = "+00:00"  # OffsetTime
    sub[0x9011] = "+00:00"  # OffsetTimeOriginal
    gps = exif.get_ifd(0x8825)  # GPS IFD
    lat, lon = 51.5007, -0.1246  # made-up spot in Westminster, London
    gps[0x0000] = b"\x02\x03\x00\x00"  # GPSVersionID
    gps[0x0001] = "N" if lat >= 0 else "S"
    gps[0x0002] = _dms(lat)
    gps[0x0003] = "E" if lon >= 0 else "W"
    gps[0x0004] = _dms(lon)
    gps[0x0005] = b"\x00"  # above sea level
    gps[0x0006] = IFDRational(12, 1)
    gps[0x0007] = (IFDRational(18, 1), IFDRational(42, 1), IFDRational(5, 1))
    gps[0x001D] = "2026:11:19"  # GPSDateStamp

    buf = io.BytesIO()
    bg.save(buf, format="JPEG", quality=80, optimize=True, exif=exif.tobytes())
    return buf.getvalue()


# ---------------------------------------------------------------------------------------
# The "invoice" PDF and the scam e-mail (.eml)
# ---------------------------------------------------------------------------------------

JST = timezone(timedelta(hours=9))


def make_invoice_pdf() -> bytes:
    """A one-page fake customs invoice, with a fixed creation date."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime(2026, 11, 19, 21, 58, 0, tzinfo=JST))
    pdf.set_title("Invoice")
    pdf.set_author("Example Parcel Logistics (fictitious)")
    pdf.set_creator("evkit scripts/make_samples.py")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 12, "INVOICE", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for line in (
        "Example Parcel Logistics (fictitious demo company)",
        "Invoice no. GPL-2026-11-0457    Date: 19/11/2026",
        "",
        "Consignee: Jane Doe, London, United Kingdom",
        "Parcel: personal effects and gift box from offshore platform",
        "",
    ):
        pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, "Customs clearance fee: GBP 250.00", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for line in (
        "",
        "Pay within 24 hours or the parcel will be returned to sender.",
        f"Payment by bank transfer to {SCAMMER_ACCOUNT}",
        f"or in bitcoin to {BITCOIN_ADDRESS}",
        f"Questions: {SCAMMER_PHONE}",
        "",
        "THIS IS A MADE-UP DEMO DOCUMENT GENERATED BY EVKIT.",
    ):
        pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


EMAIL_TEXT = f"""\
My dearest Jane,

I hope you are well my love. The parcel with my personal things and
the little gift I promised you is held at customs in London. The
shipping company will only release it when the customs clearance fee
of £250 is paid, and I cannot pay from the rig because our accounts
are frozen offshore. The invoice is attached.

Please pay it today, by bank transfer or in bitcoin to this address:

  {BITCOIN_ADDRESS}

Your bank will ask you to confirm. Please log in here so they do not
block it:
https://www.mybank.co.uk/secure

If there is any problem call my agent on {SCAMMER_PHONE} – he is a
good man.

I count the days until I hold you.
Mark
"""

EMAIL_HTML = f"""\
<html>
<head><meta charset="utf-8"></head>
<body style="font-family: Arial, sans-serif">
<p>My dearest Jane,</p>
<p>I hope you are well my love. The parcel with my personal things
and the little gift I promised you is held at customs in London. The
shipping company will only release it when the <b>customs clearance
fee of £250</b> is paid, and I cannot pay from the rig because our
accounts are frozen offshore. The invoice is attached.</p>
<p>Please pay it today, by bank transfer or in bitcoin to this
address:<br>
<code>{BITCOIN_ADDRESS}</code></p>
<p>Your bank will ask you to confirm. Please log in here so they do
not block it:<br>
<a href="http://mybank-secure-login.example.com/login"
>https://www.mybank.co.uk/secure</a></p>
<p>If there is any problem call my agent on {SCAMMER_PHONE}
&ndash; he is a good man.</p>
<p>I count the days until I hold you.<br>Mark</p>
</body>
</html>
"""

RECEIVED = [
    # newest first, as mail servers prepend them
    "from mail-out.example.net (mail-out.example.net [198.51.100.23])\r\n"
    "\tby mx1.example.org (mx1.example.org [192.0.2.25])\r\n"
    "\twith ESMTPS id 4QxR7m2FzKz9sT for <jane.doe@example.org>;\r\n"
    "\tThu, 19 Nov 2026 13:15:07 +0000 (GMT)",
    "from relay1.example.net (relay1.example.net [10.20.30.40])\r\n"
    "\tby mail-out.example.net (Postfix) with ESMTP id 8C1A2B3C4D\r\n"
    "\tfor <jane.doe@example.org>; Thu, 19 Nov 2026 22:15:05 +0900 (JST)",
    "from [203.0.113.77] (unknown [203.0.113.77])\r\n"
    "\tby relay1.example.net (Postfix) with ESMTPSA id 5E6F7A8B9C\r\n"
    "\tfor <jane.doe@example.org>; Thu, 19 Nov 2026 22:15:04 +0900 (JST)",
]

AUTH_RESULTS = (
    "mx1.example.org;\r\n"
    "\tspf=fail (mx1.example.org: domain of\r\n"
    "\tmark.williams.oilrig@example.net does not designate\r\n"
    "\t198.51.100.23 as permitted sender) smtp.mailfrom=example.net;\r\n"
    "\tdkim=none (message not signed);\r\n"
    "\tdmarc=fail (p=NONE) header.from=example.net"
)


def _qp_utf8() -> email_charset.Charset:
    cs = email_charset.Charset("utf-8")
    cs.body_encoding = email_charset.QP
    return cs


def make_email() -> bytes:
    """Build the scam e-mail with fixed boundaries and CRLF line ends."""
    alternative = MIMEMultipart("alternative", boundary="----=_Alt_0019_20261119221503")
    alternative.attach(MIMEText(EMAIL_TEXT, "plain", _qp_utf8()))  # type: ignore[arg-type]
    alternative.attach(MIMEText(EMAIL_HTML, "html", _qp_utf8()))  # type: ignore[arg-type]

    attachment = MIMEApplication(make_invoice_pdf(), "pdf", name="invoice.pdf")
    attachment.add_header("Content-Disposition", "attachment", filename="invoice.pdf")
    for part in (*alternative.get_payload(), alternative, attachment):
        del part["MIME-Version"]  # only the top level carries it in real mail

    msg = MIMEMultipart("mixed", boundary="----=_Mix_0018_20261119221503")
    for header in ("Content-Type", "MIME-Version"):  # re-added below, in mail order
        del msg[header]
    msg["Return-Path"] = f"<{SCAMMER_FROM}>"
    for received in RECEIVED:
        msg["Received"] = received
    msg["Authentication-Results"] = AUTH_RESULTS
    msg["From"] = f"{SCAMMER_NAME} <{SCAMMER_FROM}>"
    msg["Reply-To"] = f"{SCAMMER_NAME} <{SCAMMER_REPLY_TO}>"
    msg["To"] = VICTIM
    msg["Subject"] = Header(
        "My love – customs fee for your gift ❤", "utf-8", header_name="Subject"
    ).encode(linesep="\r\n")
    msg["Date"] = "Thu, 19 Nov 2026 22:15:03 +0900"
    msg["Message-ID"] = "<20261119221503.4F2A9C71@mail-out.example.net>"
    msg["X-Mailer"] = "Demo Mailer 1.0"
    msg["MIME-Version"] = "1.0"
    msg["Content-Type"] = 'multipart/mixed; boundary="----=_Mix_0018_20261119221503"'
    msg.preamble = "This is a multi-part message in MIME format."
    msg.attach(alternative)
    msg.attach(attachment)

    policy = compat32.clone(linesep="\r\n", max_line_length=78)
    data = msg.as_bytes(policy=policy)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


# ---------------------------------------------------------------------------------------
# Bank statement (CSV)
# ---------------------------------------------------------------------------------------

OPENING_BALANCE = Decimal("2841.37")

# (date, description, money out, money in)
TRANSACTIONS: list[tuple[str, str, str, str]] = [
    ("01/11/2026", "SALARY ACME WIDGETS LTD", "", "2150.00"),
    ("02/11/2026", "DIRECT DEBIT COUNCIL TAX", "142.00", ""),
    ("03/11/2026", "CARD PAYMENT CORNER GROCER 2041", "63.18", ""),
    ("05/11/2026", "STANDING ORDER RENT J SMITH", "950.00", ""),
    ("09/11/2026", "CARD PAYMENT CITY TRANSIT", "24.60", ""),
    ("12/11/2026", "DIRECT DEBIT EXAMPLE ENERGY", "88.40", ""),
    ("16/11/2026", "CARD PAYMENT FRESH MARKET", "41.27", ""),
    ("19/11/2026", f"FASTER PAYMENT TO {SCAMMER_ACCOUNT}", "250.00", ""),
    ("20/11/2026", "CASH WITHDRAWAL HIGH ST ATM", "40.00", ""),
    ("21/11/2026", f"FASTER PAYMENT TO {SCAMMER_ACCOUNT}", "480.00", ""),
    ("23/11/2026", f"FASTER PAYMENT TO {SCAMMER_ACCOUNT}", "1200.00", ""),
    ("24/11/2026", "CARD PAYMENT HIGH ST PHARMACY", "9.99", ""),
]


def make_statement() -> bytes:
    """A small UK-style bank statement CSV with running balance."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["Date", "Description", "Money Out", "Money In", "Balance"])
    balance = OPENING_BALANCE
    for date, description, money_out, money_in in TRANSACTIONS:
        balance = balance - Decimal(money_out or "0") + Decimal(money_in or "0")
        writer.writerow([date, description, money_out, money_in, f"{balance:.2f}"])
    return buf.getvalue().encode("utf-8")


README = """\
# Demo samples

These are made-up demo files, generated by `scripts/make_samples.py` (run it again to
rebuild them byte for byte): a phone-chat screenshot, a photo of a money-transfer receipt
with EXIF and GPS data, a romance-scam e-mail with a PDF "invoice" attached, and a bank
statement CSV. Every name, account, company and address in them is fictitious: e-mail
domains are `example.net`/`example.com`/`example.org`, IP addresses are from the
documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) plus one private
10.x hop, the phone number is from Ofcom's range reserved for TV and radio drama
(07700 900xxx), and the bitcoin address is a well-known example address. Use them to try
evkit without touching real evidence.
"""


def main(argv: list[str]) -> int:
    """Write every sample into the output directory and print what was written."""
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "samples"
    out.mkdir(parents=True, exist_ok=True)
    files = {
        SCREENSHOT_NAME: make_screenshot(),
        RECEIPT_NAME: make_receipt(),
        EMAIL_NAME: make_email(),
        STATEMENT_NAME: make_statement(),
        README_NAME: README.encode("utf-8"),
    }
    for name, data in files.items():
        (out / name).write_bytes(data)
        print(f"{len(data):>8}  {out / name}")
    total = sum(len(d) for d in files.values())
    print(f"{total:>8}  total")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
