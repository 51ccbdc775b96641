"""Anonymity helpers (SPEC §6): receipt codes, their slow hash, pseudonyms, clean text.

A receipt code is 19 random Crockford base32 characters (95 bits) and one check
character (Luhn mod 32), shown in groups of four. Only scrypt of it, salted with a
per-installation value, is stored; the hash is deterministic so the code finds its thread
with one hash and one index lookup, and 95 bits make a table of guesses hopeless.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.invites import ALPHABET
from storage.opinion_models import AppSecret

RECEIPT_RANDOM = 19
RECEIPT_LENGTH = RECEIPT_RANDOM + 1
PSEUDONYM_LENGTH = 4
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 * 1024 * 1024}
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


class ReceiptProblem(StrEnum):
    format = "format"
    checksum = "checksum"


def _check_char(body: str) -> str:
    """Luhn mod 32: catches every single wrong character and most swapped neighbours."""
    total, factor = 0, 2
    for ch in reversed(body):
        addend = factor * ALPHABET.index(ch)
        total += addend // 32 + addend % 32
        factor = 3 - factor
    return ALPHABET[(32 - total % 32) % 32]


def new_receipt() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RECEIPT_RANDOM))
    return body + _check_char(body)


def display_receipt(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def parse_receipt(text: str) -> tuple[str | None, ReceiptProblem | None]:
    code = "".join(ch for ch in text.upper() if ch not in " -_").translate(_LOOKALIKES)
    if len(code) != RECEIPT_LENGTH or any(ch not in ALPHABET for ch in code):
        return None, ReceiptProblem.format
    if _check_char(code[:-1]) != code[-1]:
        return None, ReceiptProblem.checksum
    return code, None


def looks_like_receipt(text: str) -> bool:
    """A message that is only a receipt code (the member meant 回执, not an opinion)."""
    stripped = "".join(ch for ch in text if not ch.isspace())
    return parse_receipt(stripped)[1] is not ReceiptProblem.format


def receipt_hash(code: str, salt: bytes) -> str:
    """Slow on purpose (scrypt, 16 MiB): run it off the event loop."""
    return hashlib.scrypt(code.encode(), salt=salt, **_SCRYPT).hex()


async def receipt_salt(session: AsyncSession) -> bytes:
    """The installation's salt, made by the first anonymous opinion. Two first ones at
    once (two chats, or two processes on PostgreSQL) both find none: the second's insert
    then meets the first's row, is undone alone, and reads the salt the first made."""
    row = await session.get(AppSecret, "receipt_salt")
    if row is None:
        try:
            async with session.begin_nested():
                row = AppSecret(name="receipt_salt", value=secrets.token_hex(32))
                session.add(row)
        except IntegrityError:
            row = await session.get(AppSecret, "receipt_salt", populate_existing=True)
            assert row is not None, "a conflicting salt that cannot be read"
    return bytes.fromhex(row.value)


def new_pseudonym() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(PSEUDONYM_LENGTH))


def strip_format_characters(text: str) -> str:
    """Zero-width and bidi controls out (category Cf): they can carry a hidden signature."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
