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


def check_max_results(max_results: object, limit: int, *, minimum: int = 1) -> int:
    """Validate ``max_results`` (an int in ``minimum..limit``) and return it."""
    if isinstance(max_results, bool) or not isinstance(max_results, int):
        try:
            max_results = int(str(max_results))
        except ValueError:
            raise InvalidParameterValue(
                f"Invalid value {max_results!r} for parameter 'max_results': expected an integer"
            ) from None
    if max_results < minimum or max_results > limit:
        raise InvalidParameterValue(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be "
            f"a positive integer at most {limit}"
            if minimum == 1
            else f"Invalid value {max_results} for parameter 'max_results': must be "
            f"between {minimum} and {limit}"
        )
    return max_results
