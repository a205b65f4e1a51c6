"""Issue 12, defect 7: a default handover carries, for a withheld sensitive item, only its ID,
SHA-256, size, type and the reason it was withheld, and still verifies with evkit, sha256sum,
bagit and openssl. The signed log binds the full records through salted hashes, so the records
can be disclosed later and checked against it."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bagit
import pytest
from conftest import Run
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from test_external_validators import check_with_external_tools

# Every string below describes a withheld file; none may appear anywhere in the package.
FOLDER = "Intimate_Photos_of_Jane"
PHOTO = "jane-secret-QZX.jpg"
COPY = "copy-of-secret-QZX.jpg"
SOURCE = "SOURCE-QZX-phone"
NOTE = "NOTE-QZX-from-him"
SUBJECT = "SUBJECT-QZX-pictures"
SENDER = "sender-qzx@example.net"
MAIL = "threat-QZX.eml"
REASON = "private pictures"
SECRETS = (FOLDER, "jane-secret", "copy-of-secret", "QZX", "qzx", "12.3456", "98.7534", "Intimate")


def _photo(path: Path) -> None:
    """A JPEG with GPS coordinates (12.3456 N, 98.7534 E) in its EXIF."""
    im = Image.new("RGB", (24, 24), (180, 20, 20))
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[3] = "N", "E"
    gps[2] = (IFDRational(12), IFDRational(20), IFDRational(4444, 100))
    gps[4] = (IFDRational(98), IFDRational(45), IFDRational(1234, 100))
    im.save(path, exif=exif)


def _mail(path: Path) -> None:
    path.write_bytes(
        f"From: Mr X <{SENDER}>\r\nTo: jane@example.org\r\nSubject: {SUBJECT}\r\n"
        "Date: Thu, 19 Nov 2026 18:42:00 +0000\r\nMessage-ID: <qzx@example.net>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nPay or else.\r\n".encode()
    )


@pytest.fixture
def private_case(evkit: Callable[..., Run], tmp_path: Path) -> dict[str, Any]:
    """A case with an ordinary note, a photo added as sensitive (and a copy of it from another
    folder), and an e-mail added normally and marked sensitive afterwards."""
    src = tmp_path / "home" / FOLDER
    src.mkdir(parents=True)
    _photo(src / PHOTO)
    shutil.copy(src / PHOTO, src / COPY)
    _mail(tmp_path / "home" / MAIL)
    (tmp_path / "home" / "note.txt").write_text("He called from a withheld number.\n")
    root = tmp_path / "case"
    run = evkit(
        "init",
        str(root),
        "--title",
        "Sextortion",
        "--collector",
        "Jane Doe",
        "--email",
        "jane@example.org",
        "--timezone",
        "Europe/London",
    )
    assert run.exit_code == 0, run.output
    for args in (
        ["add", str(tmp_path / "home" / "note.txt")],
        ["add", "--sensitive", "--source", SOURCE, "--note", NOTE, str(src / PHOTO)],
        ["add", "--sensitive", str(src / COPY)],
        ["add", str(tmp_path / "home" / MAIL)],
    ):
        run = evkit("-C", str(root), *args)
        assert run.exit_code == 0, run.output
    items = {
        i["original"]["name"]: i["id"]
        for i in json.loads(evkit("-C", str(root), "list", "--json").stdout)
    }
    return {"root": root, "ids": items, "tmp": tmp_path}


def _export(evkit: Callable[..., Run], root: Path, dest: Path, *extra: str) -> Run:
    run = evkit("-C", str(root), "export", "--to", str(dest), "--recipient", "DC Sam Patel", *extra)
    assert run.exit_code == 0, run.output
    return run


def _unzip(zip_path: Path, dest: Path) -> Path:
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)
    (bag,) = [p for p in dest.iterdir() if p.is_dir()]
    return bag


def _all_text(bag: Path) -> str:
    """Every file of the unpacked package as text, PDFs as pdftotext sees them."""
    parts = []
    for path in sorted(bag.rglob("*")):
        if not path.is_file():
            continue
        parts.append(path.relative_to(bag).as_posix())
        parts.append(path.read_bytes().decode("utf-8", "replace"))
        if path.suffix == ".pdf" and shutil.which("pdftotext"):
            parts.append(
                subprocess.run(
                    ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
                ).stdout
            )
    return "\n".join(parts)


def test_defect_7_withheld_items_leak_no_name_path_gps_subject_or_sender(
    evkit: Callable[..., Run], private_case: dict[str, Any]
) -> None:
    root, ids, tmp = private_case["root"], private_case["ids"], private_case["tmp"]
    mail_id, photo_id = ids[MAIL], ids[PHOTO]
    run = evkit("-C", str(root), "mark", mail_id, "--sensitive", "--reason", REASON)
    assert run.exit_code == 0, run.output
    assert evkit("-C", str(root), "report").exit_code == 0
    # The sensitive photo is stored under its ID and type only.
    assert (root / "data" / f"{photo_id}.jpg").is_file()
    assert not any("secret" in p.name for p in (root / "data").iterdir())

    zip_path = tmp / "out" / "handover.zip"
    zip_path.parent.mkdir()
    _export(evkit, root, zip_path)
    bag = _unzip(zip_path, tmp / "unzipped")
    text = _all_text(bag)
    for secret in SECRETS + (SOURCE, NOTE, SUBJECT, SENDER, MAIL):
        assert secret not in text, secret
    # What the package does say of them: ID, SHA-256, size, type and the reason.
    withheld = json.loads((bag / "evkit/withheld.json").read_bytes())
    shown = {w["id"]: w for w in withheld["items"]}
    assert set(shown) >= {photo_id, mail_id}
    assert (
        shown[photo_id]["sha256"]
        == hashlib.sha256((root / "data" / f"{photo_id}.jpg").read_bytes()).hexdigest()
    )
    assert set(shown[mail_id]) == {"id", "sha256", "size", "mime", "reason"}

    # It still verifies: evkit (zip and folder), sha256sum, bagit, openssl.
    for target in (zip_path, bag):
        run = evkit("verify", str(target))
        assert run.exit_code == 0, run.output
    check_with_external_tools(bag)  # bagit, sha256sum -c (both manifests), openssl

    # The full records can be disclosed later: each one's line hashes to the salted
    # commitment the signed log in the package carries.
    bound = {
        e["id"]: e["record"]
        for line in (bag / "evkit/custody.jsonl").read_bytes().splitlines()
        for e in json.loads(line)["data"].get("items") or []
    }
    case_lines = (root / "evkit/items.jsonl").read_bytes().splitlines()
    latest = {
        json.loads(ln)["id"]: ln
        for ln in case_lines
        if json.loads(ln).get("type") == "evkit/item/v1"
    }
    for item_id in (photo_id, mail_id):
        disclosed = latest[item_id]
        assert bound[item_id] == "sha256:" + hashlib.sha256(disclosed).hexdigest()
        assert len(json.loads(disclosed)["salt"]) == 32

    # Asked for, the sensitive items travel whole.
    full = tmp / "out" / "full.zip"
    _export(evkit, root, full, "--include-sensitive")
    full_text = _all_text(_unzip(full, tmp / "full"))
    assert PHOTO in full_text and SUBJECT in full_text
    assert evkit("verify", str(full)).exit_code == 0


def test_defect_7_report_made_before_marking_is_left_out(
    evkit: Callable[..., Run], private_case: dict[str, Any]
) -> None:
    root, ids, tmp = private_case["root"], private_case["ids"], private_case["tmp"]
    assert evkit("-C", str(root), "report").exit_code == 0  # shows the e-mail by name
    assert evkit("-C", str(root), "mark", ids[MAIL], "--sensitive").exit_code == 0
    zip_path = tmp / "stale.zip"
    run = _export(evkit, root, zip_path)
    assert "left out of this package" in run.stdout and "evkit report" in run.stdout
    bag = _unzip(zip_path, tmp / "unzipped")
    assert not (bag / "evkit/report").exists()
    text = _all_text(bag)
    for secret in (SUBJECT, SENDER, MAIL):
        assert secret not in text, secret
    assert evkit("verify", str(zip_path)).exit_code == 0
    bagit.Bag(str(bag)).validate()
    # A report made after the marking is safe, and travels.
    assert evkit("-C", str(root), "report").exit_code == 0
    again = tmp / "again.zip"
    run = _export(evkit, root, again)
    assert "left out" not in run.stdout
    assert (_unzip(again, tmp / "again") / "evkit/report/index.html").is_file()


def test_defect_7_package_that_drops_a_record_it_must_keep_is_changed(
    evkit: Callable[..., Run], private_case: dict[str, Any]
) -> None:
    """Leaving out records is allowed only for the items the package lists as withheld."""
    root, ids, tmp = private_case["root"], private_case["ids"], private_case["tmp"]
    zip_path = tmp / "p.zip"
    _export(evkit, root, zip_path)
    bag = _unzip(zip_path, tmp / "unzipped")
    items = bag / "evkit/items.jsonl"
    kept = [
        ln for ln in items.read_bytes().splitlines() if json.loads(ln).get("id") != ids["note.txt"]
    ]
    items.write_bytes(b"".join(ln + b"\n" for ln in kept))
    run = evkit("verify", "--json", str(bag))
    assert run.exit_code == 1
    codes = {f["code"] for f in json.loads(run.stdout)["findings"]}
    assert "items.missing" in codes


def test_defect_7_duplicate_records_are_bound_and_shown_in_the_log(
    evkit: Callable[..., Run], private_case: dict[str, Any]
) -> None:
    root, ids = private_case["root"], private_case["ids"]
    events = json.loads(evkit("-C", str(root), "log", "--json").stdout)
    (dup,) = [d for e in events for d in e["data"].get("duplicates") or []]
    assert dup["same_as"] == ids[PHOTO] and dup["original_path"].endswith(COPY)
    on_disk = (root / "evkit/custody.jsonl").read_text()
    assert COPY not in on_disk and FOLDER not in on_disk and SOURCE not in on_disk
    # Editing the duplicate's record is found.
    items = root / "evkit/items.jsonl"
    items.write_bytes(items.read_bytes().replace(COPY.encode(), b"copy-of-other-QZX.jpg"))
    run = evkit("verify", "--json", str(root))
    assert run.exit_code == 1
    codes = {f["code"] for f in json.loads(run.stdout)["findings"]}
    assert {"items.unbound", "items.missing"} <= codes


def test_defect_7_marking_an_email_sensitive_withholds_its_attachments(
    evkit: Callable[..., Run], tmp_path: Path
) -> None:
    from conftest import SAMPLES

    root = tmp_path / "case"
    assert (
        evkit(
            "init",
            str(root),
            "--title",
            "T",
            "--collector",
            "Jane Doe",
            "--email",
            "jane@example.org",
            "--timezone",
            "UTC",
        ).exit_code
        == 0
    )
    assert evkit("-C", str(root), "add", str(SAMPLES / "scam-email.eml")).exit_code == 0
    listed = json.loads(evkit("-C", str(root), "list", "--json").stdout)
    (mail,) = [i["id"] for i in listed if not i.get("parent")]
    children = [i["id"] for i in listed if (i.get("parent") or {}).get("id") == mail]
    assert children, "the sample e-mail has an attachment"
    run = evkit("-C", str(root), "mark", mail, "--sensitive")
    assert run.exit_code == 0 and "marked sensitive too" in run.stdout, run.output
    now = {i["id"]: i for i in json.loads(evkit("-C", str(root), "list", "--json").stdout)}
    assert all(now[c]["sensitive"] for c in [mail, *children])
    # Their stored copies are renamed to their ID and type: the bytes are untouched.
    assert now[mail]["stored"] == f"data/{mail}.eml"
    assert sorted(p.name for p in (root / "data").iterdir()) == sorted(
        now[i]["stored"].removeprefix("data/") for i in now
    )
    assert evkit("verify", str(root)).exit_code == 0
    zip_path = tmp_path / "h.zip"
    _export(evkit, root, zip_path)
    text = _all_text(_unzip(zip_path, tmp_path / "u"))
    for secret in ("invoice.pdf", "mark.williams.oilrig", "customs"):
        assert secret not in text, secret
    assert evkit("verify", str(zip_path)).exit_code == 0
