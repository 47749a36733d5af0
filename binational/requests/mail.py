"""E-mail copies of notifications, through the SMTP host the node is configured with (off by default).

A mail says only what the in-app notification says (the kind of request, its new state, the two
agencies and the link to it), never a record's content or the question. Mails wait on the session
and go out only after it commits; a mail that cannot be sent is logged and dropped, and the
notification it copies stays in the app, committed with the change it tells of.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import event
from sqlalchemy.orm import Session

from binational.config import Settings, get_settings

OUTBOX = "mail_outbox"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    """One notification to mail: to whom, and the words of the in-app notice."""

    to: str
    request_id: str
    request_label: str
    state: str
    from_agency: str
    to_agency: str


def queue(session: Session, mails: list[Mail]) -> None:
    """Keep mails on the session until it commits (nothing is queued while no SMTP host is set)."""
    settings: Settings = session.info.get("settings") or get_settings()
    if mails and settings.smtp_host:
        session.info.setdefault(OUTBOX, []).extend(mails)


def message(mail: Mail, settings: Settings) -> EmailMessage:
    """The mail: the notice's words and a link to the request, in English and Spanish."""
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = mail.to
    msg["Subject"] = f"[binational] {mail.request_label}: {mail.state} ({mail.from_agency} → {mail.to_agency})"
    link = f"{settings.public_url.rstrip('/')}/requests/{mail.request_id}"
    msg.set_content(
        f"{mail.request_label} from {mail.from_agency} to {mail.to_agency}: {mail.state}.\n"
        f"Solicitud de {mail.from_agency} a {mail.to_agency}: {mail.state}.\n\n{link}\n"
    )
    return msg


def send(mails: list[Mail], settings: Settings) -> int:
    """Send the mails over one SMTP connection; return how many went. A failure is logged, never raised."""
    if not mails or not settings.smtp_host:
        return 0
    sent = 0
    try:
        context = ssl.create_default_context()
        smtp = (smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s,
                                 context=context) if settings.smtp_tls == "ssl"
                else smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s))
        with smtp:
            if settings.smtp_tls == "starttls":
                smtp.starttls(context=context)
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            for mail in mails:
                try:
                    smtp.send_message(message(mail, settings))
                    sent += 1
                except smtplib.SMTPException as exc:
                    log.warning("notification mail about %s to %s not sent: %s", mail.request_id, mail.to, exc)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("notification mails not sent (%d of %d went): %s", sent, len(mails), exc)
    return sent


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    mails = session.info.pop(OUTBOX, None)
    if mails:
        send(mails, session.info.get("settings") or get_settings())


@event.listens_for(Session, "after_rollback")
def _drop_on_rollback(session: Session) -> None:
    session.info.pop(OUTBOX, None)
