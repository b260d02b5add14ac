"""A real SMTP server for the tests (aiosmtpd), on a free loopback port, in its own thread.

``SmtpServer(security=...)`` speaks plain SMTP, STARTTLS (required) or implicit TLS with a
throwaway self-signed certificate (``ca_file`` verifies it), and with ``username`` and
``password`` demands AUTH. ``received`` holds every accepted message, parsed; ``gate``
holds ``DATA`` until the test opens it, which stands for a slow mail server.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from reseller_adapters.mail.outbox import TAG_HEADER
from reseller_core.ports.mailer import EmailMessage
from tests.services import free_port


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def parse(raw: bytes) -> EmailMessage:
    """A received RFC 5322 message as the port's ``EmailMessage``."""
    mime = message_from_bytes(raw, policy=policy.default)
    assert isinstance(mime, MimeMessage)
    text_part = mime.get_body(preferencelist=("plain",))
    html_part = mime.get_body(preferencelist=("html",))
    assert text_part is not None
    return EmailMessage(
        to=str(mime["To"]),
        subject=str(mime["Subject"]),
        text=text_part.get_content(),
        html=html_part.get_content() if html_part is not None else None,
        tag=str(mime[TAG_HEADER]),
    )


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        import asyncio

        opened = await asyncio.get_running_loop().run_in_executor(None, self.server.gate.wait, 60)
        if not opened:
            return "451 gate never opened"
        if self.server.reply_to_data is not None:
            return self.server.reply_to_data
        self.server.received.append(parse(envelope.original_content or envelope.content))
        self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpServer:
    """One aiosmtpd server; ``start()``/``stop()``, or use it as a context manager."""

    def __init__(
        self,
        directory: Path,
        *,
        security: str = "none",
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.port = free_port()
        self.security = security
        self.username = username
        self.password = password
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []
        self.gate = threading.Event()
        self.gate.set()
        self.reply_to_data: str | None = None
        """When set (e.g. ``"451 try later"``), DATA is answered with it instead of 250."""
        self.ca_file: str | None = None
        kwargs: dict[str, Any] = {}
        if security != "none":
            cert, key = self_signed_certificate(directory)
            self.ca_file = str(cert)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            if security == "starttls":
                kwargs.update(tls_context=context, require_starttls=True)
            else:
                kwargs.update(ssl_context=context)
        if username is not None:
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=True,
                # Implicit TLS is invisible to aiosmtpd (it only tracks STARTTLS).
                auth_require_tls=security == "starttls",
            )
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, **kwargs
        )

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode()
        if login == self.username and auth_data.password.decode() == self.password:
            self.logins.append(login)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self) -> SmtpServer:
        if self.security == "tls":
            # Implicit TLS: aiosmtpd's readiness probe cannot speak it; skip the probe.
            self._controller.ready_timeout = 5
        self._controller.start()
        return self

    def stop(self) -> None:
        self.gate.set()
        self._controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
