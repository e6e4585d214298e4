"""Where a project's files come from: a local folder or a git repository (``git`` CLI).

URIs: a local folder (``.``, ``/path``, ``file:///path``), a local or remote git repository
(``file:///repo``, ``https://host/org/repo.git``), each optionally followed by ``#subdir``.
With ``version`` (a commit, branch or tag) the repository is cloned into a fresh folder and
that revision checked out; without it a local folder is used in place and a remote repository
is cloned at its default branch. A revision that does not exist is an error naming it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from modelyard.errors import InvalidParameterValue

__all__ = ["ProjectSource", "fetch_project", "git_commit", "git_repo_url"]


@dataclass(frozen=True)
class ProjectSource:
    uri: str  # as the caller gave it
    work_dir: Path  # folder holding the MLproject (subdirectory applied)
    source_name: str  # value of mlflow.source.name
    git_commit: str | None
    git_repo_url: str | None
    version: str | None
    cleanup_dir: Path | None = None  # temporary clone, removed by the caller when done


def _git(args: list[str], cwd: Path | None = None, timeout: float = 300) -> str:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"  # never wait for a password on a terminal
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=str(cwd) if cwd else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise InvalidParameterValue("The git command is needed for git project URIs.") from None
    except subprocess.TimeoutExpired:
        raise InvalidParameterValue(f"git {args[0]} timed out.") from None
    if proc.returncode != 0:
        raise _GitError(proc.stderr.strip() or proc.stdout.strip())
    return proc.stdout.strip()


class _GitError(Exception):
    pass


def git_commit(path: Path) -> str | None:
    try:
        return _git(["rev-parse", "HEAD"], cwd=path)
    except (_GitError, InvalidParameterValue):
        return None


def git_repo_url(path: Path) -> str | None:
    try:
        return _git(["config", "--get", "remote.origin.url"], cwd=path) or None
    except (_GitError, InvalidParameterValue):
        return None


def _split_uri(uri: str) -> tuple[str, str]:
    base, _, subdir = uri.partition("#")
    return base, subdir.strip("/")


def _is_remote_git(base: str) -> bool:
    return base.startswith(("https://", "http://", "ssh://", "git@", "git://")) or (
        base.endswith(".git") and "://" in base and not base.startswith("file://")
    )


def _local_path(base: str) -> Path:
    if base.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(base).path))
    return Path(base).expanduser()


def _apply_subdir(root: Path, subdir: str, uri: str) -> Path:
    if not subdir:
        return root
    target = (root / subdir).resolve()
    try:
        target.relative_to(root.resolve())
    except ValueError:
        raise InvalidParameterValue(
            f"Subdirectory {subdir!r} of {uri!r} leaves the project."
        ) from None
    if not target.is_dir():
        raise InvalidParameterValue(f"Subdirectory {subdir!r} does not exist in {uri!r}.")
    return target


def _clone(url: str, version: str | None, uri: str) -> Path:
    dest = Path(tempfile.mkdtemp(prefix="modelyard-project-"))
    try:
        try:
            _git(["clone", "--quiet", url, str(dest)])
        except _GitError as exc:
            raise InvalidParameterValue(f"Could not clone {uri!r}: {exc}") from None
        if version:
            if version.startswith("-"):
                raise InvalidParameterValue(f"Invalid version {version!r}.")
            try:
                # a branch of the remote, a tag or a commit
                commit = _git(["rev-parse", "--verify", "--quiet", f"{version}^{{commit}}"], dest)
            except _GitError:
                try:
                    commit = _git(
                        ["rev-parse", "--verify", "--quiet", f"origin/{version}^{{commit}}"], dest
                    )
                except _GitError:
                    raise InvalidParameterValue(
                        f"Version {version!r} does not exist in the git repository {uri!r} "
                        "(not a commit, branch or tag)."
                    ) from None
            try:
                _git(["checkout", "--quiet", "--detach", commit], dest)
            except _GitError as exc:
                raise InvalidParameterValue(f"Could not check out {version!r}: {exc}") from None
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return dest


def fetch_project(uri: str, version: str | None = None) -> ProjectSource:
    """Resolve ``uri`` to a local folder (cloning when needed)."""
    if not isinstance(uri, str) or not uri.strip():
        raise InvalidParameterValue("The project URI must be a non-empty string.")
    base, subdir = _split_uri(uri.strip())
    if _is_remote_git(base):
        clone = _clone(base, version, uri)
        return ProjectSource(
            uri=uri,
            work_dir=_apply_subdir(clone, subdir, uri),
            source_name=uri,
            git_commit=git_commit(clone),
            git_repo_url=base,
            version=version,
            cleanup_dir=clone,
        )
    path = _local_path(base).resolve()
    if not path.is_dir():
        raise InvalidParameterValue(f"Project URI {uri!r}: {path} is not a folder.")
    is_git = git_commit(path) is not None
    if version:
        if not is_git:
            raise InvalidParameterValue(
                f"Project URI {uri!r} is not a git repository, so 'version' cannot be used."
            )
        top = Path(_git(["rev-parse", "--show-toplevel"], cwd=path))
        inner = path.relative_to(top.resolve()) if path != top.resolve() else Path()
        clone = _clone(top.as_uri(), version, uri)
        sub = "/".join(p for p in (str(inner) if str(inner) != "." else "", subdir) if p)
        return ProjectSource(
            uri=uri,
            work_dir=_apply_subdir(clone, sub, uri),
            source_name=git_repo_url(path) or top.as_uri(),
            git_commit=git_commit(clone),
            git_repo_url=git_repo_url(path) or top.as_uri(),
            version=version,
            cleanup_dir=clone,
        )
    work = _apply_subdir(path, subdir, uri)
    return ProjectSource(
        uri=uri,
        work_dir=work,
        source_name=(git_repo_url(path) if is_git else None) or str(path),
        git_commit=git_commit(path) if is_git else None,
        git_repo_url=git_repo_url(path) if is_git else None,
        version=None,
    )
