"""Redaction of personal data before anything is stored or logged.

Teachers are told not to enter pupils' personal data, but some will. E-mail addresses, phone
numbers and BSN-like numbers (9 digits that pass the Dutch "elfproef") are replaced by a
placeholder in questions, feedback comments and logs.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w])(?:\+31[\s-]?|0031[\s-]?|0)(?:[1-9](?:[\s-]?\d){8})(?![\w])")
_NINE = re.compile(r"(?<!\d)(\d{4}[.\s]?\d{2}[.\s]?\d{3}|\d{3}[.\s]?\d{3}[.\s]?\d{3})(?!\d)")


def _elfproef(digits: str) -> bool:
    if len(digits) != 9:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1))) - int(digits[8])
    return total % 11 == 0


def _bsn(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return "[BSN verwijderd]" if _elfproef(digits) else m.group(0)


def redact(text: str) -> str:
    text = _EMAIL.sub("[e-mailadres verwijderd]", text)
    text = _NINE.sub(_bsn, text)
    return _PHONE.sub("[telefoonnummer verwijderd]", text)
