"""fazhi.text: control characters out of typed text; text made literal for Markdown and for plotly."""

from __future__ import annotations

import pytest

from fazhi.text import CONTROL, NAME_CONTROL, clean_text, html_literal, markdown_literal


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
def test_markdown_literal_escapes_every_markdown_marker(text: str, expected: str) -> None:
    assert markdown_literal(text) == expected


def test_clean_text_keeps_tab_and_newline_and_counts_what_went() -> None:
    assert clean_text("a\tb\r\nc\x00d\x1be\u0085f\ufffe") == ("a\tb\ncdef", 4)
    assert clean_text(None) == ("", 0)
    assert clean_text(float("nan")) == ("", 0)
    assert clean_text(2536) == ("2536", 0)


def test_control_classes() -> None:
    assert CONTROL.sub("", "\t\n\x0b\x7f\ud800") == "\t\n"
    assert NAME_CONTROL.sub("", "a\tb\nc\u2028d") == "abcd"  # a name is one line


def test_html_literal_escapes_tags_and_entities_only() -> None:
    assert html_literal('<b>&amp;</b> "引号"') == '&lt;b&gt;&amp;amp;&lt;/b&gt; "引号"'
