"""Encryption of sensitive column values with keys kept outside the database.

A value is stored as a self-describing token::

    enc:v1:<key id>:<algorithm>:<base64 of nonce + ciphertext + tag>

so that a database holding values written under several keys (during a rotation) or under another
cipher (after switching to SM4) can still be read, as long as the key ring holds every key id in use.

Algorithms:

- ``aes-gcm``: AES-256-GCM, 96-bit random nonce, 128-bit tag (the default).
- ``sm4-gcm``: SM4-GCM (GB/T 32907) when the installed OpenSSL offers it.
- ``sm4-cbc-sm3``: SM4-CBC with a random IV, then HMAC-SM3 over header, IV and ciphertext
  (encrypt-then-MAC), for OpenSSL builds without SM4-GCM.

The associated data of every algorithm is the token header plus the column's ``table.column``: a value
copied into another column, or a header edited to claim another key or algorithm, fails to decrypt
instead of being read in the wrong place.

The key ring comes from ``LUOSHI_FIELD_KEYS`` (``id1:base64key,id2:base64key``, the first one encrypts,
the others only decrypt) or, when that is empty, from ``LUOSHI_FIELD_KEY_FILE`` (the same entries, one a
line, ``#`` starts a comment). The demo and test profiles create the file with one new key on first use;
the production profile refuses to start without keys (a system check) and never creates one.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core import checks
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _

from luoshi.core.errors import LuoshiError

PREFIX = "enc"
VERSION = "v1"
KEY_BYTES = 32  # AES-256; the SM4 keys are derived from the same 32 bytes (see _subkeys)
NONCE_BYTES = 12  # the 96-bit nonce GCM is designed for
TAG_BYTES = 16
SM4_BLOCK_BYTES = 16
SM3_MAC_BYTES = 32
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
ALGORITHMS = ("aes-gcm", "sm4-gcm", "sm4-cbc-sm3")
# The setting names the cipher family; the token names the exact construction used.
CIPHER_SETTINGS = ("aes-gcm", "sm4")


class FieldCryptoError(LuoshiError):
    """A stored value cannot be decrypted (wrong or missing key, altered value) or keys are misconfigured.

    Raised rather than returning an empty value, so that a lost key or a tampered row is noticed at once
    instead of silently blanking people's phone numbers.
    """

    code = "field_crypto"
    status = 500


@dataclass(frozen=True)
class KeyRing:
    """The keys by id; ``current_id`` encrypts new values, all of them decrypt."""

    current_id: str
    keys: dict[str, bytes]
    source: str

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


# --- Key ring ----------------------------------------------------------------------------------------


def parse_keys(text: str, *, source: str) -> KeyRing:
    """Read ``id:base64key`` entries separated by commas or new lines (``#`` comments allowed)."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    entries = [entry.strip() for line in text.splitlines() for entry in line.split("#", 1)[0].split(",")]
    for entry in filter(None, entries):
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not KEY_ID_PATTERN.match(key_id):
            raise FieldCryptoError(
                _(
                    "A field encryption key in %(source)s is not of the form id:base64key, with an id of "
                    "letters, digits, '-' or '_'."
                )
                % {"source": source}
            )
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            raise FieldCryptoError(
                _("The field encryption key %(id)s in %(source)s must be %(n)d bytes in base64.")
                % {"id": key_id, "source": source, "n": KEY_BYTES}
            )
        if key_id in keys:
            raise FieldCryptoError(
                _("The field encryption key id %(id)s appears twice in %(source)s.")
                % {"id": key_id, "source": source}
            )
        keys[key_id] = key
        order.append(key_id)
    if not order:
        raise FieldCryptoError(_("%(source)s holds no field encryption key.") % {"source": source})
    return KeyRing(current_id=order[0], keys=keys, source=source)


def new_key_entry(key_id: str | None = None) -> str:
    """A fresh ``id:base64key`` entry; the default id is the date plus a random suffix, so ids sort."""
    from django.utils import timezone

    if key_id is None:
        key_id = f"k{timezone.now():%Y%m%d}{secrets.token_hex(2)}"
    if not KEY_ID_PATTERN.match(key_id):
        raise FieldCryptoError(
            _("A key id may only hold letters, digits, '-' and '_' (at most 32 characters).")
        )
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_BYTES)).decode('ascii')}"


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when two processes start at once, the second keeps the first one's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(
            "# Luoshi field encryption keys: id:base64key, one a line; the first encrypts new values.\n"
            "# Losing this file makes encrypted values unreadable: back it up apart from the database.\n"
        )
        handle.write(new_key_entry() + "\n")


@lru_cache(maxsize=4)
def _load(configured: str, key_file: str, may_create: bool) -> KeyRing:
    if configured.strip():
        return parse_keys(configured, source="LUOSHI_FIELD_KEYS")
    path = Path(key_file)
    if not path.exists():
        if not may_create:
            raise FieldCryptoError(
                _(
                    "There are no field encryption keys: set LUOSHI_FIELD_KEYS, or create %(path)s with "
                    "`luoshi keys generate`."
                )
                % {"path": path}
            )
        _create_key_file(path)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise FieldCryptoError(
            _("The field key file %(path)s cannot be read: %(error)s") % {"path": path, "error": exc}
        ) from None
    return parse_keys(text, source=str(path))


def key_ring() -> KeyRing:
    """The configured key ring (read once per process; restart after editing the keys)."""
    return _load(
        settings.LUOSHI_FIELD_KEYS,
        str(settings.LUOSHI_FIELD_KEY_FILE),
        # Production never invents a key: a lost key file must stop the service, not start a new ring.
        not getattr(settings, "PRODUCTION", False),
    )


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("LUOSHI_FIELD_") or setting == "PRODUCTION":
        _load.cache_clear()


# --- Ciphers ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def sm4_gcm_available() -> bool:
    """Whether the linked OpenSSL implements SM4-GCM (OpenSSL 3 has it; some distributions leave it out)."""
    try:
        encryptor = Cipher(algorithms.SM4(bytes(16)), modes.GCM(bytes(NONCE_BYTES))).encryptor()
        encryptor.update(b"x")
        encryptor.finalize()
    except (UnsupportedAlgorithm, ValueError):
        return False
    return True


def configured_algorithm() -> str:
    """The exact construction new values are written with, from ``LUOSHI_FIELD_CIPHER``."""
    cipher = settings.LUOSHI_FIELD_CIPHER
    if cipher == "aes-gcm":
        return "aes-gcm"
    if cipher == "sm4":
        return "sm4-gcm" if sm4_gcm_available() else "sm4-cbc-sm3"
    raise FieldCryptoError(
        _("LUOSHI_FIELD_CIPHER must be aes-gcm or sm4, not %(value)s.") % {"value": cipher}
    )


@lru_cache(maxsize=64)
def _subkeys(key: bytes, algorithm: str) -> tuple[bytes, bytes]:
    """The encryption (and MAC) keys of one algorithm, derived from the master key with HKDF.

    AES-256-GCM uses the master key as it is. The SM4 constructions derive theirs with HKDF-SM3 under
    distinct labels, so that no two algorithms ever share a key.
    """
    if algorithm == "aes-gcm":
        return key, b""
    length = SM4_BLOCK_BYTES + (SM3_MAC_BYTES if algorithm == "sm4-cbc-sm3" else 0)
    derived = HKDF(
        algorithm=hashes.SM3(), length=length, salt=None, info=f"luoshi field {algorithm}".encode()
    ).derive(key)
    return derived[:SM4_BLOCK_BYTES], derived[SM4_BLOCK_BYTES:]


def _header(key_id: str, algorithm: str) -> str:
    return f"{PREFIX}:{VERSION}:{key_id}:{algorithm}:"


def _associated_data(header: str, context: str) -> bytes:
    return f"{header}{context}".encode()


def _seal(algorithm: str, key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    enc_key, mac_key = _subkeys(key, algorithm)
    if algorithm == "aes-gcm":
        nonce = os.urandom(NONCE_BYTES)
        return nonce + AESGCM(enc_key).encrypt(nonce, plaintext, associated)
    if algorithm == "sm4-gcm":
        nonce = os.urandom(NONCE_BYTES)
        encryptor = Cipher(algorithms.SM4(enc_key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(associated)
        body = encryptor.update(plaintext) + encryptor.finalize()
        return nonce + body + encryptor.tag
    if algorithm == "sm4-cbc-sm3":
        iv = os.urandom(SM4_BLOCK_BYTES)
        padder = padding.PKCS7(SM4_BLOCK_BYTES * 8).padder()
        padded = padder.update(plaintext) + padder.finalize()
        cbc = Cipher(algorithms.SM4(enc_key), modes.CBC(iv)).encryptor()
        body = iv + cbc.update(padded) + cbc.finalize()
        return body + _sm3_mac(mac_key, associated, body)
    raise FieldCryptoError(_("Unknown field encryption algorithm %(alg)s.") % {"alg": algorithm})


def _open(algorithm: str, key: bytes, blob: bytes, associated: bytes) -> bytes:
    enc_key, mac_key = _subkeys(key, algorithm)
    if algorithm == "aes-gcm":
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise InvalidTag
        return AESGCM(enc_key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated)
    if algorithm == "sm4-gcm":
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise InvalidTag
        nonce, body, tag = blob[:NONCE_BYTES], blob[NONCE_BYTES:-TAG_BYTES], blob[-TAG_BYTES:]
        decryptor = Cipher(algorithms.SM4(enc_key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(associated)
        return decryptor.update(body) + decryptor.finalize()
    if algorithm == "sm4-cbc-sm3":
        body, mac = blob[:-SM3_MAC_BYTES], blob[-SM3_MAC_BYTES:]
        if len(body) < 2 * SM4_BLOCK_BYTES or len(body) % SM4_BLOCK_BYTES:
            raise InvalidTag
        # Check the MAC before touching the ciphertext: no padding oracle.
        if not hmac.compare_digest(mac, _sm3_mac(mac_key, associated, body)):
            raise InvalidTag
        cbc = Cipher(algorithms.SM4(enc_key), modes.CBC(body[:SM4_BLOCK_BYTES])).decryptor()
        padded = cbc.update(body[SM4_BLOCK_BYTES:]) + cbc.finalize()
        unpadder = padding.PKCS7(SM4_BLOCK_BYTES * 8).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    raise InvalidTag


def _sm3_mac(mac_key: bytes, associated: bytes, body: bytes) -> bytes:
    from cryptography.hazmat.primitives import hmac as crypto_hmac

    mac = crypto_hmac.HMAC(mac_key, hashes.SM3())
    # The length prefix keeps the boundary between associated data and body unambiguous.
    mac.update(len(associated).to_bytes(8, "big") + associated + body)
    return mac.finalize()


# --- Tokens ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenHeader:
    key_id: str
    algorithm: str


def is_token(value: object) -> bool:
    return isinstance(value, str) and value.startswith(f"{PREFIX}:")


def parse_header(token: str) -> TokenHeader:
    """The key id and algorithm a token claims (not yet verified: only decryption proves them)."""
    parts = token.split(":", 4)
    if len(parts) != 5 or parts[0] != PREFIX:
        raise FieldCryptoError(_("The stored value is not an encrypted token."))
    if parts[1] != VERSION:
        raise FieldCryptoError(
            _("The stored value uses token version %(version)s, which this Luoshi cannot read.")
            % {"version": parts[1]}
        )
    if parts[3] not in ALGORITHMS:
        raise FieldCryptoError(_("The stored value names an unknown algorithm %(alg)s.") % {"alg": parts[3]})
    return TokenHeader(key_id=parts[2], algorithm=parts[3])


def encrypt(
    plaintext: str, *, context: str, ring: KeyRing | None = None, algorithm: str | None = None
) -> str:
    """A token for ``plaintext``, bound to ``context`` (``table.column``), under the current key."""
    ring = ring or key_ring()
    algorithm = algorithm or configured_algorithm()
    header = _header(ring.current_id, algorithm)
    blob = _seal(algorithm, ring.current, plaintext.encode("utf-8"), _associated_data(header, context))
    return header + base64.b64encode(blob).decode("ascii")


def decrypt(token: str, *, context: str, ring: KeyRing | None = None) -> str:
    """The plaintext of ``token``; :class:`FieldCryptoError` if the key is missing or anything was altered."""
    ring = ring or key_ring()
    header = parse_header(token)
    key = ring.keys.get(header.key_id)
    if key is None:
        raise FieldCryptoError(
            _(
                "The value in %(context)s was encrypted with key %(id)s, which is not in the key ring "
                "(%(source)s). Restore that key to read it."
            )
            % {"context": context, "id": header.key_id, "source": ring.source}
        )
    prefix = _header(header.key_id, header.algorithm)
    try:
        blob = base64.b64decode(token[len(prefix) :], validate=True)
        plaintext = _open(header.algorithm, key, blob, _associated_data(prefix, context))
        return plaintext.decode("utf-8")
    except (InvalidTag, binascii.Error, ValueError, UnicodeDecodeError):
        raise FieldCryptoError(
            _(
                "The value in %(context)s does not decrypt with key %(id)s: the key is wrong, or the value "
                "was altered or copied from another column."
            )
            % {"context": context, "id": header.key_id}
        ) from None


def fingerprint(plaintext: str, *, context: str) -> str:
    """8 hex digits of HMAC-SHA256 under a key derived from the current field key: tells values apart
    (for audit diffs) without revealing them, even for short numbers that could be guessed from a plain hash.
    """
    ring = key_ring()
    mac_key = _fingerprint_key(ring.current)
    return hmac.new(mac_key, f"{context}\n{plaintext}".encode(), "sha256").hexdigest()[:8]


@lru_cache(maxsize=8)
def _fingerprint_key(key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"luoshi audit fingerprint").derive(key)


def needs_rotation(token: str, *, ring: KeyRing | None = None, algorithm: str | None = None) -> bool:
    """Whether a stored token is under another key or algorithm than new values would be."""
    ring = ring or key_ring()
    header = parse_header(token)
    return header.key_id != ring.current_id or header.algorithm != (algorithm or configured_algorithm())


# --- System check ----------------------------------------------------------------------------------


@checks.register(checks.Tags.security)
def check_field_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Field keys must load, and production must have them before it serves a single request."""
    try:
        configured_algorithm()
        key_ring()
    except FieldCryptoError as exc:
        return [
            checks.Error(
                str(exc.message),
                hint=_("See docs/security.md, 'Sensitive fields'."),
                id="luoshi.E201",
            )
        ]
    return []
