"""Opaque page tokens: URL-safe base64 of the JSON ``{"offset": N}``.

The format is MLflow's, so a token minted by either server is understood by the other's
client; clients must still treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
import json

from modelyard.errors import InvalidParameterValue

__all__ = ["check_max_results", "decode_page_token", "encode_page_token", "next_page_token"]


def encode_page_token(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode("utf-8")).decode("ascii")


def decode_page_token(token: str | None) -> int:
    """The offset a token points at; ``None`` or ``""`` is the first page (offset 0)."""
    if not token:
        return 0
    try:
        raw = base64.b64decode(token.encode("ascii"), validate=False)
        parsed = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeError, ValueError, AttributeError):
        raise InvalidParameterValue(f"Invalid page token {token!r}: could not be decoded") from None
    offset = parsed.get("offset") if isinstance(parsed, dict) else None
    if isinstance(offset, str) and offset.isdigit():
        offset = int(offset)
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidParameterValue(f"Invalid page token {token!r}: no valid offset in it")
    return offset


def next_page_token(offset: int, page_size: int, fetched: int) -> str | None:
    """The token of the page after one that started at ``offset``.

    ``fetched`` is how many rows the query returned when it asked for ``page_size + 1``: more
    than ``page_size`` means another page exists, otherwise this was the last page.
    """
    return encode_page_token(offset + page_size) if fetched > page_size else None


def check_max_results(
    max_results: object, limit: int, *, minimum: int = 1, field: str = "max_results"
) -> int:
    """The one rule for page sizes: an integer (or a string of digits, as query parameters
    arrive) in ``minimum..limit``; booleans, floats and other types are refused."""
    value: int
    if isinstance(max_results, int) and not isinstance(max_results, bool):
        value = max_results
    elif isinstance(max_results, str) and max_results.strip().lstrip("-").isdigit():
        value = int(max_results)
    else:
        raise InvalidParameterValue(
            f"Invalid value {max_results!r} for parameter '{field}': expected an integer"
        )
    if value < minimum or value > limit:
        raise InvalidParameterValue(
            f"Invalid value {value} for parameter '{field}' supplied. It must be at least "
            f"{minimum} and at most {limit}."
        )
    return value
