"""Who sent a package: one Ed25519 key pair per installation, partners' public keys registered.

The manifest's SHA-256 list shows a file was not damaged, not who wrote it: whoever alters a
file can re-hash it and write a new manifest. So the sender signs the manifest with its
installation's private key, and a recipient accepts a package only when the signature
verifies under a public key it registered for that partner (`maxim share key add PARTNER
FILE`), exchanged out of band and checked by its key id, as one would an SSH host key.

The private key lives in a file beside the data (`MAXIM_SIGNING_KEY`, default
`<data dir>/package-signing.key`, created with mode 0600 by `maxim init` or the first package),
never in the database: a database backup or a reader of the tables cannot sign as this
installation. The key id is the first 32 hex digits of the SHA-256 of the raw public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"
KEY_ID_PREFIX = "ed25519:"


class SigningKeyError(ValueError):
    """The installation's key file, or a partner's public key file, cannot be used; says why."""


def public_pem(public: Ed25519PublicKey) -> str:
    """The standard text form of a public key (SubjectPublicKeyInfo PEM, as `openssl pkey -pubout` writes)."""
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem.decode("ascii")


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return KEY_ID_PREFIX + hashlib.sha256(raw).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The installation's private key; signs manifests and gives out its public half."""

    private: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return key_id(self.private.public_key())

    def public_pem(self) -> str:
        return public_pem(self.private.public_key())

    def sign(self, message: bytes) -> str:
        """The signature of `message`, base64 (it travels in JSON)."""
        return base64.b64encode(self.private.sign(message)).decode("ascii")


def generate() -> SigningKey:
    return SigningKey(Ed25519PrivateKey.generate())


def _load(path: Path) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise SigningKeyError(f"MAXIM_SIGNING_KEY {path}: cannot be read ({exc.strerror})") from exc
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"MAXIM_SIGNING_KEY {path}: not an unencrypted PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"MAXIM_SIGNING_KEY {path}: not an Ed25519 key")
    return SigningKey(key)


def installation_key(path: Path) -> SigningKey:
    """The installation's key from `path`, created there (mode 0600) the first time.

    Two processes creating it at once (API workers) both end with the same key: each writes a
    private temporary file and links it into place; whoever loses the race reads the winner's.
    """
    if path.exists():
        return _load(path)
    key = generate()
    pem = key.private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(handle, pem)
            os.fsync(handle)
        finally:
            os.close(handle)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _load(path)
        finally:
            temporary.unlink()
    except OSError as exc:
        raise SigningKeyError(f"MAXIM_SIGNING_KEY {path}: cannot be created ({exc.strerror})") from exc
    return key


def public_key(pem: bytes, source: str) -> Ed25519PublicKey:
    """A partner's public key from its PEM file, or `SigningKeyError` naming the file."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{source}: not a PEM public key (`maxim share key export` writes one)") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{source}: not an Ed25519 public key")
    return key


def verifies(public_pem: str, message: bytes, signature: str) -> bool:
    """True when `signature` (base64) is the signature of `message` under the PEM public key."""
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key(public_pem.encode("ascii"), "registered key").verify(raw, message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
