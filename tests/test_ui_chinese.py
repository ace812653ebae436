"""fazhi/ui/chinese.py: Streamlit's own English in Chinese (data/ui_text.toml), the same rule in Python and in
the browser script; every English string still exists in the installed Streamlit."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import streamlit

from fazhi.ui import chinese

STATIC = Path(streamlit.__file__).parent / "static"
SAMPLES = {
    "Close": "关闭",
    "  Choose an option ": "  请选择 ",
    "No results": "没有符合的项",
    "Select all": "全选",
    "Drag and drop file here": "把文件拖到这里",
    "Drag and drop files here": "把文件拖到这里（可多个）",
    "Upload": "选择文件",
    "Limit 10MB per file • DOCX": "每个文件不超过 10 MB • DOCX",
    "10MB per file • XLSX, CSV": "每个文件不超过 10 MB • XLSX, CSV",
    "File must be 10.0MB or smaller.": "文件超过了上传大小上限（10 MB）。请压缩后再上传，或分成几个文件。",
    "Press Enter to apply": "按回车键确认",
    "Press Enter to submit form": "按回车键提交",
    "Help for 单位": "“单位”的说明",
    "日期 start date": "日期（开始日期）",
    "day, 日期 end date": "日，日期（结束日期）",
    "Running...": "正在处理……",
    "Connecting": "正在连接",
    "Connection error": "连接中断",
    "Streamlit server is not responding. Are you connected to the internet?": (
        "暂时连不上程序。请稍候，程序恢复后页面会自动重新连接；长时间没有恢复时，请联系运行本程序的同事。"
    ),
    "Page not found": "找不到这个页面",
    "The page that you have requested does not seem to exist. Running the app's main page.": (
        "您要打开的页面不存在，或需要先登录才能打开，已转到首页。"
    ),
    "5 options available.": "有 5 个选项。",
    "Remove 中心组集体学法": "移除“中心组集体学法”",
    "Download as CSV": "下载为 CSV",
    "(index)": "（序号）",
    "View 3 more": "再显示 3 项",
    "25th percentile": "第 25 百分位数",
}
# a person's own words are never replaced: only whole strings Streamlit writes
UNTOUCHED = [
    "燕山乡",
    "Close the file",
    "我确认要用“fazhi-auto.zip”替换",
    "xadmin",
    "",
    "   ",
    "2020-03-15",
    "Help",
]
# Latin words a Chinese translation may keep
KEPT = {"CSV", "MB", "Ctrl", "Esc", "DOCX", "XLSX"}
# the regex features that mean the same in Python's re and in JavaScript
PORTABLE = re.compile(r"^\^([^\\]|\\[.d+s()|\[\]])*\$$")


@pytest.mark.parametrize(("english", "expected"), list(SAMPLES.items()))
def test_translations(english: str, expected: str) -> None:
    assert chinese.translate(english) == expected


@pytest.mark.parametrize("text", UNTOUCHED)
def test_other_text_is_left_alone(text: str) -> None:
    assert chinese.translate(text) is None


def test_every_english_string_is_still_streamlits() -> None:
    """After a Streamlit upgrade, a string it no longer writes is found here instead of silently unused."""
    bundle = "\n".join(path.read_text(encoding="utf-8", errors="ignore") for path in STATIC.rglob("*.js"))
    missing = [english for english in chinese.ui_text().exact if english not in bundle]
    assert missing == []


def test_patterns_are_portable_and_anchored() -> None:
    texts = chinese.ui_text()
    assert len(texts.patterns) >= 20
    for english, template in texts.patterns:
        assert PORTABLE.match(english), english
        groups = re.compile(english).groups
        assert all(int(n) <= groups for n in re.findall(r"\{(\d)\}", template)), english


def test_the_chinese_is_chinese() -> None:
    texts = chinese.ui_text()
    for value in [*texts.exact.values(), *(template for _, template in texts.patterns)]:
        assert re.search(r"[\u4e00-\u9fff]", value) or value == "{1}，{2}", value
        assert set(re.findall(r"[A-Za-z]{2,}", value)) <= KEPT, value


def test_the_script_carries_the_data_and_cannot_end_early() -> None:
    script = chinese.script()
    assert script.startswith("{\nconst TEXTS = ") and script.endswith("}")
    assert "</script" not in script.lower()
    assert '"Choose an option": "请选择"' in script
    assert json.dumps(list(chinese.ATTRIBUTES)) in script


# A browser's document reduced to what the script touches, so that node can run it as the browser does.
FAKE_BROWSER = """
const window = {navigator: {}};
const Node = {TEXT_NODE: 3, ELEMENT_NODE: 1};
const NodeFilter = {SHOW_TEXT: 4};
class MutationObserver { constructor() {} observe() {} }
const document = {documentElement: {}, body: null, createTreeWalker: () => ({nextNode: () => null})};
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node 不可用，跳过浏览器脚本的对照测试")
def test_the_browser_script_translates_exactly_as_python(tmp_path: Path) -> None:
    samples = [*SAMPLES, *UNTOUCHED]
    program = tmp_path / "check.js"
    program.write_text(
        FAKE_BROWSER
        + chinese.script()
        + f"\nconsole.log(JSON.stringify({json.dumps(samples)}.map(window.__fazhiChinese.translate)));"
        + "\nconsole.log(window.navigator.language);",
        encoding="utf-8",
    )
    out = subprocess.run(
        ["node", str(program)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert json.loads(out[0]) == [chinese.translate(text) for text in samples]
    assert out[1] == "zh-CN"


def _served(path: str, content_type: bytes, body: bytes, request_headers: list[tuple[bytes, bytes]]) -> tuple:
    """One GET through chinese.IndexScript in front of an app that answers `body`: (headers, body, the
    request headers the app saw)."""
    seen: list[list[tuple[bytes, bytes]]] = []

    async def app(scope, receive, send) -> None:
        seen.append(scope["headers"])
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body[:5], "more_body": True})
        await send({"type": "http.response.body", "body": body[5:]})

    sent: list[dict] = []

    async def send(message) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request"}

    scope = {"type": "http", "method": "GET", "path": path, "headers": request_headers}
    # in a thread of its own: the browser tests' Playwright may already run an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, chinese.IndexScript(app)(scope, receive, send)).result()
    headers = dict(sent[0]["headers"])
    return headers, b"".join(m.get("body", b"") for m in sent[1:]), seen[0]


def test_the_first_page_carries_the_script_so_connecting_is_chinese_too() -> None:
    page = b"<html><head><title>x</title></head><body></body></html>"
    headers, body, asked = _served(
        "/ledger", b"text/html; charset=utf-8", page, [(b"accept-encoding", b"gzip")]
    )
    assert asked == []  # asked uncompressed, so the script can go in
    assert body.startswith(b"<html><head><title>x</title><script>{\nconst TEXTS = ")
    assert body.endswith(b"</script></head><body></body></html>")
    assert "正在连接".encode() in body and headers[b"content-length"] == str(len(body)).encode()
    # files pass untouched, compressed as asked
    script = b"console.log('</head>')"
    headers, body, asked = _served(
        "/static/js/main.js", b"application/javascript", script, [(b"accept-encoding", b"gzip")]
    )
    assert (body, asked) == (script, [(b"accept-encoding", b"gzip")])
