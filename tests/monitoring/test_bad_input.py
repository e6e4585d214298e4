"""Bad input: a clear modelyard error naming the column, or a per-column finding; never a
traceback from numpy/scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.errors import InvalidParameterValue
from modelyard.monitoring import Profile, detect_drift, profile


def _ref(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.exponential(size=n),
            "color": rng.choice(["red", "green", "blue"], size=n),
        }
    )


def test_column_missing_from_current_is_a_drift_finding():
    report = detect_drift(_ref(), _ref(seed=1).drop(columns=["b"]))
    b = report["b"]
    assert b.drift and b.method == "schema"
    assert b.reasons == ["column missing from the current data"]
    assert report.drifted_columns == ["b"]


def test_extra_current_column_is_reported():
    cur = _ref(seed=1).assign(extra=1.0)
    report = detect_drift(_ref(), cur)
    assert "column 'extra' is only in the current data" in report.findings
    assert report.drifted_columns == []


def test_requested_column_missing_is_an_error():
    with pytest.raises(InvalidParameterValue, match="'zzz' is not in the reference data"):
        detect_drift(_ref(), _ref(seed=1), columns=["a", "zzz"])
    with pytest.raises(InvalidParameterValue, match="'zzz'"):
        detect_drift(_ref(), _ref(seed=1), target_column="zzz")


def test_type_change_is_a_drift_finding_naming_the_values():
    cur = _ref(seed=1)
    cur["a"] = cur["a"].astype(object)
    cur.loc[cur.index[:3], "a"] = "oops"
    report = detect_drift(_ref(), cur)
    a = report["a"]
    assert a.drift and a.method == "schema"
    assert "type changed" in a.reasons[0] and "'oops'" in a.reasons[0]


def test_numbers_stored_as_text_are_read_as_numbers():
    cur = _ref(seed=1)
    cur["a"] = cur["a"].map(repr)
    report = detect_drift(_ref(), cur)
    assert report["a"].method == "ks" and not report["a"].drift


def test_non_numeric_column_listed_as_numerical_is_an_error():
    with pytest.raises(InvalidParameterValue, match="Column 'color'.*numerical"):
        detect_drift(_ref(), _ref(seed=1), numerical_columns=["color"])


def test_column_listed_twice_is_an_error():
    with pytest.raises(InvalidParameterValue, match="both numerical and categorical"):
        detect_drift(_ref(), _ref(), numerical_columns=["a"], categorical_columns=["a"])


def test_empty_frames_are_errors():
    with pytest.raises(InvalidParameterValue, match="reference data has no rows"):
        detect_drift(_ref().iloc[:0], _ref())
    with pytest.raises(InvalidParameterValue, match="current data has no rows"):
        detect_drift(_ref(), _ref().iloc[:0])


def test_not_a_table_is_an_error():
    with pytest.raises(InvalidParameterValue, match="pandas DataFrame, a pyarrow Table"):
        detect_drift([1, 2, 3], _ref())
    with pytest.raises(InvalidParameterValue, match="current data must be"):
        detect_drift(_ref(), {"a": [1]})


def test_bad_parameters_are_errors():
    with pytest.raises(InvalidParameterValue, match="alpha"):
        detect_drift(_ref(), _ref(), alpha=2)
    with pytest.raises(InvalidParameterValue, match="correction"):
        detect_drift(_ref(), _ref(), correction="sidak")
    with pytest.raises(InvalidParameterValue, match="numerical_threshold"):
        detect_drift(_ref(), _ref(), numerical_threshold="x")


def test_all_nan_columns():
    ref = _ref()
    ref["empty"] = np.nan
    same = _ref(seed=1).assign(empty=np.nan)
    report = detect_drift(ref, same, numerical_columns=["a", "b", "empty"])
    e = report["empty"]
    assert not e.drift
    assert "all values are missing in the reference" in e.findings
    assert e.method == "missing-share"
    # the column gets values: its missing share fell from 100 %
    filled = same.assign(empty=1.0)
    e2 = detect_drift(ref, filled, numerical_columns=["a", "b", "empty"])["empty"]
    assert e2.drift and "missing share 100.0% -> 0.0%" in e2.reasons
    # a column that becomes all-missing
    cur = _ref(seed=1)
    cur["a"] = np.nan
    a = detect_drift(_ref(), cur)["a"]
    assert a.drift and "all values are missing in the current data" in a.findings


def test_all_none_object_column_in_reference():
    ref = _ref().assign(note=None)
    cur = _ref(seed=1).assign(note="x")
    note = detect_drift(ref, cur)["note"]
    assert note.kind == "categorical" and note.drift
    assert note.unseen_categories == ["x"]


def test_constant_columns():
    ref = _ref().assign(k=3.0, s="same")
    same = detect_drift(ref, _ref(seed=1).assign(k=3.0, s="same"))
    assert not same["k"].drift and not same["s"].drift
    assert any("constant in the reference" in f for f in same["k"].findings)
    assert any("constant in the reference" in f for f in same["s"].findings)
    moved = detect_drift(ref, _ref(seed=1).assign(k=4.0), numerical_columns=["a", "b", "k"])
    assert moved["k"].drift
    assert any("outside the reference range" in f for f in moved["k"].findings)


def test_mixed_type_object_column_is_categorical():
    ref = _ref()
    ref["mixed"] = pd.Series([1, "a", 2.5, None] * 500, dtype=object)
    cur = _ref(seed=1)
    cur["mixed"] = pd.Series([1, "a", 2.5, None] * 500, dtype=object)
    m = detect_drift(ref, cur)["mixed"]
    assert m.kind == "categorical" and not m.drift
    assert m.missing_share_reference == pytest.approx(0.25)


def test_int_labels_match_float_labels_after_nans():
    ref = pd.DataFrame({"g": np.tile(np.arange(5), 400)})
    cur = pd.DataFrame({"g": np.tile(np.arange(5), 400).astype(float)})
    report = detect_drift(ref, cur)
    assert report["g"].kind == "categorical"
    assert report["g"].unseen_categories == [] and not report["g"].drift


def test_datetime_columns_are_skipped_unless_numerical():
    ref = _ref().assign(ts=pd.date_range("2024-01-01", periods=2000, freq="h"))
    cur = _ref(seed=1).assign(ts=pd.date_range("2024-06-01", periods=2000, freq="h"))
    report = detect_drift(ref, cur)
    assert "ts" not in [c.column for c in report]
    assert any("'ts' skipped" in f for f in report.findings)
    ts = detect_drift(ref, cur, numerical_columns=["ts"])["ts"]
    assert ts.drift


def test_duplicate_column_names_are_an_error():
    df = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(InvalidParameterValue, match="duplicated column names: 'a'"):
        detect_drift(df, df)


def test_malformed_profiles_are_errors():
    with pytest.raises(InvalidParameterValue, match="Not a modelyard column profile"):
        Profile.from_json('{"format": "other"}')
    with pytest.raises(InvalidParameterValue, match="must be JSON"):
        Profile.from_json("{")
    prof = profile(_ref())
    with pytest.raises(InvalidParameterValue, match="'nope' is not in the reference profile"):
        detect_drift(prof, _ref(), columns=["nope"])
    with pytest.raises(InvalidParameterValue, match="'color' is categorical in the profile"):
        detect_drift(prof, _ref(), numerical_columns=["color"])


def test_pandas_extension_dtypes_and_arrow_encodings_agree():
    import pyarrow as pa

    rng = np.random.default_rng(0)
    n = 3000
    ref = pd.DataFrame(
        {
            0: rng.normal(size=n),  # a non-string column label
            "s": pd.Categorical(rng.choice(list("abc"), n)),
            "ts": pd.date_range("2024-01-01", periods=n, freq="min", tz="UTC"),
            "i": pd.array(rng.integers(0, 100, n), dtype="Int64"),
            "b": rng.random(n) < 0.5,
            "st": pd.array(rng.choice(list("xy"), n), dtype="string"),
        }
    )
    cur = ref.copy()
    cur.loc[:10, "i"] = pd.NA
    cols = ["0", "s", "ts", "i", "b", "st"]
    a = detect_drift(ref, cur, numerical_columns=["ts"], columns=cols)
    t = pa.Table.from_pandas(ref, preserve_index=False)
    t = t.set_column(1, "s", t.column("s").cast(pa.string()).dictionary_encode())
    b = detect_drift(
        t, pa.Table.from_pandas(cur, preserve_index=False), numerical_columns=["ts"], columns=cols
    )
    assert a.to_dict()["columns"] == b.to_dict()["columns"]
    assert [(c.column, c.kind) for c in a] == [
        ("0", "numerical"),
        ("s", "categorical"),
        ("ts", "numerical"),
        ("i", "numerical"),
        ("b", "categorical"),
        ("st", "categorical"),
    ]
    assert a["i"].missing_share_current == pytest.approx(11 / n)
    assert a.drifted_columns == []
