"""WeChat's XML, read with a hardened parser under a size cap, and written back.

WeChat never sends a DTD, so none is accepted: entity expansion (billion laughs) and
external entities are refused before they cost anything. The encrypted envelope is not
parsed at all: its one field is picked out with a bounded pattern so that the signature
can be checked before any parser sees a byte of an unauthenticated body.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import ElementTree as SafeTree
from defusedxml.common import DefusedXmlException

MAX_BODY = 64 * 1024  # bytes of a callback; real ones are a few hundred
MAX_FIELDS = 64
_ENCRYPT = re.compile(
    rb"<Encrypt>\s*(?:<!\[CDATA\[)?\s*([A-Za-z0-9+/=]{1,%d})\s*(?:\]\]>)?\s*</Encrypt>" % MAX_BODY
)


class XmlRefused(ValueError):
    """Not a WeChat message: malformed, too large, or carrying a DTD."""


def parse(data: bytes | str) -> dict[str, str]:
    """The flat fields of ``<xml>…</xml>`` (nested ones are skipped), as text."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_BODY:
        raise XmlRefused("too large")
    try:
        root = SafeTree.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError, ValueError) as exc:
        raise XmlRefused(type(exc).__name__) from None
    if root.tag != "xml":
        raise XmlRefused("the root is not <xml>")
    fields: dict[str, str] = {}
    for index, child in enumerate(root):
        if index >= MAX_FIELDS:
            raise XmlRefused("too many fields")
        if isinstance(child.tag, str) and len(child) == 0:
            fields[child.tag] = child.text or ""
    return fields


def find_encrypt(body: bytes) -> str | None:
    """The ``Encrypt`` field of an encrypted callback, without parsing the XML."""
    if len(body) > MAX_BODY:
        return None
    found = _ENCRYPT.search(body)
    return found.group(1).decode() if found else None


def build(fields: Mapping[str, str | int]) -> str:
    """``<xml><Name>value</Name>…</xml>``, escaped as XML requires."""
    root = Element("xml")
    for name, value in fields.items():
        SubElement(root, name).text = str(value)
    return tostring(root, encoding="unicode")


def text_reply(to_user: str, from_user: str, text: str, now: int) -> str:
    """A passive reply carrying one text message (the Official Account)."""
    return build(
        {
            "ToUserName": to_user,
            "FromUserName": from_user,
            "CreateTime": now,
            "MsgType": "text",
            "Content": text,
        }
    )


def sealed_reply(encrypt: str, signature: str, timestamp: str, nonce: str) -> str:
    """The envelope of an encrypted passive reply."""
    return build(
        {"Encrypt": encrypt, "MsgSignature": signature, "TimeStamp": timestamp, "Nonce": nonce}
    )
