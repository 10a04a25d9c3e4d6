"""Ed25519 signatures over model files: the service signs what passed its gate, devices verify.

What is signed is the file's SHA-256 and size under a fixed context string, so a signature cannot be
reused for anything but that exact file. Devices hold the public keys they trust (provisioned, not
fetched): a file whose signature no trusted key verifies is never loaded.
Needs `cryptography` (in the edge and service extras).
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

CONTEXT = b"zerowaste-model-v1"


class SignatureError(ValueError):
    """The file is unsigned, or no trusted key made its signature."""


def message(sha256: str, size: int) -> bytes:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a lowercase hex sha256: {sha256!r}")
    return b"%s\n%s\n%d" % (CONTEXT, sha256.encode(), size)


def public_key_text(key: Ed25519PublicKey) -> str:
    """The raw 32-byte key in base64: short enough for a config file line."""
    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def key_id(public: str) -> str:
    return hashlib.sha256(base64.b64decode(public)).hexdigest()[:16]


def load_public(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip(), validate=True))
    except ValueError as exc:
        raise ValueError(f"not a base64 Ed25519 public key: {text[:20]!r}…") from exc


def generate_private_key(path: Path) -> Ed25519PrivateKey:
    """A new key written as PKCS#8 PEM, readable by its owner only; never overwrites one."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole beside it, then linked into place: a process starting at the same moment either
    # finds no key or a complete one (it used to read the half-written file and fail to start), and the
    # link, unlike a rename, never replaces a key another process made first (FileExistsError).
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:  # mkstemp makes it 0600
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return key


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} holds no Ed25519 private key")
    return key


def sign(key: Ed25519PrivateKey, sha256: str, size: int) -> str:
    return base64.b64encode(key.sign(message(sha256, size))).decode()


def verify(trusted: Iterable[str], sha256: str, size: int, signature: str | None) -> str:
    """The id of the trusted key that made `signature` over (sha256, size); SignatureError otherwise."""
    if not signature:
        raise SignatureError("the model is unsigned")
    try:
        raw = base64.b64decode(signature, validate=True)
    except ValueError as exc:
        raise SignatureError("the signature is not base64") from exc
    msg = message(sha256, size)
    keys = list(trusted)
    if not keys:
        raise SignatureError("no trusted public key configured")
    for public in keys:
        try:
            load_public(public).verify(raw, msg)
        except InvalidSignature:
            continue
        return key_id(public)
    raise SignatureError("no trusted key verifies the signature")
