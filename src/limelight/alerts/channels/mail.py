"""Email over SMTP (smtplib): STARTTLS when the server offers it, login when a user is set."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import httpx

from limelight.alerts.channels.base import (
    ChannelError,
    Notification,
    Outcome,
    iso,
    required_text,
)

TIMEOUT_S = 15.0


def validate(properties: dict[str, Any]) -> None:
    recipients(properties)
    required_text(properties, "smtp_host")
    port = properties.get("smtp_port", 25)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ChannelError("smtp_port", f"{port!r} is not a port number")
    for key in ("smtp_user", "smtp_password", "from"):
        if key in properties and not isinstance(properties[key], str):
            raise ChannelError(key, "must be a string")


def recipients(properties: dict[str, Any]) -> list[str]:
    to = properties.get("to")
    found = [to] if isinstance(to, str) else to
    if not isinstance(found, list) or not found or not all(
        isinstance(a, str) and "@" in a for a in found
    ):
        raise ChannelError("to", "give an email address or a list of them")
    return found


def compose(properties: dict[str, Any], note: Notification) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = f"[{note.severity.upper()}] {note.summary()}"[:250]
    mail["From"] = properties.get("from") or f"limelight@{socket.getfqdn()}"
    mail["To"] = ", ".join(recipients(properties))
    mail["Date"] = formatdate(note.time_ms / 1000, localtime=False, usegmt=True)
    mail["Message-ID"] = make_msgid(domain=socket.getfqdn())
    lines = [
        note.summary(),
        "",
        f"Alert:      {note.name} ({note.ref})",
        f"Severity:   {note.severity}",
        f"{'Last value:' if note.reason else 'Value:':<12}{note.value_text}",
        f"Threshold:  {note.threshold}",
    ]
    if note.group:
        lines.append(f"Group:      {note.group_text}")
    lines.append(f"{'Since' if note.state == 'firing' else 'Resolved'}:      {iso(note.since_ms)}")
    if note.description:
        lines += ["", note.description]
    lines += ["", f"Query: {note.link}"]
    mail.set_content("\n".join(lines) + "\n")
    return mail


def deliver(properties: dict[str, Any], mail: EmailMessage) -> Outcome:
    """Blocking SMTP conversation; SMTP 4xx and connection failures are worth retrying."""
    host, port = properties["smtp_host"], int(properties.get("smtp_port", 25))
    try:
        with smtplib.SMTP(host, port, timeout=TIMEOUT_S) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if properties.get("smtp_user"):
                smtp.login(properties["smtp_user"], properties.get("smtp_password", ""))
            refused = smtp.send_message(mail)
    except smtplib.SMTPResponseException as exc:
        return Outcome(False, exc.smtp_code, str(exc.smtp_error)[:300],
                       retryable=400 <= exc.smtp_code < 500)
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:300], retryable=True)
    if refused:
        return Outcome(False, None, f"refused recipients: {sorted(refused)}")
    return Outcome(True, 250, "accepted")


async def send(client: httpx.AsyncClient, properties: dict[str, Any],
               note: Notification) -> Outcome:
    return await asyncio.to_thread(deliver, properties, compose(properties, note))
