"""Calendar passwords, encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256).

The keys come from ``settings.SLOTWISE_ENCRYPTION_KEY`` (environment variable of the same
name): a comma-separated list. The first key encrypts; every key decrypts, so a key can be
rotated without downtime (put the new key first, run ``manage.py rotate_encryption_key``,
then drop the old one). A key is either a Fernet key (``Fernet.generate_key()``, 44
characters) or any passphrase, which is stretched into one with SHA-256. When the setting is
empty the key is derived from ``SECRET_KEY`` (changing ``SECRET_KEY`` then makes the stored
passwords unreadable: the connections show an error until the password is entered again).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class UnreadableSecret(Exception):
    """No configured key opens the stored secret (the key was changed or removed)."""


def _fernet_key(text: str) -> bytes:
    raw = text.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32 and len(raw) == 44:
            return raw
    except (binascii.Error, ValueError):
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(b"slotwise-encryption:" + raw).digest())


def configured_keys() -> list[bytes]:
    """The Fernet keys in order: the first encrypts, all decrypt."""
    listed = [
        k for k in str(getattr(settings, "SLOTWISE_ENCRYPTION_KEY", "")).split(",") if k.strip()
    ]
    if not listed:
        listed = [f"derived-from-secret-key:{settings.SECRET_KEY}"]
    return [_fernet_key(k) for k in listed]


def _box() -> MultiFernet:
    return MultiFernet([Fernet(k) for k in configured_keys()])


def encrypt(secret: str) -> str:
    """``secret`` encrypted with the first key, as text for a database column."""
    return _box().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    """The secret in ``token``; raises UnreadableSecret when no key opens it."""
    try:
        return _box().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise UnreadableSecret(
            "The stored password cannot be read with the configured encryption keys."
        ) from None


def reencrypt(token: str) -> str:
    """``token`` encrypted again with the first key (for key rotation)."""
    try:
        return _box().rotate(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise UnreadableSecret(
            "The stored password cannot be read with the configured encryption keys."
        ) from None
