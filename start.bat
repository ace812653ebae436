@echo off
rem The first two lines stay ASCII: cmd reads them before the switch to UTF-8 (code page 65001).
chcp 65001 >nul
rem 法治政府建设工作台：双击启动。第一次运行会建立运行环境并安装所需软件包（需要联网，只需一次）。
rem 本文件须保存为 UTF-8 编码（无 BOM）、Windows 换行（CRLF）。
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

rem ───── 1. 找到 Python 3.11 或更新版本 ─────
set "CHECK=import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)"
set "PY="
py -3 -c "%CHECK%" >nul 2>nul
if not errorlevel 1 set "PY=py -3"
if defined PY goto :have_python
python -c "%CHECK%" >nul 2>nul
if not errorlevel 1 set "PY=python"
if defined PY goto :have_python
echo.
echo 没有找到 Python 3.11 或更新版本。
echo 请从 https://www.python.org/downloads/ 下载安装，安装时勾选“Add python.exe to PATH”，然后重新双击本文件。
goto :fail

:have_python
rem ───── 2. 第一次运行：建立运行环境，安装软件包 ─────
set "VPY=%~dp0.venv\Scripts\python.exe"
if exist "%VPY%" goto :have_venv
echo 第一次运行：正在建立运行环境……
%PY% -m venv "%~dp0.venv"
if errorlevel 1 goto :venv_failed

:have_venv
rem requirements.txt 变化后（程序升级）会重新安装。
fc /b "%~dp0requirements.txt" "%~dp0.venv\requirements.installed" >nul 2>nul
if not errorlevel 1 goto :installed
echo 正在安装所需的软件包，需要联网，约需几分钟……
"%VPY%" -m pip install --disable-pip-version-check -r "%~dp0requirements.txt"
if errorlevel 1 goto :pip_failed
copy /y "%~dp0requirements.txt" "%~dp0.venv\requirements.installed" >nul

:installed
rem ───── 3. 启动 ─────
echo.
echo ============================================================
echo   法治政府建设工作台
echo   数据文件：%FAZHI_DB%
echo.
"%VPY%" -m fazhi address --address %FAZHI_ADDRESS% --port %FAZHI_PORT%
echo.
echo   使用期间请不要关闭本窗口；关闭本窗口即停止程序。
echo ============================================================
echo.
start "" /b "%VPY%" -m fazhi address --open --port %FAZHI_PORT%
"%VPY%" -m streamlit run "%~dp0app.py" --server.address %FAZHI_ADDRESS% --server.port %FAZHI_PORT%
echo.
echo 程序已停止。
pause
exit /b 0

:venv_failed
echo 建立运行环境失败。请确认 Python 安装完整，并且本文件夹可以写入。
goto :fail

:pip_failed
rem 下次双击时会重新安装。
del "%~dp0.venv\requirements.installed" >nul 2>nul
echo 安装软件包失败。请检查网络连接后重新双击本文件。
echo 单位网络访问国外网站较慢时，可先在“命令提示符”中运行：
echo     py -m pip config set global.index-url https://pypi.tuna.tsinghua.edu.cn/simple
goto :fail

:fail
echo.
pause
exit /b 1
