"""Real-browser tests: Playwright driving Debian's Chromium against Django's live server.

`playwright install` cannot download browsers here, so we launch /usr/bin/chromium. Without it
the tests are skipped locally, and fail in CI (MENTORSHIP_REQUIRE_BROWSER=1).

Every page a test visits is audited, whatever the test is about: axe-core at 1280 px and at
375 px (a phone) with zero violations, and no sideways scrolling at 320 px (which is also
1280 px at 400 % zoom, so 200 % is covered). `axe(page)` audits the page as it is now (after
typing, errors, swaps); when the test ends, every other page it loaded is loaded again in the
same session and audited the same way. A test that fails on its own is not audited."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

CHROMIUM = os.environ.get("MENTORSHIP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
AXE_WIDTHS = (1280, 375)
NARROWEST = 320
# Pages not ours to audit (Django's admin) or that a GET would change (signing out is a POST).
NOT_AUDITED = re.compile(r"/admin/|/accounts/logout/")

# How far the page scrolls sideways at the current width, and the elements sticking out.
SIDEWAYS_JS = """() => {
  const width = document.documentElement.clientWidth;
  const extra = document.documentElement.scrollWidth - width;
  if (extra <= 0) return null;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0 && out.length < 5) {
      const cls = typeof el.className === "string" && el.className.trim()
        ? "." + el.className.trim().split(/\\s+/).join(".") : "";
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + cls);
    }
  }
  return extra + " px too wide; sticking out: " + out.join(", ");
}"""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
    if Path(CHROMIUM).exists() or os.environ.get("MENTORSHIP_REQUIRE_BROWSER") == "1":
        return
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


BASE_CONTEXT = {"locale": "en-CA", "timezone_id": "America/Toronto"}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, **BASE_CONTEXT}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(page: Any, request: pytest.FixtureRequest) -> Generator[Any, None, None]:
    page.set_default_timeout(10_000)
    loaded: list[str] = []

    def remember(response: Any) -> None:
        req = response.request
        if (
            req.resource_type == "document"
            and req.method == "GET"
            and req.frame == page.main_frame
            and response.status == 200
            and response.headers.get("content-type", "").startswith("text/html")
        ):
            loaded.append(response.url.split("#")[0])

    page.on("response", remember)
    page.audited = set()  # URLs `axe(page)` already audited in their live state
    yield page
    if request.node.stash.get(CALL_FAILED, True) or request.node.get_closest_marker("no_audit"):
        return
    audit_loaded_pages(page, [u for u in dict.fromkeys(loaded) if u not in page.audited])


def audit_loaded_pages(page: Any, urls: list[str]) -> None:
    """Load each page again (same session, a fresh tab) and audit it."""
    problems = []
    if not urls:
        return
    tab = page.context.new_page()
    try:
        for url in urls:
            if NOT_AUDITED.search(url):
                continue
            response = tab.goto(url)
            if response is None or response.status != 200:
                continue  # e.g. the test signed in as someone else since; not this page's fault
            problems.extend(f"{url}: {p}" for p in page_problems(tab))
    finally:
        tab.close()
    assert not problems, (
        "Pages this test visited fail on phones or with assistive technology:\n"
        + "\n".join(problems)
    )


def page_problems(page: Any) -> list[str]:
    """axe-core violations at each of AXE_WIDTHS and sideways scrolling at 320 px, then the
    viewport is put back as it was."""
    original = page.viewport_size
    problems = []
    try:
        for width in AXE_WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            problems.extend(f"at {width} px: {v}" for v in axe_violations(page))
        page.set_viewport_size({"width": NARROWEST, "height": 800})
        sideways = page.evaluate(SIDEWAYS_JS)
        if sideways:
            problems.append(f"at {NARROWEST} px the page scrolls sideways: {sideways}")
    finally:
        if original:
            page.set_viewport_size(original)
    return problems


def axe_violations(page: Any) -> list[str]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol rather than added as a <script>: the app's
        # Content-Security-Policy (rightly) refuses inline scripts.
        page.evaluate(f"() => {{ {AXE.read_text()}\n }}")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in v["nodes"][:5])
        for v in result["violations"]
    ]


def plant_session(context: Any, url: str, user: Any) -> None:
    """Sign a user in by planting a session cookie (the sign-in form has its own test)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": url}]
    )


@pytest.fixture
def login(live_server: Any, context: Any) -> Callable[[Any], None]:
    return lambda user: plant_session(context, live_server.url, user)


def assert_no_axe_violations(page: Any, *, context: str = "") -> None:
    """Audit the current page as it is now (1280 and 375 px with axe-core, 320 px for sideways
    scrolling); fail with a readable list."""
    problems = page_problems(page)
    if hasattr(page, "audited"):
        page.audited.add(page.url.split("#")[0])
    details = "\n".join(f"- {p}" for p in problems)
    assert not problems, f"accessibility or small-screen problems {context}:\n{details}"


@pytest.fixture
def axe() -> Callable[..., None]:
    return assert_no_axe_violations
