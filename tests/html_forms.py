"""Read the forms of a page the way a browser would, so HTTP tests submit what the page offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urljoin


@dataclass
class HtmlForm:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    submit_buttons: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[HtmlForm] = []
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value if value is not None else "" for name, value in attrs}
        if tag == "form":
            self.forms.append(
                HtmlForm(
                    action=attributes.get("action", ""),
                    method=attributes.get("method", "get").lower(),
                )
            )
            return
        if not self.forms or "name" not in attributes:
            if tag == "option" and self._select and "selected" in attributes:
                self.forms[-1].fields[self._select] = attributes.get("value", "")
            return
        form, name = self.forms[-1], attributes["name"]
        kind = attributes.get("type", "text").lower()
        if tag == "input" and kind == "submit" or tag == "button":
            form.submit_buttons[name] = attributes.get("value", "")
        elif tag == "input" and kind in ("checkbox", "radio"):
            if "checked" in attributes:
                form.fields[name] = attributes.get("value", "on")
        elif tag == "input" and kind != "file":
            form.fields[name] = attributes.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            form.fields[name] = ""
        elif tag == "select":
            self._select = name

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data


def page_forms(html: str) -> list[HtmlForm]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_posting_to(html: str, action_part: str, *, page_url: str = "") -> HtmlForm:
    """The one form whose action contains `action_part`, with its action made absolute."""
    matches = [form for form in page_forms(html) if action_part in form.action]
    assert len(matches) == 1, f"{len(matches)} forms post to …{action_part}"
    form = matches[0]
    form.action = urljoin(page_url, form.action)
    return form


def form_with_field(html: str, field_name: str, *, page_url: str) -> HtmlForm:
    """The one form that has a field called `field_name`, its action made absolute."""
    matches = [
        form
        for form in page_forms(html)
        if field_name in form.fields or field_name in form.submit_buttons
    ]
    assert len(matches) == 1, f"{len(matches)} forms have a {field_name!r} field"
    form = matches[0]
    form.action = urljoin(page_url, form.action or page_url)
    return form


class _FormReader(HTMLParser):
    """The values a browser would send for one form of a page, as it is shown."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.values = action, False, {}
        self._select = self._textarea = None
        self._first_option = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = unescape(attrs.get("action", "")) == self.action
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "file"):
            if attrs.get("type") in ("radio", "checkbox"):
                if "checked" in attrs:
                    self.values[name] = attrs.get("value", "y")
            else:
                self.values[name] = attrs.get("value", "")
        elif tag == "select":
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = attrs.get("value")
                self.values.setdefault(self._select, self._first_option)
            if "selected" in attrs:
                self.values[self._select] = attrs.get("value")
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data.removeprefix("\n")


def form_values(page_html: str, action: str) -> dict[str, str]:
    """The values a browser would send for the form posting to `action`."""
    reader = _FormReader(action)
    reader.feed(page_html)
    assert reader.values, f"no form posting to {action}"
    return reader.values


def post_as_shown(client, url: str, **changes: str):
    """GET the page at `url` and POST its form (the one posting back to `url`) with the values
    the page shows, `changes` made: an organizer editing one field of a prefilled form."""
    values = form_values(client.get(url).get_data(as_text=True), url)
    return client.post(url, data=values | changes)
