"""Finding what a strict Content-Security-Policy would block in a page: inline script and inline style."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

# Script blocks that only carry data are not run, and CSP does not block them.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "hx-get", "hx-post", "data"}


class InlineFinder(HTMLParser):
    """Collects every inline script, event handler, ``javascript:`` URL and inline style in a page, and
    the same-origin links and htmx URLs it offers (for crawling)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.links: list[str] = []
        self.htmx_urls: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        line = self.getpos()[0]
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"line {line}: <{tag} {name}=...> is an inline event handler")
            elif name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"line {line}: <{tag} {name}=...> is inline script run by htmx")
            elif name == "style":
                self.problems.append(f"line {line}: <{tag} style=...> is an inline style")
            elif name in URL_ATTRIBUTES and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"line {line}: <{tag} {name}=javascript:...> runs script")
        if tag == "script":
            kind = values.get("type", "").lower()
            if "src" not in values and kind not in DATA_SCRIPT_TYPES:
                self.problems.append(f"line {line}: an inline <script>")
                self._in_inline_script = True
        elif tag == "style":
            self.problems.append(f"line {line}: an inline <style> element")
        elif tag == "a" and values.get("href"):
            self.links.append(values["href"])
        if values.get("hx-get"):
            self.htmx_urls.append(values["hx-get"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False


def inspect(html: str) -> InlineFinder:
    finder = InlineFinder()
    finder.feed(html)
    finder.close()
    return finder


def same_origin_path(href: str, current: str) -> str | None:
    """The path (with query) of ``href`` if it stays on this site, else None."""
    href, _fragment = urldefrag(href)
    if not href:
        return None
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None
    if not parts.path.startswith("/"):
        base = current.split("?", 1)[0]
        path = base.rsplit("/", 1)[0] + "/" + parts.path
    else:
        path = parts.path
    return path + (f"?{parts.query}" if parts.query else "")
