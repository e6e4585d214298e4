"""Patching machinery shared by the autologging integrations.

A *hook* is a generator function called with the patched function's arguments: the code before
its ``yield`` runs before training and yields the (possibly changed) ``(args, kwargs)``; the
result of the original call is sent back in and the code after the ``yield`` logs it. The hook's
code runs with warnings captured (re-emitted as log records, or dropped when ``silent``); an
exception in it is reported and never reaches the caller. Only the original function's own
exceptions propagate.

Nesting follows MLflow's training-session rule: a patched call made inside another patched
call logs only if every enclosing call allows children and none of them trains the same key
(a ``Pipeline`` allows none, so its steps' ``fit`` calls are not logged twice).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import warnings
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, fields
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = [
    "AUTOLOGGING_TAG",
    "Hook",
    "Options",
    "capture",
    "configure",
    "get_options",
    "patch",
    "patch_plain",
    "report",
    "revert",
]

AUTOLOGGING_TAG = "mlflow.autologging"
_logger = logging.getLogger("modelyard.autologging")

Hook = Callable[..., Generator[tuple[tuple[Any, ...], dict[str, Any]], Any, None]]


@dataclass(frozen=True)
class Options:
    """One integration's settings, as given to its ``autolog(...)`` call: the options every
    integration takes as attributes, the integration's own ones by :meth:`get`."""

    flavor: str
    log_input_examples: bool
    log_model_signatures: bool
    log_models: bool
    exclusive: bool
    silent: bool
    registered_model_name: str | None
    extra_tags: dict[str, Any] | None
    values: dict[str, Any]
    """Every argument of the ``autolog(...)`` call."""

    @classmethod
    def of(cls, flavor: str, values: dict[str, Any]) -> Options:
        common = {f.name: values[f.name] for f in fields(cls) if f.name not in ("flavor", "values")}
        return cls(flavor=flavor, values=dict(values), **common)

    def get(self, name: str) -> Any:
        return self.values.get(name)

    @property
    def run_tags(self) -> dict[str, str]:
        tags = {str(k): str(v) for k, v in (self.extra_tags or {}).items()}
        tags.pop(AUTOLOGGING_TAG, None)
        tags[AUTOLOGGING_TAG] = self.flavor
        return tags


@dataclass
class _Patched:
    owner: Any
    name: str
    had_own: bool
    saved: Any


@dataclass
class _Session:
    key: Any
    allow_children: bool


_lock = threading.RLock()
_options: dict[str, Options] = {}
_patches: dict[str, list[_Patched]] = {}
_sessions: list[_Session] = []  # process-wide, as MLflow's (worker threads see their parent)
_managed_runs: set[str] = set()


def configure(flavor: str, values: dict[str, Any]) -> Options | None:
    """Validate the common options, revert earlier patches of ``flavor``; return the options to
    patch with, or None when ``disable=True`` (the originals are then back in place)."""
    extra_tags = values.get("extra_tags")
    if extra_tags is not None and not isinstance(extra_tags, dict):
        raise InvalidParameterValue(
            f"Invalid 'extra_tags' type: expected a dict, got {type(extra_tags).__name__}"
        )
    if isinstance(extra_tags, dict) and AUTOLOGGING_TAG in extra_tags and not values.get("silent"):
        _logger.warning(
            "Tag %r in 'extra_tags' is reserved by autologging; ignored", AUTOLOGGING_TAG
        )
    revert(flavor)
    if values.get("disable"):
        return None
    options = Options.of(flavor, values)
    with _lock:
        _options[flavor] = options
    return options


def get_options(flavor: str) -> Options | None:
    return _options.get(flavor)


def revert(flavor: str) -> None:
    """Put back every original that ``flavor`` replaced and forget its options."""
    with _lock:
        _options.pop(flavor, None)
        for item in reversed(_patches.pop(flavor, [])):
            if item.had_own:
                setattr(item.owner, item.name, item.saved)
            else:
                with contextlib.suppress(AttributeError):
                    delattr(item.owner, item.name)


def _record(flavor: str, owner: Any, name: str, replacement: Any) -> None:
    own = vars(owner) if hasattr(owner, "__dict__") else {}
    with _lock:
        _patches.setdefault(flavor, []).append(_Patched(owner, name, name in own, own.get(name)))
        setattr(owner, name, replacement)


def report(options: Options | None, message: str, *args: Any) -> None:
    """Log a warning from autologging unless the integration is silent."""
    if options is None or not options.silent:
        _logger.warning(message, *args)


@contextlib.contextmanager
def capture(options: Options) -> Iterator[None]:
    """Run autologging's own code with warnings turned into log records (or dropped)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for item in caught:
                report(options, "%s: %s", item.category.__name__, item.message)


@contextlib.contextmanager
def _session(key: Any, allow_children: bool) -> Iterator[bool]:
    with _lock:
        parents = list(_sessions)
        allowed = all(s.allow_children for s in parents)
        should_log = allowed and all(s.key is not key for s in parents)
        _sessions.append(_Session(key, allow_children and allowed))
    try:
        yield should_log
    finally:
        with _lock:
            _sessions.pop()


def _start_managed_run(options: Options) -> str | None:
    from modelyard.client import fluent

    run = fluent.active_run()
    if run is not None:
        return None
    run = fluent.start_run(tags=options.run_tags)
    _managed_runs.add(run.info.run_id)
    if not options.silent:
        _logger.info(
            "Created autologging run %s for the current %s workflow",
            run.info.run_id,
            options.flavor,
        )
    return run.info.run_id


def _end_managed_run(run_id: str | None, status: str) -> None:
    if run_id is None:
        return
    from modelyard.client import fluent

    _managed_runs.discard(run_id)
    active = fluent.active_run()
    if active is not None and active.info.run_id == run_id:
        fluent.end_run(status)


def _user_run_active() -> bool:
    from modelyard.client import fluent

    run = fluent.active_run()
    return run is not None and run.info.run_id not in _managed_runs


def patch(
    flavor: str,
    owner: Any,
    name: str,
    hook: Hook,
    *,
    allow_children: bool = False,
    method: bool = True,
) -> None:
    """Replace ``owner.name`` by a wrapper that runs ``hook`` around the original, inside a run
    (the active one, or one it starts and ends: FINISHED, or FAILED when training raises)."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        options = _options.get(flavor)
        if options is None:
            return original(*args, **kwargs)
        key = type(args[0]) if method and args else original
        with _session(key, allow_children) as should_log:
            if not should_log or (options.exclusive and _user_run_active()):
                return original(*args, **kwargs)
            return _call(options, original, hook, args, kwargs)

    _record(flavor, owner, name, wrapper)


def patch_plain(
    flavor: str, owner: Any, name: str, make: Callable[[Any], Callable[..., Any]]
) -> None:
    """Replace ``owner.name`` by ``make(original)`` (no run, no session); for helpers such as
    remembering a ``DMatrix``'s first rows."""
    _record(flavor, owner, name, make(getattr(owner, name)))


def _call(
    options: Options,
    original: Callable[..., Any],
    hook: Hook,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    run_id: str | None = None
    steps: Generator[tuple[tuple[Any, ...], dict[str, Any]], Any, None] | None = None
    call_args, call_kwargs = args, kwargs
    try:
        with capture(options):
            run_id = _start_managed_run(options)
            steps = hook(*args, **kwargs)
            call_args, call_kwargs = next(steps)
    except Exception as exc:  # autologging must never break training
        report(options, "Autologging (%s) failed before training: %s", options.flavor, exc)
        steps, call_args, call_kwargs = None, args, kwargs
    try:
        result = original(*call_args, **call_kwargs)
    except BaseException:
        if steps is not None:
            with contextlib.suppress(Exception):
                steps.close()
        _end_managed_run(run_id, "FAILED")
        raise
    if steps is not None:
        try:
            with capture(options):
                try:
                    steps.send(result)
                except StopIteration:
                    pass
                else:
                    steps.close()  # a hook that yields twice is stopped there
        except Exception as exc:
            report(options, "Autologging (%s) failed after training: %s", options.flavor, exc)
    _end_managed_run(run_id, "FINISHED")
    return result
