"""One logging setup for ``reseller serve``, ``reseller worker`` and the operator commands.

Every line is structured: ``key=value`` pairs by default (readable on a terminal), one JSON
object per line with ``RESELLER_LOG_FORMAT=json`` (for log shippers). Our own loggers log at
``RESELLER_LOG_LEVEL``; third-party libraries (botocore, taskiq, SQLAlchemy, ...) are capped
at ``RESELLER_LOG_LIBRARIES_LEVEL`` (WARNING) so DEBUG shows our software, not signing dumps.

Secrets never reach the output: the formatters redact upload and download signatures, API
and confirmation tokens, bearer headers, passwords and URL credentials from every line,
whichever logger wrote it (uvicorn's access log included), after the message is rendered.

The HTTP app tags each request with an id (``X-Request-ID``, taken from the client when it
is well formed, else generated); every line logged while serving that request carries it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import logging.config
import re
from datetime import UTC, datetime
from typing import Any, Final

from reseller_entrypoints.settings import Settings

REDACTED: Final = "[redacted]"

LOG_FORMATS: Final = ("text", "json")
"""Values of ``RESELLER_LOG_FORMAT``."""

LOG_LEVELS: Final = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")

OWN_LOGGERS: Final = (
    "reseller",
    "reseller_core",
    "reseller_adapters",
    "reseller_entrypoints",
    "uvicorn.error",
    "uvicorn.access",
)
"""Loggers that follow ``RESELLER_LOG_LEVEL``; every other logger is a library's."""

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "reseller_request_id", default=None
)
"""The id of the HTTP request being served in this context (None outside requests)."""

_SENSITIVE_KEYS = (
    r"sig|signature|token|access_token|refresh_token|confirmation_token|password|passwd"
    r"|secret|secret_key|api_key|apikey|x-amz-signature|x-amz-credential|x-amz-security-token"
)
_PATTERNS: Final = (
    # Query strings and key=value text: ?sig=..., &X-Amz-Signature=..., token=...
    (
        re.compile(rf"(?i)(?<![A-Za-z0-9_-])({_SENSITIVE_KEYS})=(?!\[redacted\])[^&\s\"'<>,;)]+"),
        rf"\1={REDACTED}",
    ),
    # JSON or Python reprs: "token": "...", 'password': '...'
    (
        re.compile(rf"(?i)([\"'](?:{_SENSITIVE_KEYS})[\"']\s*:\s*b?[\"'])[^\"']*"),
        rf"\1{REDACTED}",
    ),
    # Authorization headers.
    (re.compile(r"(?i)\b(bearer|basic)\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    # Credentials inside URLs: scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*):[^\s@/]+@"), r"\1:***@"),
)
_SENSITIVE_FIELD = re.compile(rf"(?i)^(?:{_SENSITIVE_KEYS})$")


def redact(text: str) -> str:
    """``text`` with signatures, tokens, passwords and URL credentials replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


_RECORD_ATTRIBUTES: Final = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "color_message",
    "taskName",
}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """The structured part of a record: ``extra=`` values plus uvicorn's access fields."""
    fields: dict[str, Any] = {}
    if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
        client, method, path, _version, status = record.args
        fields.update(method=method, path=path, status=status, client=client)
    for key, value in record.__dict__.items():
        if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
            fields[key] = value
    return {
        key: REDACTED if _SENSITIVE_FIELD.match(key) else _plain(value)
        for key, value in fields.items()
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


def _message(record: logging.LogRecord) -> str:
    if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
        return "request"
    return redact(record.getMessage())


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_BARE_VALUE = re.compile(r"^[^\s\"=]+$")


def _kv(value: Any) -> str:
    text = "null" if value is None else str(value)
    if isinstance(value, bool | int | float) or _BARE_VALUE.match(text):
        return text
    return json.dumps(text, ensure_ascii=False)


class KeyValueFormatter(logging.Formatter):
    """``2026-01-01T12:00:00.000Z level=INFO logger=... msg="..." key=value ...``."""

    def format(self, record: logging.LogRecord) -> str:
        parts = [
            _timestamp(record),
            f"level={record.levelname}",
            f"logger={record.name}",
        ]
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            parts.append(f"request_id={_kv(request_id)}")
        parts.append(f"msg={_kv(_message(record))}")
        parts.extend(f"{key}={_kv(value)}" for key, value in _fields(record).items())
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line += "\n" + redact(record.exc_text)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``msg``, ``request_id``, fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": _message(record),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            data["request_id"] = request_id
        data.update(_fields(record))
        if record.exc_info:
            data["exc"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            data["exc"] = redact(record.exc_text)
        return json.dumps(data, ensure_ascii=False, default=str)


def logging_config(
    level: str = "INFO", fmt: str = "text", libraries_level: str = "WARNING"
) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` mapping of this setup.

    uvicorn receives the same mapping (``log_config``), so each of its server processes
    configures itself identically, and its loggers write through our formatter.
    """
    level, libraries_level = level.upper(), libraries_level.upper()
    if fmt not in LOG_FORMATS:
        raise ValueError(f"log format {fmt!r}: expected one of {', '.join(LOG_FORMATS)}")
    for name in (level, libraries_level):
        if name not in LOG_LEVELS:
            raise ValueError(f"log level {name!r}: expected one of {', '.join(LOG_LEVELS)}")
    formatter = KeyValueFormatter if fmt == "text" else JsonFormatter
    loggers: dict[str, Any] = {
        name: {"level": level, "handlers": [], "propagate": True} for name in OWN_LOGGERS
    }
    # uvicorn's own parent logger: its children above are ours, the rest follows the cap.
    loggers["uvicorn"] = {"level": libraries_level, "handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": libraries_level, "handlers": ["stderr"]},
        "loggers": loggers,
    }


def configure_logging(settings: Settings) -> dict[str, Any]:
    """Install the setup ``settings`` describe and return its mapping (for uvicorn)."""
    config = logging_config(settings.log_level, settings.log_format, settings.log_libraries_level)
    logging.config.dictConfig(config)
    logging.captureWarnings(True)
    return config
