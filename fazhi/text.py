"""Typed text made safe: control characters out, and literal text for Markdown and for plotly's HTML.

Everything a person types is stored as typed except for control characters (tab and newline kept); where
it is shown in an element that renders Markdown (Streamlit titles, alerts) or HTML-like markup (plotly
labels) it is escaped so nothing typed becomes formatting.
"""

from __future__ import annotations

import html
import math
import re

# C0/C1 controls, DEL, and the characters XML 1.0 forbids; tab and newline are kept.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]|[\ud800-\udfff]")
# In a one-line name (a unit) tab, newline and the Unicode line separators are refused too.
NAME_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")

_INLINE_MARKUP = re.compile(r"([\\`*_\[\]<>$~|&:])")
_LINE_START_MARKUP = re.compile(r"^([ \t]*)(\d+)?([#+\-=.)])", re.MULTILINE)


def clean_text(text: object) -> tuple[str, int]:
    """The text with forbidden control characters removed (tab and newline kept), and how many went."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return "", 0
    value = str(text).replace("\r\n", "\n")
    cleaned = CONTROL.sub("", value)
    return cleaned, len(value) - len(cleaned)


def markdown_literal(text: object) -> str:
    """Text made literal for elements that render Markdown (titles, alerts): markers are backslash-escaped."""
    escaped = _INLINE_MARKUP.sub(r"\\\1", str(text))
    return _LINE_START_MARKUP.sub(lambda m: f"{m[1]}{m[2] or ''}\\{m[3]}", escaped)


def html_literal(text: object) -> str:
    """Text as plotly should show it: its HTML-like tags and entities escaped, so nothing typed is markup."""
    return html.escape(str(text), quote=False)
