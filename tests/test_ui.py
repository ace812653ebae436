"""fazhi.ui helpers that need no running app: user text made literal for Markdown-rendering elements."""

from __future__ import annotations

import pytest

from fazhi.ui import plain


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("燕山乡2020年赶场日宣传", "燕山乡2020年赶场日宣传"),
        ("**粗** _斜_ `代码`", "\\*\\*粗\\*\\* \\_斜\\_ \\`代码\\`"),
        ("<b>&amp;</b>", "\\<b\\>\\&amp;\\</b\\>"),
        (
            "[链接](http://x) $x^2$ ~删~ a|b :red[红]",
            "\\[链接\\](http\\://x) \\$x^2\\$ \\~删\\~ a\\|b \\:red\\[红\\]",
        ),
        ("# 标题\n- 列表\n1. 编号\n+ 加", "\\# 标题\n\\- 列表\n1\\. 编号\n\\+ 加"),
        ("{{ x }} {% if %} 2020-03-15 3.5万元", "{{ x }} {% if %} 2020-03-15 3.5万元"),
        ("反斜杠\\n", "反斜杠\\\\n"),
    ],
)
def test_plain_escapes_every_markdown_marker(text: str, expected: str) -> None:
    assert plain(text) == expected
