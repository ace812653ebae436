"""The command line: `python -m fazhi <command> [--db PATH]`; run with --help for the list."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from fazhi import db as dbmod
from fazhi.catalog import load_catalog
from fazhi.errors import FazhiError
from fazhi.settings import db_path


def _open(args: argparse.Namespace) -> dbmod.Database:
    return dbmod.connect(args.db)


def cmd_init(args: argparse.Namespace) -> int:
    """Create or migrate the database."""
    database = dbmod.connect(args.db, migrate=False)
    with database:
        applied = dbmod.apply_migrations(database)
        version = dbmod.schema_version(database)
    if applied:
        print(f"数据库 {database.path} 已建立或升级：{', '.join(applied)}（当前结构版本 {version}）。")
    else:
        print(f"数据库 {database.path} 已是最新结构（{version}），无需升级。")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Load the 燕山乡 demo into an empty database."""
    from fazhi.sample import load_demo

    catalog = load_catalog()
    with _open(args) as database:
        result = load_demo(database, catalog)
    print(
        f"已加载示例数据：{result.township.name}（2019、2020年）共 {result.records} 条记录，数据库 {database.path}。"
    )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the catalog (and, when present, the report template)."""
    catalog = load_catalog()
    fields = sum(len(t.fields) for t in catalog.record_types.values())
    print(
        f"目录检查通过：{len(catalog.outlines)} 版纲要，{len(catalog.record_types)} 种记录类型，{fields} 个字段。"
    )
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
    "init": ("建立或升级数据库", cmd_init),
    "demo": ("加载燕山乡示例数据（只能加载到空数据库）", cmd_demo),
    "check": ("检查目录文件（记录类型、领域）是否正确", cmd_check),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="python -m fazhi", description="法治政府建设工作台 命令行工具")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")
    for name, (help_text, _) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument(
            "--db", type=Path, default=None, help=f"数据库文件（默认 $FAZHI_DB 或 {db_path()}）"
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a FazhiError prints its Chinese message and exits 2, never a traceback."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    args = build_parser().parse_args(argv)
    args.db = args.db or db_path()
    try:
        return COMMANDS[args.command][1](args)
    except FazhiError as error:
        print(f"错误：{error.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except Exception as error:  # the last line of defence: a message, not a traceback
        if os.environ.get("FAZHI_DEBUG"):
            raise
        print(
            f"程序内部错误（{type(error).__name__}：{error}）。设置环境变量 FAZHI_DEBUG=1 可查看详细信息。",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
