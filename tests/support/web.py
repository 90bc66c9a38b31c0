"""The web as a person uses it, through Flask's test client: log in, read a page, press a button.

``Page`` reads a response the way a person does (a form by its button, a field by its
label); ``Browser`` fills in and submits forms; ``Auth`` logs in and posts with the CSRF
token of a page, as a browser submitting a form would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Iterator

from tests.support import factories

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


LOCK_VERSION_RE = re.compile(r'name="lock_version" type="hidden" value="(\d+)"')


def lock_version(html: str) -> str:
    """The memo version a page's action forms carry, as a browser sends it back."""
    match = LOCK_VERSION_RE.search(html)
    assert match, "no lock_version on the page"
    return match.group(1)


class Auth:
    def __init__(self, client) -> None:
        self.client = client

    def login(self, username: str, password: str = factories.PASSWORD, follow: bool = False):
        page = self.client.get("/auth/login")
        token = csrf_token(page.get_data(as_text=True))
        return self.client.post(
            "/auth/login",
            data={"username": username, "password": password, "csrf_token": token},
            follow_redirects=follow,
        )

    def logout(self):
        page = self.client.get("/", follow_redirects=True)
        token = csrf_token(page.get_data(as_text=True))
        return self.client.post("/auth/logout", data={"csrf_token": token})

    def post(self, url: str, data: dict[str, Any] | None = None, *, page: str = "/", **kwargs: Any):
        """POST with the CSRF token of ``page``, as a browser submitting a form would."""
        token = csrf_token(self.client.get(page).get_data(as_text=True))
        return self.client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


# --- reading pages ----------------------------------------------------------------------

VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    children: list[Element | str] = field(default_factory=list)

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list:
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag)
            and (cls is None or cls in (e.attrs.get("class") or "").split())
            and all(e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Element:
        found = self.find_all(tag, cls, **attrs)
        assert found, f"no <{tag} class={cls} {attrs}> on the page"
        return found[0]

    @property
    def raw_text(self) -> str:
        return "".join(c if isinstance(c, str) else c.raw_text for c in self.children)

    @property
    def text(self) -> str:
        """What a reader sees, whitespace collapsed."""
        return " ".join(self.raw_text.split())


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID_TAGS:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        for n in range(len(self.stack) - 1, 0, -1):
            if self.stack[n].tag == tag:
                del self.stack[n:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


class Page:
    def __init__(self, response) -> None:
        self.status = response.status_code
        self.url = response.request.path  # where a form without an action posts
        self.html = response.get_data(as_text=True)
        builder = _Builder()
        builder.feed(self.html)
        self.root = builder.root
        self.main = self.root.find("main")

    @property
    def text(self) -> str:
        return self.main.text

    def buttons(self) -> list[str]:
        """The labels of the buttons in the page's content."""
        return [
            e.attrs.get("value") or "" if e.tag == "input" else e.text
            for e in self.main.iter()
            if (e.tag == "input" and e.attrs.get("type") == "submit") or e.tag == "button"
        ]

    def form(self, button: str) -> Element:
        """The form submitted by the button labelled ``button``."""
        for form in self.main.find_all("form"):
            if button in Page._form_buttons(form):
                return form
        raise AssertionError(f"no form with the button {button!r}; buttons: {self.buttons()}")

    @staticmethod
    def _form_buttons(form: Element) -> list[str]:
        return [e.attrs.get("value") for e in form.find_all("input", type="submit")]

    def field(self, form: Element, label: str) -> Element:
        """The form's control labelled ``label`` (by <label for>)."""
        for element in form.find_all("label"):
            if element.text == label:
                return form.find(id=element.attrs["for"])
        raise AssertionError(f"no field labelled {label!r}")

    def table(self, cls: str) -> list[list[str]]:
        """The body rows of the table with this class, as the cells' texts."""
        table = self.main.find("table", cls)
        return [
            [cell.text for cell in row.find_all("td")] for row in table.find("tbody").find_all("tr")
        ]

    def flashes(self) -> list[str]:
        return [p.text for p in self.root.find_all("p", "flash")]


def form_values(form: Element) -> dict[str, str]:
    """What a browser would send for this form as it stands (without files or buttons)."""
    data: dict[str, str] = {}
    for element in form.iter():
        name = element.attrs.get("name")
        if not name:
            continue
        if element.tag == "input":
            kind = element.attrs.get("type") or "text"
            if kind in ("submit", "button", "file", "reset", "image"):
                continue
            if kind in ("checkbox", "radio") and "checked" not in element.attrs:
                continue
            data[name] = element.attrs.get("value") or ("on" if kind == "checkbox" else "")
        elif element.tag == "textarea":
            text = element.raw_text
            data[name] = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
        elif element.tag == "select":
            options = element.find_all("option")
            chosen = [o for o in options if "selected" in o.attrs] or options[:1]
            data[name] = chosen[0].attrs.get("value") or "" if chosen else ""
    return data


def selected_option(select: Element) -> str:
    chosen = [o.text for o in select.find_all("option") if "selected" in o.attrs]
    return chosen[0] if chosen else ""


class Browser:
    """A person at the browser: opens pages, fills in forms by label, presses buttons."""

    def __init__(self, client, auth) -> None:
        self.client = client
        self.auth = auth
        self.logged_in = False

    def login(self, person) -> None:
        self.logout()
        response = self.auth.login(person.username)
        assert response.status_code == 302, "login failed"
        self.logged_in = True

    def logout(self) -> None:
        if self.logged_in:
            self.auth.logout()
            self.logged_in = False

    def open(self, url: str, status: int = 200) -> Page:
        page = Page(self.client.get(url))
        assert page.status == status, (url, page.status, page.text[:300])
        return page

    def press(self, page: Page, button: str, fill: dict[str, str] | None = None, **overrides):
        """Fill in the form of ``button`` by label and submit it; return the response."""
        form = page.form(button)
        data = form_values(form)
        for label, value in (fill or {}).items():
            data[page.field(form, label).attrs["name"]] = value
        data.update(overrides)
        submit = form.find("input", type="submit")
        if submit.attrs.get("name"):
            data[submit.attrs["name"]] = submit.attrs["value"]
        kwargs: dict[str, Any] = {}
        if form.attrs.get("enctype") == "multipart/form-data":
            kwargs["content_type"] = "multipart/form-data"
        return self.client.post(form.attrs.get("action") or page.url, data=data, **kwargs)

    def press_and_follow(self, page: Page, button: str, fill=None, **overrides) -> Page:
        response = self.press(page, button, fill, **overrides)
        assert response.status_code == 302, (button, response.status_code)
        return self.open(response.headers["Location"])


def memo_id_from(location: str) -> int:
    match = re.fullmatch(r"/memos/(\d+)", location)
    assert match, location
    return int(match.group(1))


def choose(client, language: str, next_url: str = "/auth/login"):
    """Pick the interface language in the header's switch, as a person does."""
    page = client.get("/auth/login", follow_redirects=True)  # the start page once logged in
    token = csrf_token(page.get_data(as_text=True))
    return client.post("/sprak", data={"lang": language, "next": next_url, "csrf_token": token})
