"""Real servers for the serving tests: subprocesses with several uvicorn workers, a real SQLite
registry with real scikit-learn models, real HTTP."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving_helpers import fit, free_port, training_data


class Server:
    def __init__(self, args: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._log = open(log, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "modelyard.cli.main", *args],
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.log_path = log

    def wait_ready(self, timeout: float = 180.0, workers: int = 1) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/ping", timeout=2).status_code == 200:
                    text = self.log_path.read_text()
                    if text.count("Application startup complete") >= workers:
                        return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"server not ready: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


@pytest.fixture(scope="module")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def _start(args: list[str], env: dict[str, str], workers: int = 2) -> Server:
        port = free_port()
        log = tmp_path_factory.mktemp("server") / "server.log"
        server = Server([*args, "--port", str(port)], env, port, log)
        servers.append(server)
        server.wait_ready(workers=workers)
        return server

    yield _start
    for s in servers:
        s.stop()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved (unregistered) sklearn model with a signature."""
    import modelyard.sklearn
    from modelyard.models.signature import infer_signature

    X, _ = training_data()
    model = fit()
    path = tmp_path_factory.mktemp("models") / "churn"
    modelyard.sklearn.save_model(model, str(path), signature=infer_signature(X, model.predict(X)))
    return path


class Registry:
    """A SQLite tracking/registry store and a serving home, shared with the servers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.uri = f"sqlite:///{root / 'tracking.db'}"
        self.home = root / "serving"
        self.env = {
            "MLFLOW_TRACKING_URI": self.uri,
            "MODELYARD_SERVING_HOME": str(self.home),
            "MODELYARD_ARTIFACT_ROOT": (root / "artifacts").as_uri(),
        }
        for key, value in self.env.items():
            os.environ[key] = value
        import modelyard

        modelyard.set_tracking_uri(self.uri)

    def register(self, name: str, flip: bool = False, stage: str | None = None) -> str:
        import modelyard
        from modelyard.models.signature import infer_signature

        X, _ = training_data()
        model = fit(flip)
        with modelyard.start_run():
            info = modelyard.sklearn.log_model(
                model,
                name="model",
                registered_model_name=name,
                signature=infer_signature(X, model.predict(X)),
            )
        version = str(info.registered_model_version)
        if stage:
            self.client().transition_model_version_stage(name, version, stage)
        return version

    def break_version(self, name: str, version: str) -> None:
        """Make a version unloadable: remove its model binary from the artifact store."""
        from urllib.parse import urlparse

        uri = self.client().get_model_version_download_uri(name, version)
        if uri.startswith("models:/m-"):
            uri = self.client().get_logged_model(uri[len("models:/") :]).artifact_location
        local = Path(urlparse(uri).path) if uri.startswith("file:") else Path(uri)
        backup = local.with_name(local.name + ".intact")
        if not backup.exists():
            shutil.copytree(local, backup)
        for f in local.iterdir():
            if f.name.startswith("model.") or f.is_dir():
                if f.is_dir():
                    shutil.rmtree(f)
                else:
                    f.write_bytes(b"not a model")

    def repair_version(self, name: str, version: str) -> None:
        """Undo :meth:`break_version`: put the model's files back."""
        from urllib.parse import urlparse

        uri = self.client().get_model_version_download_uri(name, version)
        if uri.startswith("models:/m-"):
            uri = self.client().get_logged_model(uri[len("models:/") :]).artifact_location
        local = Path(urlparse(uri).path) if uri.startswith("file:") else Path(uri)
        shutil.rmtree(local)
        shutil.copytree(local.with_name(local.name + ".intact"), local)

    def client(self) -> Any:
        import modelyard

        return modelyard.MlflowClient()


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A registry for one test module; the environment and tracking URI are restored after."""
    import modelyard

    keys = ("MLFLOW_TRACKING_URI", "MODELYARD_SERVING_HOME", "MODELYARD_ARTIFACT_ROOT")
    saved = {k: os.environ.get(k) for k in keys}
    yield Registry(tmp_path_factory.mktemp("registry"))
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    modelyard.set_tracking_uri(None)
