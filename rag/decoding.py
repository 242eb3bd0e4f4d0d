"""Turn an article file's bytes into text without control characters, or refuse them as binary."""
from __future__ import annotations

import codecs
import re
import unicodedata

_BOMS = [(codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]  # UTF-32 LE starts like UTF-16 LE
_SAMPLE = 8192
_MAX_CONTROL_SHARE = 0.1
# C0 controls but tab and newline (CR is normalised first), DEL and the C1 range U+0080-U+009F:
# C1 characters are what a latin-1 misreading of Windows-1252 quotes produces.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = {"\x0b": "\n", "\x0c": "\n", "\x85": "\n"}  # vertical tab, form feed, NEL
_HTML_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
# Letters and punctuation a Western European text in Windows-1252 is made of; a text in another
# single-byte code page (cp1250, cp1251, ...) read as cp1252 shows other signs or dense accents.
_WESTERN = set("ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝßàáâãäåæçèéêëìíîïñòóôõöøùúûüýÿŒœŠšŽžŸ"
               "‘’‚“”„–—…•€™«»¡¿°·×÷§¶©®£¥¢ªº\u00a0")
_MAX_ACCENT_SHARE = 0.25


class BinaryFile(ValueError):
    """The bytes are not text."""


def decode_text(data: bytes, html: bool = False) -> str:
    """The text of `data` with newlines normalised and no control characters but tab and newline.

    Encodings, in order: a byte-order mark (UTF-8, UTF-16, UTF-32); valid UTF-8; the charset an HTML page
    declares; Windows-1252 when the text reads as Western European; charset-normalizer's best guess;
    else Windows-1252 with undecodable bytes replaced. Raises BinaryFile for NUL bytes or mostly controls.
    """
    text = _decode(data, html)
    if "\x00" in text or _control_share(text[:_SAMPLE]) > _MAX_CONTROL_SHARE:
        raise BinaryFile("binary data, not text")
    return strip_controls(text.replace("\r\n", "\n").replace("\r", "\n"))


def strip_controls(text: str) -> str:
    """`text` without control characters: line-like ones (form feed, NEL) become newlines, the rest go."""
    return _CONTROLS.sub(lambda m: _LINE_BREAKS.get(m.group(), ""), text)


def _decode(data: bytes, html: bool) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, "replace")
    if b"\x00" in data[:_SAMPLE]:  # before guessing: charset detection on binary data is slow and pointless
        raise BinaryFile("binary data, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(data) if html else None
    if declared and declared != "utf-8":  # pages declaring UTF-8 but holding other bytes are guessed
        return data.decode(declared, "replace")
    western = _as_western(data)
    if western is not None:
        return western
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best is not None else data.decode("cp1252", "replace")


def _declared_charset(data: bytes) -> str | None:
    match = _HTML_CHARSET.search(data[:4096])
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None
    return "cp1252" if name in {"iso8859-1", "ascii"} else name  # as browsers read these labels (WHATWG)


def _as_western(data: bytes) -> str | None:
    """`data` read as Windows-1252 when it looks like Western European text, else None.

    charset-normalizer alone reads short Western texts as mac_iceland, cp775 or big5 ("It’s fine."),
    so the commonest legacy encoding is tried first: every non-ASCII character must be a Western
    letter or typographic sign, and accented letters must be a minority among the letters.
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:  # one of the five bytes cp1252 leaves undefined
        return None
    non_ascii = [c for c in text if ord(c) > 127]
    if any(c not in _WESTERN for c in non_ascii):
        return None
    letters = sum(c.isalpha() for c in text)
    accented = sum(c.isalpha() for c in non_ascii)
    return text if accented <= _MAX_ACCENT_SHARE * max(letters, 1) else None


def _control_share(sample: str) -> float:
    controls = sum(1 for c in sample if c not in "\t\n\r\x0c" and unicodedata.category(c) == "Cc")
    return controls / max(len(sample), 1)
