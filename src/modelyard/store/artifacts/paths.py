"""Path safety for artifact repositories: one gate every relative path goes through.

:func:`safe_relative_path` is a pure string check (no filesystem access). It normalizes
harmless noise (``./``, doubled or trailing slashes) and refuses anything that could leave the
repository root or means something different on another platform:

* ``..`` segments, absolute paths (``/x``), drive letters (``C:x``), home references (``~x``);
* backslashes and NUL bytes;
* any of those hidden behind percent-encoding, however many times encoded (``%2e%2e``,
  ``%252e%252e``, ``%2f``, ``%5c``, ``%00``), and overlong or invalid UTF-8 escapes such as
  ``%c0%ae``.

A literal ``%`` that decodes to something harmless (``a%20b.txt``) is kept as is: the path is
returned un-decoded, because repositories store names literally.

:func:`resolve_inside` is the filesystem half: it resolves symlinks and refuses a path whose
real location is outside the root.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote_to_bytes

from modelyard.errors import InvalidParameterValue, PermissionDenied

__all__ = ["join_relative", "resolve_inside", "safe_relative_path"]

_DRIVE = re.compile(r"^[A-Za-z]:")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_ENCODED_SEPARATOR = re.compile(r"%(2f|5c|00)", re.IGNORECASE)
_MAX_DECODE_ROUNDS = 8


def _invalid(field: str, path: str, reason: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Invalid path {path!r} for '{field}': {reason}")


def _danger(text: str) -> str | None:
    """The reason ``text`` (one decoding of the path) is unsafe, or None."""
    if "\x00" in text:
        return "NUL bytes are not allowed"
    if "\\" in text:
        return "backslashes are not allowed"
    if text.startswith("/"):
        return "absolute paths are not allowed"
    if _DRIVE.match(text):
        return "drive letters are not allowed"
    for segment in text.split("/"):
        if segment == "..":
            return "'..' segments are not allowed"
        if segment.startswith("~"):
            return "'~' (home directory) references are not allowed"
    return None


def _decoded_forms(path: str, field: str) -> list[str]:
    """Every successive percent-decoding of ``path`` that differs from the previous one."""
    forms: list[str] = []
    current = path
    for _ in range(_MAX_DECODE_ROUNDS):
        if not _PERCENT.search(current):
            return forms
        if _ENCODED_SEPARATOR.search(current):
            raise _invalid(field, path, "percent-encoded '/', '\\' or NUL is not allowed")
        raw = unquote_to_bytes(current)
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid(field, path, "percent-escapes that are not valid UTF-8") from None
        if decoded == current:
            return forms
        forms.append(decoded)
        current = decoded
    raise _invalid(field, path, "too many levels of percent-encoding")


def safe_relative_path(path: str | None, field: str = "path") -> str:
    """Return ``path`` as a normalized relative POSIX path (``""`` for the root).

    Raises :class:`InvalidParameterValue` naming ``field`` when the path is unsafe.
    """
    if path is None:
        return ""
    if not isinstance(path, str):
        raise InvalidParameterValue(
            f"Invalid path for '{field}': expected a string, got {type(path).__name__}"
        )
    for form in (path, *_decoded_forms(path, field)):
        reason = _danger(form)
        if reason is not None:
            raise _invalid(field, path, reason)
    segments = [s for s in path.split("/") if s not in ("", ".")]
    return "/".join(segments)


def join_relative(*parts: str | None) -> str:
    """Join already-safe relative paths with ``/``, skipping empty parts."""
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def resolve_inside(root: Path, rel: str) -> Path:
    """The real location of ``root/rel``; refuses paths whose resolution leaves ``root``.

    ``rel`` is checked with :func:`safe_relative_path` first (an unsafe string raises
    :class:`InvalidParameterValue`); a symlink that leads outside ``root`` raises
    :class:`PermissionDenied`. The target does not have to exist.
    """
    clean = safe_relative_path(rel)
    real_root = root.resolve()
    candidate = (real_root / clean).resolve() if clean else real_root
    if candidate != real_root and not candidate.is_relative_to(real_root):
        raise PermissionDenied(
            f"Invalid path {rel!r}: it resolves outside the artifact root (through a symlink)"
        )
    return candidate
