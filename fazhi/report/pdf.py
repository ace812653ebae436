"""The report as PDF through LibreOffice (`soffice --headless --convert-to pdf`), in a temporary folder
with its own LibreOffice profile (so conversions never collide) and a time limit.

Linux has none of the Windows fonts a 公文 names (仿宋_GB2312, 黑体, 楷体_GB2312, 方正小标宋简体); a small
fontconfig file maps them to installed Noto CJK faces so the PDF keeps serif body text and sans headings
(the document's zh-CN language makes those faces draw the Simplified Chinese glyph forms).

Word and WPS lay the body out on the document grid (22 lines of 28 characters: a character pitch of
15.79 pt for 16 pt text). LibreOffice cannot fit a character into a cell narrower than itself and would
give each one two cells, so the copy it converts uses a line grid and text condensed by 0.25 pt instead,
which yields the same 28 characters a line.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from fazhi.errors import PdfUnavailable
from fazhi.report import texts
from fazhi.report.layout import load_layout

TIMEOUT_S = 120.0
_WINDOWS = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)


def soffice_path() -> str | None:
    """LibreOffice's soffice: $FAZHI_SOFFICE, on PATH, or in the usual Windows folders."""
    configured = os.environ.get("FAZHI_SOFFICE", "").strip()
    if configured:
        return configured if Path(configured).exists() else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return next((p for p in _WINDOWS if Path(p).exists()), None)


def problem() -> str:
    """Why a PDF cannot be made here ('' when LibreOffice is installed)."""
    if soffice_path() is None:
        return texts.text("messages.pdf_no_soffice")
    return ""


def _fonts_conf(folder: Path) -> Path | None:
    system = Path("/etc/fonts/fonts.conf")
    if not system.exists():
        return None
    # each Windows 公文 font → its installed look-alikes, most similar first (data/report_layout.toml)
    aliases = "".join(
        f'<alias binding="strong"><family>{escape(font.name)}</family><prefer>'
        + "".join(f"<family>{escape(face)}</family>" for face in font.preview)
        + "</prefer></alias>"
        for font in load_layout().fonts.values()
    )
    path = folder / "fonts.conf"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f'<include ignore_missing="yes">{system}</include>{aliases}</fontconfig>',
        encoding="utf-8",
    )
    return path


LO_CONDENSE_TWIPS = -5  # 0.25 pt narrower characters: 28 × 15.75 pt fit the 442 pt 版心


def for_libreoffice(docx: bytes) -> bytes:
    """The .docx as LibreOffice should lay it out: the character grid replaced by a line grid and every
    character condensed by 0.25 pt (see the module docstring). Bytes that are no .docx pass unchanged
    (LibreOffice then says what is wrong with them)."""
    try:
        source = zipfile.ZipFile(io.BytesIO(docx))
    except zipfile.BadZipFile:
        return docx
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(b'w:type="linesAndChars"', b'w:type="lines"')
            elif info.filename == "word/styles.xml":
                data = data.replace(
                    b"<w:rPrDefault><w:rPr>",
                    b'<w:rPrDefault><w:rPr><w:spacing w:val="%d"/>' % LO_CONDENSE_TWIPS,
                    1,
                )
            target.writestr(info, data)
    return out.getvalue()


def _run(command: list[str], env: dict[str, str], cwd: Path, timeout: float) -> tuple[int, bytes]:
    """Run soffice in a process group of its own, so a timeout stops soffice.bin too, not only the launcher."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
        start_new_session=os.name != "nt",
        creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if os.name != "nt":
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.kill()
        process.communicate()
        raise
    return process.returncode, output


def to_pdf(docx: bytes, *, timeout: float = TIMEOUT_S) -> bytes:
    """The .docx converted to PDF bytes; PdfUnavailable (Chinese reason) without LibreOffice, on failure
    or after `timeout` seconds."""
    soffice = soffice_path()
    if soffice is None:
        raise PdfUnavailable(problem())
    with tempfile.TemporaryDirectory(prefix="fazhi-pdf-") as folder:
        work = Path(folder)
        source = work / "report.docx"
        source.write_bytes(for_libreoffice(docx))
        env = dict(os.environ)
        fonts = _fonts_conf(work)
        if fonts is not None:
            env["FONTCONFIG_FILE"] = str(fonts)
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(source),
        ]
        try:
            returncode, output = _run(command, env, work, timeout)
        except subprocess.TimeoutExpired:
            raise PdfUnavailable(texts.text("messages.pdf_timeout", seconds=f"{timeout:g}")) from None
        except OSError as error:
            raise PdfUnavailable(texts.text("messages.pdf_cannot_start", error=error)) from error
        target = work / "report.pdf"
        if returncode != 0 or not target.exists():
            detail = output.decode(errors="replace").strip()[-300:]
            raise PdfUnavailable(texts.text("messages.pdf_failed", detail=detail))
        return target.read_bytes()
