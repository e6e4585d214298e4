"""The flavor contract over every built-in flavor, with real libraries and real files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.testing.flavor_contract import FlavorCase, FlavorContract


def _data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(80, 3)), columns=["age", "income", "score"])
    y = (X["age"] + 0.5 * X["score"] > 0).astype(int).to_numpy()
    return X, y


class TestSklearnSkops(FlavorContract):
    flavor_name = "sklearn"

    def make_case(self) -> FlavorCase:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        import modelyard.sklearn as flavor

        X, y = _data()
        model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
        return FlavorCase(model, X, save=flavor.save_model, load_native=flavor.load_model)


class TestSklearnCloudpickle(FlavorContract):
    flavor_name = "sklearn"

    def make_case(self) -> FlavorCase:
        from sklearn.ensemble import RandomForestRegressor

        import modelyard.sklearn as flavor

        X, y = _data()
        model = RandomForestRegressor(n_estimators=5, random_state=0).fit(X, y * 2.5)
        return FlavorCase(
            model,
            X,
            save=flavor.save_model,
            load_native=flavor.load_model,
            save_kwargs={"serialization_format": "cloudpickle"},
        )


class TestXGBoost(FlavorContract):
    flavor_name = "xgboost"

    def make_case(self) -> FlavorCase:
        import xgboost as xgb

        import modelyard.xgboost as flavor

        X, y = _data()
        model = xgb.XGBClassifier(n_estimators=8, max_depth=3).fit(X, y)
        return FlavorCase(model, X, save=flavor.save_model, load_native=flavor.load_model)


class TestXGBoostBooster(FlavorContract):
    flavor_name = "xgboost"

    def make_case(self) -> FlavorCase:
        import xgboost as xgb

        import modelyard.xgboost as flavor

        X, y = _data()
        booster = xgb.train({"max_depth": 3}, xgb.DMatrix(X, y), num_boost_round=6)
        return FlavorCase(
            booster,
            X,
            save=flavor.save_model,
            load_native=flavor.load_model,
            predict=lambda m, data: m.predict(xgb.DMatrix(data)),
            save_kwargs={"model_format": "json"},
        )


class TestLightGBM(FlavorContract):
    flavor_name = "lightgbm"

    def make_case(self) -> FlavorCase:
        import lightgbm as lgb

        import modelyard.lightgbm as flavor

        X, y = _data()
        model = lgb.LGBMRegressor(n_estimators=8, verbose=-1).fit(X, y)
        return FlavorCase(model, X, save=flavor.save_model, load_native=flavor.load_model)


class TestLightGBMBooster(FlavorContract):
    flavor_name = "lightgbm"

    def make_case(self) -> FlavorCase:
        import lightgbm as lgb

        import modelyard.lightgbm as flavor

        X, y = _data()
        booster = lgb.train({"verbose": -1}, lgb.Dataset(X, y), num_boost_round=6)
        return FlavorCase(booster, X, save=flavor.save_model, load_native=flavor.load_model)


class TestCustomPythonModel(FlavorContract):
    flavor_name = "python_function"

    def make_case(self) -> FlavorCase:
        from modelyard.pyfunc import PythonModel, save_model

        class Doubler(PythonModel):
            def predict(self, context, model_input, params=None):
                return model_input["age"].to_numpy() * 2 + model_input["income"].to_numpy()

        X, _ = _data()

        def save(model, path, **kwargs):
            return save_model(path, python_model=model, **kwargs)

        return FlavorCase(
            Doubler(),
            X,
            save=save,
            predict=lambda m, data: m.predict(None, data),
        )


def test_contract_requires_subclass() -> None:
    with pytest.raises(NotImplementedError):
        FlavorContract().make_case()
