"""Finding every page and form of the app by itself: walk the URLconf for the pages without
arguments, then follow the links each role sees, one page per URL pattern, and read the forms
on them (their fields, current values and choices). Used by the hostile-input test and the
real-browser Content-Security-Policy crawl, so a new page or form is covered without a list to
update. Every page it opens is checked for N+1 queries (django-zeal): the rule that list pages
read a fixed number of queries, held on every page and for every role without a list either."""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from zeal import zeal_context

# Pages never crawled: signing out ends the session, the Django admin is for technical staff
# (its forms are model forms with the models' validators), and PDFs are slow to build.
SKIP_PREFIXES = ("/accounts/logout/", "/django-admin/", "/static/")
SKIP_SUFFIXES = (".pdf",)
TEXT_KINDS = {"text", "textarea", "email", "url", "search", "tel"}


@dataclass
class Field:
    name: str
    kind: str  # input type, "textarea" or "select"
    value: str = ""
    id: str = ""
    options: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    checked: bool = False
    multiple: bool = False
    disabled: bool = False


@dataclass
class Form:
    page: str
    method: str
    action: str
    fields: list[Field] = field(default_factory=list)
    submit: tuple[str, str] | None = None

    @property
    def route(self) -> str:
        return route_of(self.action) or self.action

    def baseline(self) -> dict[str, list[str]]:
        """What a browser would post untouched (a choice made where none is, so the baseline
        has a chance to be valid)."""
        data: dict[str, list[str]] = {}
        for f in self.fields:
            if f.disabled or f.kind in ("submit", "button", "reset", "file", "image", "password"):
                continue
            if f.kind in ("checkbox", "radio"):
                if f.checked:
                    data.setdefault(f.name, []).append(f.value or "on")
                continue
            if f.kind == "select":
                chosen = f.selected or [o for o in f.options if o][:1]
                if chosen:
                    data[f.name] = chosen if f.multiple else chosen[:1]
                continue
            data.setdefault(f.name, []).append(f.value)
        for f in self.fields:  # a radio group with nothing ticked: the first choice
            if f.kind == "radio" and f.name not in data:
                data[f.name] = [f.value]
        if self.submit:
            data.setdefault(self.submit[0], []).append(self.submit[1])
        return data

    def visible(self) -> list[Field]:
        seen: set[str] = set()
        out = []
        for f in self.fields:
            if f.disabled or f.kind in ("submit", "button", "reset", "file", "image", "hidden"):
                continue
            if f.kind == "checkbox" and not f.value.isdigit():
                continue  # a yes/no box; a group of ids (several objects) is fuzzed
            if f.name in seen:
                continue
            seen.add(f.name)
            out.append(f)
        return out


class PageParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: str | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = Form(
                page=self.page,
                method=(a.get("method") or "get").lower(),
                action=urljoin(self.page, a.get("action") or self.page),
            )
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind == "submit":
                if self._form.submit is None:
                    self._form.submit = (a["name"], a.get("value", ""))
                return
            self._form.fields.append(
                Field(
                    name=a["name"],
                    kind=kind,
                    value=a.get("value", "on" if kind in ("checkbox", "radio") else ""),
                    id=a.get("id", ""),
                    checked="checked" in a,
                    disabled="disabled" in a,
                )
            )
        elif tag == "button" and a.get("name") and (a.get("type") or "submit") == "submit":
            if self._form.submit is None:
                self._form.submit = (a["name"], a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea = Field(
                name=a["name"], kind="textarea", id=a.get("id", ""), disabled="disabled" in a
            )
            self._form.fields.append(self._textarea)
        elif tag == "select" and a.get("name"):
            self._select = Field(
                name=a["name"],
                kind="select",
                id=a.get("id", ""),
                multiple="multiple" in a,
                disabled="disabled" in a,
            )
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = a.get("value")
            value = a.get("value", "")
            self._select.options.append(value)
            if "selected" in a:
                self._select.selected.append(value)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            if self._textarea is not None and self._textarea.value.startswith("\n"):
                self._textarea.value = self._textarea.value[1:]
            self._textarea = None
        elif tag == "select":
            self._select = None


def parse(page: str, html: str) -> PageParser:
    parser = PageParser(page)
    parser.feed(html)
    return parser


def route_of(url: str) -> str | None:
    """The URL pattern a path belongs to (e.g. "meetings/<int:pk>/"), or None if not ours."""
    path = urlsplit(url).path
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.route


def static_pages() -> list[str]:
    """Every URL pattern of the URLconf that takes no argument, as a path."""
    out: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if "<" not in route and not route.startswith("^") and "(?P" not in route:
                    out.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return [p for p in out if not p.startswith(SKIP_PREFIXES)]


def crawlable(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return False
    path = parts.path
    return (
        path.startswith("/")
        and not path.startswith(SKIP_PREFIXES)
        and not path.endswith(SKIP_SUFFIXES)
        and route_of(path) is not None
    )


@dataclass
class Visit:
    url: str
    status: int
    html: str
    forms: list[Form]


def crawl(client: Client, *, per_route: int = 1, limit: int = 400) -> Iterator[Visit]:
    """GET the pages this client can reach: the URLconf's argument-free pages, then every link
    found, at most `per_route` pages per URL pattern (and one per pattern and query keys)."""
    queue = deque(static_pages())
    seen_urls: set[str] = set()
    per: dict[str, int] = {}
    while queue and len(seen_urls) < limit:
        url = queue.popleft()
        if url in seen_urls or not crawlable(url):
            continue
        # A link with a query string may open another mode of a page (`?edit` opens the
        # agreement's form, `?step=3` a later step): one page per pattern and set of query
        # keys. Filter values, sort orders and page numbers are the list filters' job.
        keys = tuple(sorted({k for k, _ in query_params(url)}))
        route = (route_of(url) or url) + ("?" + "&".join(keys) if keys else "")
        if per.get(route, 0) >= (per_route if not keys else 1):
            continue
        seen_urls.add(url)
        per[route] = per.get(route, 0) + 1
        # A page that loads a relation once per row (an N+1) raises here, so the crawls that
        # check every page's status (tests/test_hostile_input.py) see it as a 500 naming it.
        with zeal_context():
            response = client.get(url)
        content_type = response.get("Content-Type", "")
        html = response.content.decode(errors="replace") if "html" in content_type else ""
        parsed = parse(url, html)
        yield Visit(url, response.status_code, html, parsed.forms)
        for href in parsed.links:
            target = urljoin(url, href).split("#", 1)[0]
            if target not in seen_urls:
                queue.append(target)


def query_params(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def _handles_post(callback: object) -> bool:
    """A view that accepts a form: its source (decorators included, e.g. `@require_POST`)
    reads `POST`, or a class-based view with a `post` method."""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "post")
    func = callback
    while hasattr(func, "__wrapped__"):
        func = func.__wrapped__
    try:
        source = inspect.getsource(func)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return False
    return "POST" in source


def post_routes(modules: tuple[str, ...] = ("programs.", "matching.", "mentorship.")) -> set[str]:
    """Every URL pattern of our own apps whose view accepts a form (a POST)."""
    out: set[str] = set()

    def walk(patterns: list, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                callback = p.callback
                module = getattr(callback, "__module__", "") or ""
                if module.startswith(modules) and _handles_post(callback):
                    out.add(prefix + str(p.pattern))

    walk(get_resolver().url_patterns, "")
    return out
