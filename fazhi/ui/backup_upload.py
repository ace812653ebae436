"""Uploading a backup of any size from the 备份与恢复 page: the browser streams the file to POST /files/backups
(fazhi/web.py) with its progress shown, then reloads the page, whose list then holds the file to restore.

Streamlit's own uploader holds each file in memory and stops at server.maxUploadSize (10 MB), while a
backup with its evidence files is often far larger. The native file input is hidden behind a Chinese label,
because its own button says "Choose File" in an English browser.
"""

from __future__ import annotations

import streamlit as st

from fazhi import web

_HTML = """
<div class="fazhi-backup-upload" style="display:flex;gap:0.75rem;align-items:center;flex-wrap:wrap">
  <label style="border:1px solid rgba(49,51,63,0.2);border-radius:0.5rem;padding:0.35rem 0.9rem;cursor:pointer">
    选择备份文件（.zip）
    <input type="file" accept=".zip,application/zip" style="display:none" data-fazhi="backup-file">
  </label>
  <span data-fazhi="backup-name">未选择文件</span>
  <button type="button" data-fazhi="backup-send" disabled
    style="border:none;border-radius:0.5rem;padding:0.4rem 1rem;background:#ff4b4b;color:#fff;cursor:pointer">
    上传到服务器
  </button>
</div>
<p data-fazhi="backup-status" role="status" aria-live="polite" style="margin-top:0.5rem"></p>
<script>
(() => {
  const pick = (name) => document.querySelector('[data-fazhi="backup-' + name + '"]');
  const input = pick("file"), label = pick("name"), send = pick("send"), status = pick("status");
  if (!input || input.dataset.ready) return;
  input.dataset.ready = "1";
  input.addEventListener("change", () => {
    const file = input.files[0];
    label.textContent = file ? file.name : "未选择文件";
    send.disabled = !file;
  });
  send.addEventListener("click", () => {
    const file = input.files[0];
    if (!file) { status.textContent = "请先选择备份文件。"; return; }
    send.disabled = true;
    const request = new XMLHttpRequest();
    request.open("POST", "/files/backups");
    request.setRequestHeader("HEADER_", "1");
    request.upload.onprogress = (e) => {
      if (e.lengthComputable) status.textContent = "正在上传…… " + Math.floor(e.loaded * 100 / e.total) + "%";
    };
    request.onload = () => {
      let message = "上传失败（服务器返回 " + request.status + "）。";
      try { message = JSON.parse(request.responseText).message || message; } catch (e) {}
      status.textContent = message;
      if (request.status === 200) { setTimeout(() => window.location.reload(), 2000); }
      else { send.disabled = false; }
    };
    request.onerror = () => {
      status.textContent = "上传中断：与服务器的连接断开了，请检查网络后重试。";
      send.disabled = false;
    };
    status.textContent = "正在上传……";
    request.send(file);
  });
})();
</script>
"""


def backup_upload() -> None:
    """The upload control (any size; the file lands in the backups folder, the page then reloads)."""
    st.html(
        _HTML.replace("HEADER_", web.REQUEST_HEADER),
        unsafe_allow_javascript=True,
    )
