"""Bytes of a text file into text: the encoding read from a byte-order mark, and binary told apart by content.

A file's suffix says nothing about its bytes. Windows tools save "Unicode" text as UTF-16 with a byte-order mark (its
every other byte is NUL, which a NUL test takes for binary), while a ZIP, an image or an executable renamed `.txt` may
contain no NUL in its first kilobytes and would be indexed as pages of garbage. So: a byte-order mark decides the
encoding; otherwise a sample is judged by what text never has (NUL bytes, many control characters, a known binary
signature, mostly non-ASCII bytes that are not UTF-8); what passes is UTF-8, or Latin-1 when it is not valid UTF-8.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from index.errors import DocumentLoadError

SAMPLE_BYTES = 65536
# Byte-order marks, the 4-byte UTF-32 ones first: UTF-32-LE's mark begins with UTF-16-LE's.
# Each codec reads its mark and drops it from the text.
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Signatures of common binary formats that may carry no NUL early on (archives, images, executables, office files).
SIGNATURES = (b"PK\x03\x04", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"7z\xbc\xaf", b"BZh", b"\x7fELF",
              b"MZ", b"Rar!", b"\xd0\xcf\x11\xe0", b"%PDF-", b"\xfd7zXZ", b"OggS", b"ID3", b"RIFF")
# Control characters text does not use: all of C0 but tab, line feed, vertical tab, form feed, carriage return and
# escape (ANSI colours in logs). Random bytes hold about 10% of them; text none, or a stray few.
_CONTROL = bytes(sorted(set(range(32)) - {9, 10, 11, 12, 13, 27}))
_ASCII = bytes(range(128))
MAX_CONTROL_SHARE = 0.02
MAX_NON_UTF8_HIGH_SHARE = 0.3  # Latin-1 text in any European language has far fewer bytes above 0x7f


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark at the start of `data` names, or None."""
    return next((name for bom, name in BOMS if data.startswith(bom)), None)


def _utf16_without_bom(sample: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for BOM-less UTF-16 of mostly ASCII text (a NUL in every other byte), else None."""
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    for zeros, name in ((odd, "utf-16-le"), (even, "utf-16-be")):
        other = even if zeros is odd else odd
        if zeros.count(0) > 0.9 * len(zeros) and other.count(0) < 0.05 * len(other):
            return name
    return None


def binary_reason(sample: bytes) -> str | None:
    """Why a sample of a file's start is not text (None when it may be text, read as UTF-8 or Latin-1)."""
    if not sample:
        return None
    if sample.startswith(SIGNATURES):
        return "binary file (its signature is that of an archive, image, executable or office file), not text"
    if b"\x00" in sample:
        return "binary file (contains NUL bytes), not text"
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    if controls > MAX_CONTROL_SHARE * len(sample):
        return f"binary file ({controls / len(sample):.0%} control bytes), not text"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        high = len(sample.translate(None, _ASCII))
        if high > MAX_NON_UTF8_HIGH_SHARE * len(sample):
            return f"binary file ({high / len(sample):.0%} of its bytes are neither ASCII nor UTF-8), not text"
    return None


def text_encoding(path: Path, data: bytes) -> str | None:
    """The codec to read `data` (a file's bytes, or its first SAMPLE_BYTES) with: one that reads a BOM (utf-8-sig,
    utf-16, utf-32), BOM-less UTF-16's, or None for UTF-8 with the caller's fallback. Raises DocumentLoadError for
    binary content."""
    sample = data[:SAMPLE_BYTES]
    named = bom_encoding(sample) or _utf16_without_bom(sample)
    if named:
        return named
    reason = binary_reason(sample)
    if reason:
        raise DocumentLoadError(path, reason)
    return None


def decode(path: Path, data: bytes, errors: str = "latin-1") -> str:
    """A text file's bytes as text (see the module docstring). `errors`: "latin-1" reads invalid UTF-8 as Latin-1,
    "replace" puts U+FFFD in its place. Raises DocumentLoadError for binary content or a broken UTF-16/32 file."""
    encoding = text_encoding(path, data)
    if encoding == "utf-8-sig":  # a UTF-8 mark: read as unmarked UTF-8, without the mark
        data, encoding = data[len(codecs.BOM_UTF8):], None
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            why = f"not valid {encoding.upper()} text ({exc.reason} at byte {exc.start})"
            raise DocumentLoadError(path, why) from exc
    if errors == "replace":
        return data.decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_text(path: Path, errors: str = "latin-1") -> str:
    """Read and decode a text file (`decode`)."""
    return decode(path, path.read_bytes(), errors)
