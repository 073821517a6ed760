"""Read what a page puts in its <head> for search engines and previews."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Head:
    meta: dict[str, str] = field(default_factory=dict)  # by property or name
    links: dict[str, str] = field(default_factory=dict)  # href by rel
    json_ld: list[str] = field(default_factory=list)  # the raw text of each script

    @property
    def event(self) -> dict:
        (script,) = self.json_ld
        return json.loads(script)

    @property
    def raw(self) -> str:
        """Everything the metadata carries, as text: what a crawler or preview may read."""
        return json.dumps([self.meta, self.links, self.json_ld])


class _HeadReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.head = Head()
        self._in_head = False
        self._in_json_ld = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "head":
            self._in_head = True
        elif not self._in_head:
            return
        elif tag == "meta" and "content" in attributes:
            key = attributes.get("property") or attributes.get("name")
            if key:
                self.head.meta[key] = attributes["content"]
        elif tag == "link" and "rel" in attributes:
            self.head.links[attributes["rel"]] = attributes["href"]
        elif tag == "script" and attributes.get("type") == "application/ld+json":
            self._in_json_ld = True
            self.head.json_ld.append("")

    def handle_endtag(self, tag):
        if tag == "head":
            self._in_head = False
        elif tag == "script":
            self._in_json_ld = False

    def handle_data(self, data):
        if self._in_json_ld:
            self.head.json_ld[-1] += data


def head_of(html: str) -> Head:
    reader = _HeadReader()
    reader.feed(html)
    return reader.head
