"""Resource ids in URLs, forms and query strings: what the API's ids look like.

Anything else (a NUL, markup, spaces, a newline, over 64 characters) is "not found" without an API
call, so no such text ever reaches the cloud.
"""

from __future__ import annotations

import re

MAX_ID = 64
_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_ID - 1}}}")


def id_is_plausible(value: str | None) -> bool:
    return bool(_ID.fullmatch(value or ""))  # fullmatch: "$" would let a final newline through
