@echo off
rem The first two lines stay ASCII: cmd reads them before the switch to UTF-8 (code page 65001).
chcp 65001 >nul
rem 法治政府建设工作台：双击启动。第一次运行会建立运行环境并安装所需软件包（需要联网，只需一次；离线安装包带 wheels 文件夹，不需要联网）。
rem 运行环境由 run.py 建立和更新，与在命令行中运行 python3 run.py 完全相同；python3.cmd 负责找到 Python 3.11 或更新版本。
rem 本文件须保存为 UTF-8 编码（无 BOM）、Windows 换行（CRLF），且不用括号包起的多行语句。
setlocal EnableExtensions
cd /d "%~dp0"
title 法治政府建设工作台

rem ───── 可以修改的设置 ─────
rem 监听地址：0.0.0.0 让局域网内的同事访问；改为 127.0.0.1 则只有本机能访问。
if not defined FAZHI_ADDRESS set "FAZHI_ADDRESS=0.0.0.0"
rem 端口：须与防火墙中放行的端口一致。
if not defined FAZHI_PORT set "FAZHI_PORT=8501"
rem 数据库文件（佐证材料和备份放在它旁边的 attachments、backups 文件夹中）。
if not defined FAZHI_DB set "FAZHI_DB=%~dp0data\fazhi.duckdb"

rem ───── 启动：建立或更新运行环境，显示访问地址，程序启动后打开浏览器 ─────
call "%~dp0python3.cmd" "%~dp0run.py" --address %FAZHI_ADDRESS% --port %FAZHI_PORT% --open
set "FAZHI_EXIT=%errorlevel%"
echo.
pause
exit /b %FAZHI_EXIT%
