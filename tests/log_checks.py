"""Checks on captured log records and on the messages users see, for the fault tests."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence

import pytest

# The arXiv client logs each retry as "retry N of M". Those lines report progress, and
# the component that handles the final failure of a request logs it once.
_RETRY_NOTICE = re.compile(r"retry \d+ of \d+")
# A Python class name such as ArxivUnavailableError or ClientOSError in a user message.
_CLASS_NAME = re.compile(r"\b[A-Z]\w*(Error|Exception|Warning)\b")
_FORMATTER = logging.Formatter("%(name)s %(levelname)s %(message)s")


def record_text(record: logging.LogRecord) -> str:
    """Return a record as a log handler writes it, traceback included."""
    return _FORMATTER.format(record)


def final_failures(records: Sequence[logging.LogRecord], url: str) -> list[str]:
    """Return the WARNING and ERROR lines that name `url`, leaving out retry notices."""
    lines = []
    for record in records:
        message = record.getMessage()
        if record.levelno < logging.WARNING or url not in message:
            continue
        if record.name == "bot.arxiv.client" and _RETRY_NOTICE.search(message):
            continue
        lines.append(message)
    return lines


def is_plain(message: str) -> bool:
    """Tell whether a user-facing message is free of tracebacks and Python class names."""
    return "Traceback" not in message and _CLASS_NAME.search(message) is None


@pytest.fixture(autouse=True)
def token_never_logged(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Capture every record at DEBUG and fail the test if one contains the Discord token."""
    caplog.set_level(logging.DEBUG)
    if "fake_discord" not in request.fixturenames:
        yield
        return
    token = request.getfixturevalue("fake_discord").token
    yield
    records = caplog.get_records("setup") + caplog.get_records("call")
    leaked = [record_text(record) for record in records if token in record_text(record)]
    assert leaked == []
