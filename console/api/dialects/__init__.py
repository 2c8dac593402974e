"""The Block Storage dialects the console speaks, and the one place that decides which one a cloud
speaks (`discover`).

    cinder-v1   the seed's API (the spec; the embedded emulator)        cinder_v1.py
    cinder-v3   OpenStack Cinder's block-storage v3 API, microversioned   cinder_v3.py

How a region's dialect is known, from its catalog entry and its version document:
1. identity picks the region's Block Storage endpoint by catalog type, in BLOCK_STORAGE_TYPES order
   (the os-service-types name `block-storage` first, then its aliases);
2. the endpoint URL's version segment: `/v1/` is the seed's Cinder v1, and so is a `volume` endpoint
   without one (the seed's catalog); no call is made;
3. anything else reads the version document (GET <root>/v<n>/, once per region per login): an API
   that says v1 is Cinder v1, any other is Cinder v3 at the highest microversion both sides know.
   A version document that cannot be read leaves Cinder v3 at its base (3.0), which every v3 cloud
   serves, and the reason in the log.

A third dialect is a module with a Dialect subclass (see base.py), an entry in DIALECTS and a rule
in `discover`; docs/architecture.md walks through it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from typing import Any

from console.api import http
from console.api.context import CloudContext
from console.api.dialects.base import UNSET, Dialect, QuotaSpec
from console.api.dialects.cinder_v1 import CINDER_V1
from console.api.dialects.cinder_v3 import CINDER_V3, microversion_for
from console.api.errors import ApiError, Unauthorized
from console.api.records import ApiVersion
from console.api.wire import JSON, DecodeError, WireFormat, decoding

log = logging.getLogger(__name__)

DIALECTS: dict[str, Dialect] = {dialect.name: dialect for dialect in (CINDER_V1, CINDER_V3)}
# Catalog types of Block Storage, most specific first (os-service-types: block-storage and aliases).
BLOCK_STORAGE_TYPES = ("block-storage", "volumev3", "volumev2", "volume", "block-store")
# The API version in an endpoint's path: /v1/, /v3/<project>, /v2.1 ...
_VERSION_SEGMENT = re.compile(r"/v(\d+)(?:\.\d+)?(?=/|$)")

__all__ = ["BLOCK_STORAGE_TYPES", "DIALECTS", "UNSET", "Dialect", "QuotaSpec", "dialect_of", "discover"]


def dialect_of(ctx: CloudContext) -> Dialect:
    """The dialect a context's Block Storage endpoint speaks."""
    return DIALECTS.get(ctx.dialect, CINDER_V1)


@dataclasses.dataclass(frozen=True)
class Discovered:
    dialect: str
    microversion: str = ""


def discover(caller: CloudContext, *, service_type: str) -> Discovered:
    """Which dialect the Block Storage endpoint of `caller` (its volume_url) speaks; see the module."""
    url = caller.volume_url.rstrip("/")
    segments = list(_VERSION_SEGMENT.finditer(url))
    version = int(segments[-1].group(1)) if segments else None
    if version == 1 or (version is None and service_type == "volume"):
        return Discovered(CINDER_V1.name)
    root = url[: segments[-1].end()] + "/" if segments else url + "/"
    # Outside the project's call budget: a version document is no operation on the project's
    # resources (Cinder serves /v3/ behind its token check, so the token goes with it).
    try:
        versions = http.request(
            caller,
            service=http.VOLUME,
            method="GET",
            url=root,
            fmt=JSON,
            decode=_versions_decode,
            metered=False,
        ).data
    except Unauthorized:
        raise
    except ApiError as error:
        log.warning("version document of %s unreadable (%s): speaking Cinder v3 at 3.0", root, error.message)
        return Discovered(CINDER_V3.name)
    wanted = f"v{version}" if version is not None else ""
    chosen = next((v for v in versions if wanted and v.id.split(".")[0] == wanted), None)
    chosen = chosen or next((v for v in versions if v.status.upper() == "CURRENT"), None)
    if chosen is not None and chosen.id.split(".")[0] == "v1":
        return Discovered(CINDER_V1.name)
    return Discovered(CINDER_V3.name, microversion_for(chosen.version if chosen else ""))


@decoding
def _versions_decode(fmt: WireFormat, body: bytes) -> list[ApiVersion]:
    """A version document: {"versions": [...]}, {"versions": {"values": [...]}} or {"version": {...}}."""
    document = json.loads(body)
    if not isinstance(document, dict):
        raise DecodeError("a version document is a JSON object")
    entries: Any = document.get("versions", document.get("version"))
    if isinstance(entries, dict):
        entries = entries.get("values", [entries])
    if not isinstance(entries, list):
        raise DecodeError("no versions in the version document")
    return [
        ApiVersion(
            id=str(entry.get("id") or ""),
            status=str(entry.get("status") or ""),
            version=str(entry.get("version") or ""),
            min_version=str(entry.get("min_version") or ""),
        )
        for entry in entries
        if isinstance(entry, dict)
    ]
