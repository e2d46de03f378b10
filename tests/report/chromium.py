"""The system Chromium, driven by Playwright, with a record of what a page did while it was open.

Playwright's own browser downloads are never used: the browser is Debian's
Chromium (scripts/install-chromium.sh), launched through ``executable_path``.
Recorded per page: console messages, uncaught exceptions and every request
the page made, so a test can say "no error, no network" after clicking around.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking")


def chromium_path() -> str:
    """The browser binary; fails under CI (scripts/install-chromium.sh installs it), skips elsewhere."""
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    message = f"{CHROMIUM} missing: run scripts/install-chromium.sh"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class PageRecord:
    """A Playwright page and what it logged: console messages, uncaught exceptions, requests."""

    page: Any
    console: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """Console errors and warnings (refused loads and CSP reports among them) and uncaught exceptions."""
        return [*self.console, *self.exceptions]


@contextmanager
def browser() -> Iterator[Any]:
    """A headless system Chromium (``playwright.sync_api.Browser``), closed on exit."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=list(FLAGS))
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def open_page(chromium: Any, path: Path, width_px: int = 1280, height_px: int = 900) -> Iterator[PageRecord]:
    """``path`` loaded in a fresh context of ``chromium``, recording as :class:`PageRecord` says."""
    context = chromium.new_context(viewport={"width": width_px, "height": height_px})
    page = context.new_page()
    record = PageRecord(page=page)
    page.on(
        "console",
        lambda message: (
            record.console.append(f"console.{message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda error: record.exceptions.append(f"exception: {error}"))
    page.on("request", lambda request: record.requests.append(request.url))
    try:
        page.goto(path.resolve().as_uri())
        yield record
    finally:
        context.close()
