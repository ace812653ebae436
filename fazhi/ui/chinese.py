"""Streamlit's own English on screen, in Chinese: the uploader, date fields and calendars, select boxes, the
data grid's toolbar and column menu, status and connection notices, help buttons' screen-reader labels.

Streamlit 1.67 has no interface language setting, so where its widgets take no Chinese option (placeholder=,
format=, labels), a small script (`chinese.js`, installed once per browser tab by `inject()`) replaces the
known English strings of `data/ui_text.toml` in text, `aria-label`, `title`, `placeholder` and a few more
attributes, now and whenever Streamlit draws them later (a MutationObserver), and gives components the
language zh-CN. Only whole strings listed there are replaced, so a user's own words are never touched.
`translate()` is the same rule in Python, for the tests.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import streamlit as st

from fazhi.settings import DATA_DIR

UI_TEXT = DATA_DIR / "ui_text.toml"
SCRIPT = Path(__file__).with_name("chinese.js")
# what a person sees or a screen reader says besides text: labels, hover hints, grey hints in empty inputs
ATTRIBUTES = (
    "aria-label",
    "aria-description",
    "aria-placeholder",
    "aria-roledescription",
    "aria-valuetext",
    "title",
    "placeholder",
    "alt",
    "data-title",
)
_SLOT = re.compile(r"\{(\d)\}")
HIDDEN_KEY = "fazhi_chinese"


@dataclass(frozen=True)
class UiText:
    """The translations: whole strings (`exact`) and `(regex, Chinese with {1} slots)` patterns, in order."""

    exact: dict[str, str]
    patterns: tuple[tuple[str, str], ...]


@cache
def ui_text(path: Path = UI_TEXT) -> UiText:
    """The translations of data/ui_text.toml (read once per process)."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    patterns = tuple((item["english"], item["chinese"]) for item in data.get("patterns", []))
    return UiText(exact=dict(data.get("exact", {})), patterns=patterns)


def translate(text: str, texts: UiText | None = None) -> str | None:
    """The Chinese for `text` (surrounding blanks kept), or None when it is not one of Streamlit's strings."""
    texts = texts or ui_text()
    core = text.strip()
    if not core or not re.search("[A-Za-z]", core):
        return None
    chinese = texts.exact.get(core)
    if chinese is None:
        for english, template in texts.patterns:
            match = re.match(english, core)
            if match:
                groups = (match.group(0), *match.groups(default=""))

                def slot(found: re.Match[str], groups: tuple[str, ...] = groups) -> str:
                    part = groups[int(found.group(1))]
                    inner = translate(part, texts)  # a slot may hold Streamlit's words too
                    return part if inner is None else inner

                chinese = _SLOT.sub(slot, template)
                break
    if chinese is None:
        return None
    return text.replace(core, chinese, 1)


def script(texts: UiText | None = None) -> str:
    """The browser script with its translations, ready for a <script> element (made once per process for
    data/ui_text.toml: every run of every session sends it)."""
    return _default_script() if texts is None else _script(texts)


@cache
def _default_script() -> str:
    return _script(ui_text())


def _script(texts: UiText) -> str:
    data = {
        "exact": texts.exact,
        "patterns": [{"english": english, "chinese": chinese} for english, chinese in texts.patterns],
        "attributes": list(ATTRIBUTES),
    }
    # "</" cannot end the script early inside JSON: json.dumps escapes nothing there, so do it here
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    # a block, so that running the script again in the same tab declares TEXTS again without an error
    return f"{{\nconst TEXTS = {payload};\n{SCRIPT.read_text(encoding='utf-8')}}}"


def inject() -> None:
    """Install the Chinese layer in this browser tab (once; later runs only rescan) in a hidden container."""
    with st.container(key=HIDDEN_KEY):
        st.html(
            f"<style>.st-key-{HIDDEN_KEY}{{display:none}}</style><script>{script()}</script>",
            unsafe_allow_javascript=True,
        )


class IndexScript:
    """ASGI middleware (server.py): the page Streamlit first sends (index.html) carries the script in its
    <head>, so the words drawn before the first script run — "Connecting", a connection error on a cold
    load — are Chinese too, and the calendars get zh-CN before Streamlit reads the browser's language."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._tag: bytes | None = None

    def tag(self) -> bytes:
        if self._tag is None:
            self._tag = f"<script>{script()}</script>".encode()
        return self._tag

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        if "." not in scope.get("path", "").rsplit("/", 1)[-1]:  # a page address (/, /ledger), not a file:
            # ask for it uncompressed (2 KB), so the script can go in
            scope = {
                **scope,
                "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"],
            }
        start: dict[str, Any] | None = None
        parts: list[bytes] = []

        async def rewrite(message: dict[str, Any]) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                sent = {k.lower(): v for k, v in message.get("headers", [])}
                html = sent.get(b"content-type", b"").startswith(b"text/html")
                if html and b"content-encoding" not in sent:
                    start = message  # held until the whole page is read
                    return
            elif message["type"] == "http.response.body" and start is not None:
                parts.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                page = b"".join(parts).replace(b"</head>", self.tag() + b"</head>", 1)
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                await send({**start, "headers": [*headers, (b"content-length", str(len(page)).encode())]})
                await send({"type": "http.response.body", "body": page})
                return
            await send(message)

        await self.app(scope, receive, rewrite)
