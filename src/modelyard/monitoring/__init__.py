"""Monitoring: data drift between a reference (training) table and current (inference) data.

``detect_drift(reference, current)`` tests every column and returns a :class:`DriftReport`;
``profile(data)`` summarises a reference table once (JSON-serialisable) so drift can be computed
without the raw training data; ``log_baseline`` (``set_baseline``) / ``get_baseline`` store that
profile with a registered model version through the public client, and ``find_baseline`` picks
the version (Production, else newest). See docs/monitoring.md.

numpy, pandas and scipy are imported only when a function runs.
"""

from modelyard.monitoring.baseline import (
    Baseline,
    find_baseline,
    get_baseline,
    load_profile,
    log_baseline,
    log_profile,
    set_baseline,
)
from modelyard.monitoring.drift import detect_drift
from modelyard.monitoring.monitors import (
    Monitor,
    create_monitor,
    delete_monitor,
    get_monitor,
    list_monitors,
    log_labels,
    refresh_monitor,
)
from modelyard.monitoring.profiles import ColumnProfile, Profile, profile
from modelyard.monitoring.report import ColumnDrift, DriftReport

__all__ = [
    "Baseline",
    "ColumnDrift",
    "ColumnProfile",
    "DriftReport",
    "Monitor",
    "Profile",
    "create_monitor",
    "delete_monitor",
    "detect_drift",
    "find_baseline",
    "get_monitor",
    "get_baseline",
    "list_monitors",
    "log_labels",
    "load_profile",
    "log_baseline",
    "log_profile",
    "profile",
    "refresh_monitor",
    "set_baseline",
]
