"""Real receivers on 127.0.0.1: an HTTP receiver thread (answers 200, 500 or hangs), an SMTP
server process (aiosmtpd), and a monitor on a Parquet table with one file per day."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

DAY0 = pd.Timestamp("2026-11-02", tz="UTC")


@pytest.fixture(autouse=True)
def _alert_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the receivers are local: let the webhook SSRF rules allow loopback over http
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS", "true")
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOWED_SCHEMES", "http,https")
    monkeypatch.setenv("MODELYARD_ALERTS_BACKOFF_MS", "20")
    monkeypatch.setenv("MODELYARD_ALERTS_MAX_RETRIES", "2")
    monkeypatch.setenv("MODELYARD_ALERTS_TIMEOUT", "5")
    monkeypatch.setenv("MODELYARD_ARTIFACT_ROOT", (tmp_path / "artifacts").as_uri())
    monkeypatch.setenv("MODELYARD_ENV_ROOT", str(tmp_path / "envs"))
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)


@pytest.fixture
def db_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    import modelyard

    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    modelyard.set_tracking_uri(uri)
    yield uri
    modelyard.set_tracking_uri(None)


class Receiver:
    """Records every POST; ``mode`` is ``ok``, ``fail`` (500) or ``hang`` (until released)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.mode = "ok"
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("content-length", 0))
                body = self.rfile.read(size).decode()
                outer.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                if outer.mode == "hang":
                    outer.release.wait(60)
                self.send_response(500 if outer.mode == "fail" else 200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests if r["path"] == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.release.set()
    r.server.shutdown()
    r.server.server_close()


_SMTP_SERVER = textwrap.dedent(
    """
    import pathlib, ssl, sys, threading
    from aiosmtpd.controller import Controller

    out, mode, port = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    tls = {}
    if mode == "starttls":  # STARTTLS required before MAIL
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(sys.argv[4], sys.argv[5])
        tls = {"tls_context": context, "require_starttls": True}

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if mode == "refuse":
                return "550 5.7.1 relaying denied"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            n = len(list(out.glob("*.eml")))
            tmp = out / f"{n:04d}.tmp"
            tmp.write_bytes(envelope.original_content or envelope.content)
            tmp.rename(out / f"{n:04d}.eml")
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port, **tls)
    controller.start()
    (out / "ready").write_text("ok")
    threading.Event().wait()
    """
)


class SmtpServer:
    def __init__(self, folder: Path, mode: str, extra: tuple[str, ...] = ()) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        script = folder / "server.py"
        script.write_text(_SMTP_SERVER)
        self.process = subprocess.Popen(
            [sys.executable, str(script), str(folder), mode, str(self.port), *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(600):  # a busy machine: up to a minute to start
            if (folder / "ready").exists() or self.process.poll() is not None:
                break
            time.sleep(0.1)
        if not (folder / "ready").exists():
            self.process.kill()
            raise RuntimeError(f"SMTP server did not start: {self.process.stderr.read()!r}")

    def messages(self) -> list[Any]:
        from email import message_from_bytes, policy

        return [
            message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(self.folder.glob("*.eml"))
        ]

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(30)
        if self.process.stderr:
            self.process.stderr.close()


def _smtp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, extra: tuple[str, ...] = ()
) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path / f"smtp-{mode}", mode, extra)
    monkeypatch.setenv("MODELYARD_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MODELYARD_SMTP_PORT", str(server.port))
    monkeypatch.setenv("MODELYARD_SMTP_FROM", "alerts@modelyard.test")
    yield server
    server.stop()


@pytest.fixture
def smtp_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    yield from _smtp(tmp_path, monkeypatch, "accept")


@pytest.fixture
def refusing_smtp_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    yield from _smtp(tmp_path, monkeypatch, "refuse")


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (IP SAN) and its key; the certificate is its own CA."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def starttls_smtp_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """An SMTP server that requires STARTTLS; ``.ca_file`` verifies its certificate."""
    cert, key = _self_signed(tmp_path / "tls")
    for server in _smtp(tmp_path, monkeypatch, "starttls", (str(cert), str(key))):
        server.ca_file = str(cert)  # type: ignore[attr-defined]
        yield server


# ---------------------------------------------------------------- a monitored table
def day_frame(day: int, shift: float = 0.0, n: int = 600, seed: int | None = None) -> pd.DataFrame:
    """One day of scored rows; ``shift`` moves the features ``a`` and ``b`` by that many
    standard deviations (``c`` never drifts)."""
    rng = np.random.default_rng(1000 + day if seed is None else seed)
    ts = DAY0 + pd.Timedelta(days=day) + pd.to_timedelta(rng.uniform(0, 86_000, n), "s")
    return pd.DataFrame(
        {
            "ts": ts,
            "a": rng.normal(0, 1, n) + shift,
            "b": rng.normal(5, 2, n) + 2 * shift,
            "c": rng.normal(-3, 1, n),
            "prediction": rng.integers(0, 2, n),
        }
    )


class Table:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True)

    def add_day(self, day: int, shift: float = 0.0) -> None:
        day_frame(day, shift).to_parquet(self.folder / f"day-{day:03d}.parquet")


@pytest.fixture
def table(tmp_path: Path) -> Table:
    return Table(tmp_path / "inference")


@pytest.fixture
def monitor(tmp_path: Path, table: Table) -> str:
    from modelyard.monitoring import create_monitor

    baseline = pd.concat([day_frame(-i, seed=i) for i in range(1, 4)], ignore_index=True)
    table.add_day(0)
    create_monitor(
        "churn",
        table=str(table.folder),
        profile="inference",
        timestamp_col="ts",
        prediction_col="prediction",
        granularities=["1 day"],
        baseline=baseline.drop(columns=["ts"]),
        root=str(tmp_path / "monitors"),
    )
    return str(tmp_path / "monitors")


def wait_for(predicate: Any, what: str, tries: int = 600) -> None:
    for _ in range(tries):
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


__all__ = ["DAY0", "Receiver", "SmtpServer", "Table", "day_frame", "wait_for"]
