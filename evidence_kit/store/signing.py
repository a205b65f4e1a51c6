"""Ed25519 keys: the collector's key store, signing, verification and key IDs.

The private key lives only in the user's key store (``EVKIT_HOME`` or the platform data dir),
mode 0600, optionally encrypted with a passphrase. A case holds only the public key. A key ID is
``sha256:<hex>`` of the raw 32-byte public key; the fingerprint shown to people is the same hex
in groups of four, so it can be read aloud and written on a custody form.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from evidence_kit.errors import KeyUnavailableError, StorageError
from evidence_kit.models import digest

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

#: Called when the key is encrypted and EVKIT_PASSPHRASE is unset; returns None if it can't ask.
PassphraseCallback = Callable[[str], "str | None"]

PRIVATE_NAME = "collector.key"
PUBLIC_NAME = "collector.pub.pem"


def key_home() -> Path:
    """The key store folder: ``$EVKIT_HOME`` or the platform's per-user data folder."""
    env = os.environ.get("EVKIT_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("evkit", appauthor=False))


def key_id_of_raw(raw: bytes) -> str:
    return digest(hashlib.sha256(raw).hexdigest())


def fingerprint(key_id: str) -> str:
    """``sha256:abcd...`` -> ``ABCD 1234 ...`` (first 128 bits, grouped for reading aloud)."""
    hexpart = key_id.split(":", 1)[-1][:32].upper()
    return " ".join(hexpart[i : i + 4] for i in range(0, len(hexpart), 4))


@dataclass(frozen=True)
class PublicKey:
    """A collector's Ed25519 public key as stored in a case (PEM SubjectPublicKeyInfo)."""

    pem: bytes
    raw: bytes

    @property
    def key_id(self) -> str:
        return key_id_of_raw(self.raw)

    @classmethod
    def from_pem(cls, pem: bytes) -> PublicKey:
        raw = _ed25519_spki_raw(pem)
        if raw is not None:  # the one form evkit writes: no need to load the PEM machinery
            return cls(pem=pem, raw=raw)
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        key = serialization.load_pem_public_key(pem)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cls(pem=pem, raw=raw)

    def _key(self) -> Ed25519PublicKey:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        return Ed25519PublicKey.from_public_bytes(self.raw)

    def verify(self, signature: bytes, message: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature

        try:
            self._key().verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def verifier(self) -> Callable[[bytes, bytes], bool]:
        """A fast repeated verifier (loads the key once)."""
        from cryptography.exceptions import InvalidSignature

        key = self._key()

        def check(signature: bytes, message: bytes) -> bool:
            try:
                key.verify(signature, message)
            except InvalidSignature:
                return False
            return True

        return check


#: DER SubjectPublicKeyInfo of an Ed25519 key (RFC 8410), before its 32 raw bytes.
_ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def _ed25519_spki_raw(pem: bytes) -> bytes | None:
    """The raw key of a plain single-block Ed25519 ``PUBLIC KEY`` PEM, or None for anything else
    (which then goes to cryptography's full PEM loader)."""
    lines = pem.strip().splitlines()
    if (
        len(lines) < 3
        or lines[0].strip() != b"-----BEGIN PUBLIC KEY-----"
        or lines[-1].strip() != b"-----END PUBLIC KEY-----"
    ):
        return None
    try:
        der = base64.b64decode(b"".join(ln.strip() for ln in lines[1:-1]), validate=True)
    except ValueError:
        return None
    if len(der) != 44 or not der.startswith(_ED25519_SPKI_PREFIX):
        return None
    return der[12:]


class Signer:
    """Signs with the collector's private key."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        from cryptography.hazmat.primitives import serialization

        self._private = private
        pub = private.public_key()
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        pem = pub.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public = PublicKey(pem=pem, raw=raw)

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def sign_b64(self, message: bytes) -> str:
        return base64.b64encode(self.sign(message)).decode("ascii")


@dataclass(frozen=True)
class KeyInfo:
    home: Path
    key_id: str
    encrypted: bool
    created: bool  # True if this call created the key


def _paths(home: Path) -> tuple[Path, Path]:
    return home / "keys" / PRIVATE_NAME, home / "keys" / PUBLIC_NAME


def key_exists(home: Path | None = None) -> bool:
    return _paths(home or key_home())[0].exists()


def create_key(passphrase: str | None, home: Path | None = None) -> KeyInfo:
    """Create the collector's key pair (refuses to overwrite an existing one)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    home = home or key_home()
    priv_path, pub_path = _paths(home)
    if priv_path.exists():
        raise KeyUnavailableError(
            f"A key already exists at {priv_path}; evkit will not replace it."
        )
    private = Ed25519PrivateKey.generate()
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
        if passphrase
        else serialization.NoEncryption()
    )
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    signer = Signer(private)
    try:
        priv_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(priv_path.parent, 0o700)
        fd = os.open(priv_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(priv_path, 0o600)
        pub_path.write_bytes(signer.public.pem)
    except OSError as exc:
        raise StorageError(
            f"Could not create your signing key in {priv_path.parent}: {exc.strerror or exc}."
        ) from exc
    return KeyInfo(home=home, key_id=signer.key_id, encrypted=bool(passphrase), created=True)


def load_public(home: Path | None = None) -> PublicKey:
    """The collector's public key (no passphrase needed)."""
    home = home or key_home()
    priv_path, pub_path = _paths(home)
    if not pub_path.exists():
        raise KeyUnavailableError(
            f"No evkit signing key was found in {home}.",
            hint="Run 'evkit init' to create a case (it creates your key), or set EVKIT_HOME.",
        )
    try:
        return PublicKey.from_pem(pub_path.read_bytes())
    except (OSError, ValueError) as exc:
        raise KeyUnavailableError(f"Your public key at {pub_path} cannot be read: {exc}.") from exc


def load_signer(ask: PassphraseCallback | None = None, home: Path | None = None) -> Signer:
    """Load the private key, asking for the passphrase only if the key is encrypted."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    home = home or key_home()
    priv_path, _ = _paths(home)
    try:
        pem = priv_path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyUnavailableError(
            f"No evkit signing key was found in {home}.",
            hint="Run 'evkit init' to create one, or set EVKIT_HOME to where your key is.",
        ) from exc
    except OSError as exc:
        raise KeyUnavailableError(
            f"Your signing key at {priv_path} cannot be read: {exc.strerror or exc}."
        ) from exc
    encrypted = b"ENCRYPTED" in pem.split(b"\n", 1)[0]
    password: bytes | None = None
    if encrypted:
        phrase = os.environ.get("EVKIT_PASSPHRASE")
        if phrase is None and ask is not None:
            phrase = ask("Passphrase for your evkit signing key")
        if phrase is None:
            raise KeyUnavailableError(
                "Your signing key is protected by a passphrase and none was given.",
                hint="Run the command in a terminal to be asked, or set EVKIT_PASSPHRASE.",
            )
        password = phrase.encode("utf-8")
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except (ValueError, TypeError) as exc:
        message = (
            "The passphrase for your signing key is not right."
            if encrypted
            else f"Your signing key cannot be read: {exc}."
        )
        raise KeyUnavailableError(message) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyUnavailableError(f"{priv_path} is not an Ed25519 key.")
    return Signer(key)
