"""The path safety gate: a wide table of hostile paths, and the harmless ones it must keep."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelyard.errors import InvalidParameterValue, PermissionDenied
from modelyard.store.artifacts.paths import join_relative, resolve_inside, safe_relative_path

HOSTILE = [
    # parent traversal
    "..",
    "../",
    "../x",
    "a/..",
    "a/../b",
    "a/b/../../..",
    "./../x",
    "a/./../x",
    # absolute
    "/",
    "/etc/passwd",
    "//server/share",
    "/a/../b",
    # backslashes (Windows separators, UNC)
    "a\\b",
    "..\\x",
    "\\\\server\\share",
    "\\etc\\passwd",
    # NUL
    "a\x00b",
    "\x00",
    "file.txt\x00.png",
    # drive letters
    "C:",
    "C:x",
    "c:/windows",
    "Z:\\x",
    # home
    "~",
    "~/x",
    "~root/.ssh",
    "a/~/b",
    # percent-encoded
    "%2e%2e",
    "%2E%2E/x",
    "%2e%2e%2fx",
    "a/%2e%2e/b",
    ".%2e/x",
    "%2e./x",
    "%2fetc/passwd",
    "%2Fetc",
    "a%2fb",
    "a%5cb",
    "%5c%5cserver",
    "%00",
    "a%00b",
    "%7e/x",
    "%43:x",
    # double (and deeper) encoding
    "%252e%252e/x",
    "%25252e%25252e/x",
    "%252f",
    "%255c",
    "%2500",
    # overlong / invalid UTF-8 escapes
    "%c0%ae%c0%ae/x",
    "%c0%af",
    "%e0%80%ae",
    "%ff",
]


@pytest.mark.parametrize("bad", HOSTILE)
def test_hostile_paths_are_refused(bad: str) -> None:
    with pytest.raises(InvalidParameterValue) as info:
        safe_relative_path(bad, "artifact_path")
    message = str(info.value)
    assert message.startswith("Invalid path")
    assert "'artifact_path'" in message


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (None, ""),
        ("", ""),
        (".", ""),
        ("./", ""),
        ("a", "a"),
        ("a/b/c.txt", "a/b/c.txt"),
        ("a//b", "a/b"),
        ("a/./b/", "a/b"),
        ("./a", "a"),
        ("...", "..."),
        ("a..b", "a..b"),
        ("..a", "..a"),
        ("a/b..", "a/b.."),
        ("file~", "file~"),
        ("a~b/c", "a~b/c"),
        ("a b é.txt", "a b é.txt"),
        ("a%20b.txt", "a%20b.txt"),
        ("100%", "100%"),
        ("50%off", "50%off"),
        ("ab:c", "ab:c"),
        ("model.pkl", "model.pkl"),
        (".hidden", ".hidden"),
    ],
)
def test_harmless_paths_are_normalized(path: str | None, expected: str) -> None:
    assert safe_relative_path(path) == expected


def test_non_string_is_refused() -> None:
    with pytest.raises(InvalidParameterValue, match="'path'.*expected a string"):
        safe_relative_path(b"a")  # type: ignore[arg-type]


def test_result_is_a_fixed_point() -> None:
    for path in ("a//b/./c/", "./x", "a%20b"):
        once = safe_relative_path(path)
        assert safe_relative_path(once) == once


def test_join_relative() -> None:
    assert join_relative("a", "", None, "b/c") == "a/b/c"
    assert join_relative("", "") == ""
    assert join_relative("a/", "/b") == "a/b"


def test_resolve_inside(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "d").mkdir(parents=True)
    assert resolve_inside(root, "") == root.resolve()
    assert resolve_inside(root, "d/new.txt") == root.resolve() / "d" / "new.txt"
    with pytest.raises(InvalidParameterValue):
        resolve_inside(root, "../x")


def test_resolve_inside_refuses_escaping_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    (root / "up").symlink_to("..", target_is_directory=True)
    (root / "abs").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "dangling").symlink_to("/nonexistent/elsewhere")
    (root / "inner").symlink_to(root / ".", target_is_directory=True)
    for rel in ("up", "up/x", "abs/y", "dangling"):
        with pytest.raises(PermissionDenied, match="outside the artifact root"):
            resolve_inside(root, rel)
    assert resolve_inside(root, "inner/z") == root.resolve() / "z"


def test_resolve_inside_with_symlinked_root(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    alias = tmp_path / "alias"
    alias.symlink_to(real, target_is_directory=True)
    assert resolve_inside(alias, "f") == real.resolve() / "f"
