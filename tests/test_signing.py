"""Public keys read from a case: the fast reader of evkit's own PEM agrees with cryptography's."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from evidence_kit.store.signing import PublicKey, Signer


def test_evkit_pem_reads_as_cryptography_reads_it() -> None:
    signer = Signer(Ed25519PrivateKey.generate())
    for pem in (signer.public.pem, signer.public.pem.replace(b"\n", b"\r\n")):
        key = PublicKey.from_pem(pem)
        assert key.raw == signer.public.raw and key.key_id == signer.key_id
        assert key.verify(signer.sign(b"message"), b"message")


def test_other_keys_and_damage_are_refused() -> None:
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValueError):
        PublicKey.from_pem(ec_pem)
    good = Signer(Ed25519PrivateKey.generate()).public.pem
    lines = good.splitlines()
    damaged = b"\n".join([lines[0], lines[1][:-4] + b"!!!!", lines[2]])
    with pytest.raises(ValueError):
        PublicKey.from_pem(damaged)
