"""Sending one notification: a webhook POST, a Slack-compatible message, an e-mail, a job run.

Webhook and Slack messages go through the webhook sender of the outbox
(:func:`modelyard.services.webhook_delivery.send`): the URL is checked again after DNS (the
SSRF rules of the webhooks, ``MLFLOW_WEBHOOK_ALLOWED_SCHEMES``,
``MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS``, ``MODELYARD_WEBHOOK_ALLOWED_HOSTS``) and a webhook with a
secret is signed (``X-MLflow-Signature``). E-mail uses :mod:`smtplib` with the settings
``MODELYARD_SMTP_HOST`` (required), ``MODELYARD_SMTP_PORT`` (25), ``MODELYARD_SMTP_STARTTLS``
(false; the certificate is verified, against ``MODELYARD_SMTP_CA_FILE`` when set),
``MODELYARD_SMTP_USER`` / ``MODELYARD_SMTP_PASSWORD`` (login when set) and
``MODELYARD_SMTP_FROM`` (``modelyard@localhost``). A job action calls the Jobs API's
``run-now`` on the alert store's database.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from modelyard.errors import ModelyardError

__all__ = ["Outcome", "email_text", "send_notification", "slack_text"]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retryable: bool
    result: str | None
    error: str | None


def slack_text(message: dict[str, Any]) -> str:
    icon = ":rotating_light:" if message["state"] == "TRIGGERED" else ":white_check_mark:"
    value = message.get("value")
    shown = "" if value is None else f" (value {value:g})"
    return (
        f"{icon} modelyard alert *{message['alert']}* is {message['state']}: "
        f"{message['condition']}{shown}, window {message.get('window') or '-'}"
    )


def email_text(message: dict[str, Any]) -> tuple[str, str]:
    subject = f"[modelyard] {message['alert']} {message['state']}: {message['condition']}"
    lines = [
        f"Alert:     {message['alert']}",
        f"State:     {message['previous_state']} -> {message['state']}",
        f"Condition: {message['condition']}",
        f"Window:    {message.get('window') or '-'}",
        f"Value:     {message.get('value')}",
        "",
        "Evidence:",
        json.dumps(message.get("evidence", {}), indent=2, sort_keys=True, default=str),
    ]
    return subject, "\n".join(lines) + "\n"


def _http(url: str, notification_id: str, body: str, secret: str | None, timeout: float) -> Outcome:
    from modelyard.services.webhook_delivery import send

    result = send(url, notification_id, body, secret, timeout)
    status = None if result.status is None else str(result.status)
    if result.ok:
        return Outcome(True, False, status, None)
    return Outcome(False, result.retryable, status, result.error or f"HTTP {result.status}")


def _email(to: list[str], message: dict[str, Any], timeout: float) -> Outcome:
    import smtplib
    from email import policy
    from email.message import EmailMessage

    host = os.environ.get("MODELYARD_SMTP_HOST", "")
    if not host:
        return Outcome(False, False, None, "MODELYARD_SMTP_HOST is not set: no SMTP server")
    port = int(os.environ.get("MODELYARD_SMTP_PORT", "") or 25)
    subject, body = email_text(message)
    # headers folded only past 998 characters (RFC 5322): the subject is short (a name of at
    # most 128 characters and one line), and Python's folder may break right after "Subject:"
    mail = EmailMessage(policy=policy.default.clone(max_line_length=998))
    mail["Subject"] = subject
    mail["From"] = os.environ.get("MODELYARD_SMTP_FROM") or "modelyard@localhost"
    mail["To"] = ", ".join(to)
    mail.set_content(body)
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            if os.environ.get("MODELYARD_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"):
                import ssl

                cafile = os.environ.get("MODELYARD_SMTP_CA_FILE") or None
                smtp.starttls(context=ssl.create_default_context(cafile=cafile))
            user = os.environ.get("MODELYARD_SMTP_USER")
            if user:
                smtp.login(user, os.environ.get("MODELYARD_SMTP_PASSWORD", ""))
            refused = smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused
        reasons = "; ".join(
            f"{rcpt}: {code} {msg.decode('utf-8', 'replace') if isinstance(msg, bytes) else msg}"
            for rcpt, (code, msg) in exc.recipients.items()
        )
        return Outcome(False, True, None, f"SMTP refused the recipients ({reasons})")
    except smtplib.SMTPResponseException as exc:
        err = exc.smtp_error
        text = err.decode("utf-8", "replace") if isinstance(err, bytes) else str(err)
        return Outcome(False, True, str(exc.smtp_code), f"SMTP {exc.smtp_code}: {text}")
    except (OSError, smtplib.SMTPException) as exc:  # refused connection, timeout, TLS
        return Outcome(False, True, None, f"{type(exc).__name__}: {exc}")
    if refused:
        return Outcome(True, False, "250", f"refused recipients: {sorted(refused)}")
    return Outcome(True, False, "250", None)


def _job(jobs_uri: str, payload: dict[str, Any]) -> Outcome:
    from modelyard.jobs import JobsClient

    try:
        run_id = JobsClient(jobs_uri).run_now(int(payload["job_id"]), payload["job_parameters"])
    except ModelyardError as exc:
        return Outcome(False, False, None, f"{exc.error_code}: {exc.message}")
    except OSError as exc:
        return Outcome(False, True, None, f"{type(exc).__name__}: {exc}")
    return Outcome(True, False, str(run_id), None)


def send_notification(
    kind: str,
    notification_id: str,
    payload: dict[str, Any],
    *,
    secret: str | None,
    jobs_uri: str,
    timeout: float,
) -> Outcome:
    """One attempt; never raises for a channel's failure (the outcome says what happened)."""
    message = payload.get("message", {})
    if kind == "webhook":
        from modelyard.services.webhooks import envelope

        body = envelope("monitor.alert", message)
        return _http(payload["url"], notification_id, body, secret, timeout)
    if kind == "slack":
        body = json.dumps({"text": slack_text(message)})
        return _http(payload["url"], notification_id, body, None, timeout)
    if kind == "email":
        return _email(list(payload["to"]), message, timeout)
    if kind == "job":
        return _job(jobs_uri, payload)
    return Outcome(False, False, None, f"unknown notification kind {kind!r}")
