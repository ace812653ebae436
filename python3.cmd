@echo off
rem python3.cmd: makes "python3 run.py" work in Windows cmd as it does in a Linux shell.
rem cmd looks in the current folder before PATH, so this file wins over the Microsoft Store's python3 stub
rem (which only opens the Store). It runs the first real Python 3.11 or newer, "py -3" then "python",
rem with all the arguments, and returns its exit code. Keep this file ASCII up to the chcp line below,
rem CRLF line ends (.gitattributes: *.cmd -text) and no parenthesised blocks, as start.bat.
setlocal
set "FAZHI_PY_CHECK=import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)"
py -3 -c "%FAZHI_PY_CHECK%" >nul 2>nul
if not errorlevel 1 goto :py_launcher
python -c "%FAZHI_PY_CHECK%" >nul 2>nul
if not errorlevel 1 goto :python_on_path
goto :missing

:py_launcher
py -3 %*
exit /b %errorlevel%

:python_on_path
python %*
exit /b %errorlevel%

:missing
rem Chinese from here on: remember the console's code page, switch to UTF-8, and switch back at the end.
for /f "tokens=2 delims=:" %%c in ('chcp') do set "FAZHI_CP=%%c"
chcp 65001 >nul
echo 没有找到 Python 3.11 或更新版本（没有安装，或版本太旧）。
echo 请从 https://www.python.org/downloads/ 下载安装，安装时勾选“Add python.exe to PATH”，然后重新打开命令提示符，再运行一次。
if defined FAZHI_CP chcp %FAZHI_CP% >nul
exit /b 9009
