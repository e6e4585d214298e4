from pathlib import Path

from modelyard.automl._paths import default_output_dir


def test_default_output_dir_stays_under_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("/Users/me@company.com/churn", "../../etc/passwd", "a/./b", "/"):
        out = default_output_dir(name)
        assert out.is_relative_to(Path(tmp_path) / "automl"), (name, out)
    assert default_output_dir("/Users/me@company.com/churn") == (
        tmp_path / "automl" / "Users" / "me@company.com" / "churn"
    )
