"""Staff login for the review pages; the public chat and widget stay anonymous.

Two ways in, both from settings:
- password: ``NRO_STAFF_USERS='{"anne": "scrypt$..."}'`` holds scrypt hashes, checked with
  HTTP Basic authentication (make a hash with ``python -m assistant.chat.auth``);
- header: behind an SSO proxy that sets ``NRO_STAFF_HEADER`` (e.g. ``X-Forwarded-User``)
  and strips that header from what visitors send.
With neither configured, the staff pages do not exist.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping

from assistant.settings import Settings

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                             r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(got, expected)


def staff_enabled(settings: Settings) -> bool:
    return bool(settings.staff_users or settings.staff_header)


def staff_user(headers: Mapping[str, str], settings: Settings) -> str | None:
    """The logged-in staff member's name, or None."""
    if settings.staff_header:
        name = (headers.get(settings.staff_header) or "").strip()
        if name:
            return name
    auth = headers.get("authorization") or ""
    if settings.staff_users and auth.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        stored = settings.staff_users.get(user)
        if stored and verify_password(password, stored):
            return user
    return None


if __name__ == "__main__":  # pragma: no cover
    import getpass

    print(hash_password(getpass.getpass("Password: ")))
