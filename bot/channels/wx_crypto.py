"""WeChat's callback crypto, shared by WeCom and the Official Account.

- Signatures: SHA-1 of the sorted, concatenated strings. The Official Account's plain mode
  signs ``[token, timestamp, nonce]``; encrypted callbacks sign
  ``[token, timestamp, nonce, msg_encrypt]`` (``msg_signature``).
- The envelope: ``msg_encrypt = base64(AES-256-CBC(random(16) + msg_len(4, network order)
  + msg + receive_id))``, PKCS#7-padded to a multiple of 32 bytes, the key being
  ``base64(EncodingAESKey + "=")`` and the IV its first 16 bytes. The receive id is the
  CorpID (WeCom) or the AppID (Official Account): a message sealed for another app is
  refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # WeChat pads to 32 bytes, not AES's 16
AES_KEY_LENGTH = 43  # characters of an EncodingAESKey


class CryptoError(ValueError):
    """A message that does not open: bad base64, padding, length or receive id."""


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324  (the protocol's)


def signed(given: str, *parts: str) -> bool:
    """Whether ``given`` is the signature of ``parts``, compared in constant time."""
    return hmac.compare_digest(given.strip().lower().encode(), signature(*parts).encode())


def aes_key(encoding_key: str) -> bytes:
    """The 32-byte AES key behind a 43-character EncodingAESKey."""
    if len(encoding_key) != AES_KEY_LENGTH:
        raise CryptoError(f"an EncodingAESKey has {AES_KEY_LENGTH} characters")
    try:
        key = base64.b64decode(encoding_key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise CryptoError("an EncodingAESKey is letters and digits only") from None
    if len(key) != 32:
        raise CryptoError("an EncodingAESKey decodes to 32 bytes")
    return key


def pad(data: bytes) -> bytes:
    amount = BLOCK - len(data) % BLOCK
    return data + bytes([amount]) * amount


def unpad(data: bytes) -> bytes:
    if not data:
        raise CryptoError("empty plaintext")
    amount = data[-1]
    if not 1 <= amount <= BLOCK or amount > len(data) or data[-amount:] != bytes([amount]) * amount:
        raise CryptoError("bad padding")
    return data[:-amount]


class Envelope:
    """Seals and opens messages for one app (one key, one receive id)."""

    def __init__(self, encoding_key: str, receive_id: str) -> None:
        self.key = aes_key(encoding_key)
        self.receive_id = receive_id.encode()

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def seal(self, message: str, *, random: bytes | None = None) -> str:
        body = message.encode()
        prefix = random if random is not None else os.urandom(16)
        if len(prefix) != 16:
            raise ValueError("the random prefix is 16 bytes")
        plain = pad(prefix + struct.pack(">I", len(body)) + body + self.receive_id)
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def open(self, sealed: str) -> str:
        try:
            data = base64.b64decode(sealed, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError("not base64") from None
        if not data or len(data) % 16:
            raise CryptoError("not whole AES blocks")
        decryptor = self._cipher().decryptor()
        plain = unpad(decryptor.update(data) + decryptor.finalize())
        if len(plain) < 20:
            raise CryptoError("too short")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise CryptoError("bad length")
        message, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if not hmac.compare_digest(receive_id, self.receive_id):
            raise CryptoError("sealed for another app")
        try:
            return message.decode()
        except UnicodeDecodeError:
            raise CryptoError("not UTF-8") from None
