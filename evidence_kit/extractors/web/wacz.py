"""WACZ: a zip holding WARCs, ``pages/pages.jsonl``, ``datapackage.json`` and maybe a signature.

``datapackage.json`` lists every file of the package with its SHA-256; each is re-hashed here.
``datapackage-digest.json`` states the digest of ``datapackage.json`` (re-checked) and, when the
archive was signed (Browsertrix/authsign), a ``signedData`` block: it is reported as stated
(signing domain or key, time, software, certificate subject and validity), not re-verified.
The WARCs inside are read like any WARC; the pages list gives each page's URL, title and
capture time as the archiving tool stated them. Nothing is unpacked to disk.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from evidence_kit.extractors.interface import ExtractContext, Extraction
from evidence_kit.extractors.web.common import MAX_PAGES, MAX_RESOURCES, err
from evidence_kit.extractors.web.pages import Pages
from evidence_kit.extractors.web.warc import WarcState, add_fallback_pages, read_archive

_MAX_ENTRIES = 100_000
_MAX_JSON = 4 * 1024 * 1024
#: Members that expand more than this ratio (and past 16 MiB) are not read: a zip bomb.
_MAX_RATIO = 200
_READ = 1 << 16


def _too_expanded(info: zipfile.ZipInfo) -> bool:
    return info.file_size > 16 * 1024 * 1024 and info.file_size > _MAX_RATIO * max(
        info.compress_size, 1
    )


def _json(zf: zipfile.ZipFile, name: str, result: Extraction) -> Any:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _MAX_JSON:
        result.errors.append(f"{name} is too large to read ({info.file_size} bytes)")
        return None
    try:
        return json.loads(zf.read(info).decode("utf-8", "replace"))
    except (ValueError, zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        result.errors.append(err(f"{name} could not be read", exc))
        return None


def _sha256_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    h = hashlib.sha256()
    with zf.open(info) as fh:
        while chunk := fh.read(_READ):
            h.update(chunk)
    return h.hexdigest()


def _stated_hash(res: dict[str, Any]) -> tuple[str | None, str | None]:
    """(algorithm, hex) of a resource's stated hash: WACZ 1.1 ``hash`` or 1.0 ``stats``."""
    value = res.get("hash")
    stats = res.get("stats") if isinstance(res.get("stats"), dict) else {}
    if not isinstance(value, str):
        value = stats.get("hash") if isinstance(stats, dict) else None
        if isinstance(value, str) and ":" not in value:
            value = f"{res.get('hashing') or 'sha256'}:{value}"
    if not isinstance(value, str) or ":" not in value:
        return None, None
    algo, _, hexval = value.partition(":")
    return algo.strip().lower(), hexval.strip().lower()


def _check_resources(zf: zipfile.ZipFile, package: Any, result: Extraction) -> dict[str, Any]:
    resources = package.get("resources") if isinstance(package, dict) else None
    out: list[dict[str, Any]] = []
    mismatches = 0
    for res in resources if isinstance(resources, list) else []:
        if not isinstance(res, dict) or len(out) >= MAX_RESOURCES:
            continue
        path = str(res.get("path") or "")[:1000]
        algo, stated = _stated_hash(res)
        entry: dict[str, Any] = {"path": path, "stated": f"{algo}:{stated}" if stated else None}
        try:
            info = zf.getinfo(path)
        except KeyError:
            entry["check"] = "MISSING from the package"
            mismatches += 1
            result.errors.append(f"WACZ: {path} is listed in datapackage.json but not present")
            out.append(entry)
            continue
        if algo not in ("sha256", None) or stated is None:
            entry["check"] = "not checked (no SHA-256 stated)"
        elif _too_expanded(info):
            entry["check"] = "not checked (expands too much to read safely)"
        else:
            actual = _sha256_member(zf, info)
            ok = actual == stated
            entry["check"] = "matches" if ok else "MISMATCH"
            if not ok:
                mismatches += 1
                entry["computed"] = f"sha256:{actual}"
                result.errors.append(
                    f"digest mismatch: {path} does not match the SHA-256 datapackage.json "
                    "states for it; it changed after the package was made"
                )
        out.append(entry)
    return {"resources": out, "mismatches": mismatches}


def _signature(zf: zipfile.ZipFile, package_raw: bytes | None, result: Extraction) -> Any:
    digest = _json(zf, "datapackage-digest.json", result)
    if not isinstance(digest, dict):
        return None
    stated = str(digest.get("hash") or "")
    out: dict[str, Any] = {"path": digest.get("path"), "stated": stated[:200] or None}
    if package_raw is not None and stated.startswith("sha256:"):
        ok = hashlib.sha256(package_raw).hexdigest() == stated[7:].strip().lower()
        out["check"] = "matches" if ok else "MISMATCH"
        if not ok:
            result.errors.append(
                "digest mismatch: datapackage.json does not match the digest stated in "
                "datapackage-digest.json; the package list changed after it was made"
            )
    signed = digest.get("signedData")
    if isinstance(signed, dict):
        info: dict[str, Any] = {
            k: str(signed[k])[:500]
            for k in ("created", "software", "domain", "hash")
            if signed.get(k) is not None
        }
        info["has_signature"] = bool(signed.get("signature"))
        info["has_public_key"] = bool(signed.get("publicKey"))
        cert = signed.get("domainCert")
        if isinstance(cert, str) and cert.strip():
            info["certificate"] = _cert_facts(cert)
            info["certificate_chain"] = _chain(cert)
        if signed.get("hash") and stated and signed.get("hash") != stated:
            result.errors.append(
                "the signed hash in datapackage-digest.json differs from its stated hash"
            )
        info["signature_matches_key"] = _signature_matches(signed)
        if info["signature_matches_key"] is False:
            result.errors.append(
                "the WACZ signature does not match the key or certificate it names: the "
                "package list changed after signing, or the signature is not genuine"
            )
        info["chain_trust_checked"] = False
        info["note"] = (
            "signature block reported as stated; evkit checked only that the signature over "
            "the stated hash matches the stated key or certificate, not whether that "
            "certificate is trusted (its chain, revocation or the trusted timestamp)"
        )
        out["signed"] = info
    return out


def _signature_matches(signed: dict[str, Any]) -> bool | None:
    """Whether ``signature`` over the UTF-8 ``hash`` string checks with the stated key.

    WACZ signing (specs.webrecorder.net/wacz-auth): ECDSA with SHA-256, by the key of
    ``domainCert`` (DER signature), or by an anonymous ``publicKey`` (SPKI, P-384, signature as
    raw r||s from WebCrypto). None if it could not be checked.
    """
    import base64

    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    try:
        sig = base64.b64decode(str(signed.get("signature") or ""), validate=False)
        data = str(signed.get("hash") or "").encode("utf-8")
        cert = signed.get("domainCert")
        key: Any
        if isinstance(cert, str) and cert.strip() and not signed.get("publicKey"):
            key = x509.load_pem_x509_certificates(cert.encode("ascii", "replace"))[0].public_key()
        else:
            key = serialization.load_der_public_key(base64.b64decode(str(signed["publicKey"])))
        if not isinstance(key, ec.EllipticCurvePublicKey) or not sig or not data:
            return None
        forms = [sig]
        if len(sig) % 2 == 0 and not sig.startswith(b"\x30"):
            half = len(sig) // 2
            r, s_ = int.from_bytes(sig[:half], "big"), int.from_bytes(sig[half:], "big")
            forms.append(utils.encode_dss_signature(r, s_))
        for form in forms:
            try:
                key.verify(form, data, ec.ECDSA(hashes.SHA256()))
            except (InvalidSignature, ValueError):
                continue
            return True
        return False
    except (ValueError, TypeError, KeyError, IndexError):
        return None


def _chain(pem: str) -> list[dict[str, str]]:
    """Subject and issuer of every certificate in the stated chain, as written."""
    from cryptography import x509

    try:
        certs = x509.load_pem_x509_certificates(pem.encode("ascii", "replace"))
    except ValueError:
        return []
    return [
        {"subject": c.subject.rfc4514_string()[:500], "issuer": c.issuer.rfc4514_string()[:500]}
        for c in certs[:10]
    ]


def _cert_facts(pem: str) -> dict[str, Any]:
    """Subject, issuer and validity of the first certificate in ``pem``, as written."""
    from cryptography import x509

    try:
        first = pem.split("-----END CERTIFICATE-----", 1)[0] + "-----END CERTIFICATE-----\n"
        cert = x509.load_pem_x509_certificate(first.encode("ascii", "replace"))
        return {
            "subject": cert.subject.rfc4514_string()[:500],
            "issuer": cert.issuer.rfc4514_string()[:500],
            "not_before": cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "not_after": cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    except (ValueError, TypeError) as exc:
        return {"error": f"the certificate could not be read ({type(exc).__name__})"}


def _pages_list(zf: zipfile.ZipFile, result: Extraction) -> list[dict[str, Any]]:
    names = [n for n in zf.namelist() if n.startswith("pages/") and n.endswith(".jsonl")]
    out: list[dict[str, Any]] = []
    for name in names[:10]:
        info = zf.getinfo(name)
        if _too_expanded(info):
            continue
        with zf.open(info) as fh:
            for n, raw in enumerate(fh):
                if n > 100_000 or len(out) >= MAX_PAGES:
                    break
                try:
                    obj = json.loads(raw[:100_000].decode("utf-8", "replace"))
                except ValueError:
                    continue
                if isinstance(obj, dict) and "url" in obj:
                    out.append(
                        {
                            "url": str(obj.get("url"))[:4000],
                            "title": str(obj["title"])[:1000] if obj.get("title") else None,
                            "ts": str(obj["ts"])[:100] if obj.get("ts") else None,
                            "list": name,
                        }
                    )
    return out


def extract_wacz(path: Path, ctx: ExtractContext, result: Extraction) -> None:
    """Read a WACZ package into ``result``."""
    md = result.metadata
    md["format"] = "wacz"
    pages = Pages(result)
    state = WarcState(result, pages)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        result.errors.append(err("the file is not a readable zip (WACZ) package", exc))
        pages.finish()
        return
    with zf:
        infos = zf.infolist()
        if len(infos) > _MAX_ENTRIES:
            result.errors.append(f"the package holds {len(infos)} files; it was not read")
            pages.finish()
            return
        package_raw: bytes | None = None
        try:
            pinfo = zf.getinfo("datapackage.json")
            if pinfo.file_size <= _MAX_JSON:
                package_raw = zf.read(pinfo)
        except KeyError:
            result.errors.append("the package has no datapackage.json: not a complete WACZ")
        package: Any = None
        if package_raw is not None:
            try:
                package = json.loads(package_raw.decode("utf-8", "replace"))
            except ValueError as exc:
                result.errors.append(err("datapackage.json could not be read", exc))
        wacz: dict[str, Any] = {
            "files": len(infos),
            "wacz_version": package.get("wacz_version") if isinstance(package, dict) else None,
            "title": (package.get("title") or (package.get("metadata") or {}).get("title"))
            if isinstance(package, dict) and isinstance(package.get("metadata") or {}, dict)
            else None,
            "software": package.get("software") if isinstance(package, dict) else None,
            "created": package.get("created") if isinstance(package, dict) else None,
        }
        wacz.update(_check_resources(zf, package, result))
        wacz["digest_file"] = _signature(zf, package_raw, result)
        listed = _pages_list(zf, result)
        wacz["pages_list"] = listed
        if not listed:
            result.errors.append("the package lists no pages (pages/pages.jsonl)")
        md["wacz"] = wacz
        archives = [i for i in infos if i.filename.startswith("archive/") and not i.is_dir()]
        if not archives:
            result.errors.append("the package holds no web archive (archive/*.warc)")
        for info in archives[:100]:
            if _too_expanded(info):
                result.errors.append(f"{info.filename} expands too much to read safely")
                continue
            try:
                with zf.open(info) as fh:
                    read_archive(fh, state, info.filename)
            except Exception as exc:  # warcio's own errors, a damaged member: say which
                result.errors.append(err(f"{info.filename} could not be read to its end", exc))
    state.finish()
    if not listed:
        add_fallback_pages(state)
    for entry in listed:
        if not any(p.get("url") == entry["url"] for p in pages.pages):
            pages.add_other(
                {
                    "role": "page",
                    "url": entry["url"],
                    "url_source": "WACZ pages list",
                    "title": entry["title"],
                    "_claimed_raw": entry["ts"],
                    "_claimed_source": "WACZ pages list ts",
                }
            )
        else:
            for p in pages.pages:
                if p.get("url") == entry["url"] and not p.get("title") and entry["title"]:
                    p["title"] = entry["title"]
                    p["title_source"] = "WACZ pages list"
    pages.finish()
    del ctx
