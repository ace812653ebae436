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


def _export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, required=True, help="导出到的文件：.xlsx（每种记录类型一个工作表）或 .csv"
    )
    parser.add_argument("--year", type=int, default=None, help="只导出这一年的记录")
    parser.add_argument("--unit", default=None, help="只导出这个单位（含下属单位）的记录，写单位名称")
    parser.add_argument(
        "--type", dest="type_name", default=None, help="只导出这种记录类型（名称或代码）；导出 CSV 时需要"
    )


def cmd_export(args: argparse.Namespace) -> int:
    """Export records to .xlsx or .csv in the format `import` reads."""
    from fazhi import auth, records, transfer, units
    from fazhi.errors import NotFound

    catalog = load_catalog()
    with _open(args) as database:
        user = auth.system_user("命令行")
        unit = units.find_unit(database, args.unit) if args.unit else None
        type_codes = []
        if args.type_name:
            code = transfer.find_type(catalog, args.type_name)
            if code is None:
                raise NotFound(f"没有名为“{args.type_name}”的记录类型。")
            type_codes = [code]
        filters = records.RecordFilter(
            year=args.year, unit_id=unit.id if unit else None, type_codes=type_codes
        )
        count = len(records.list_records(database, user, catalog, filters))
        if args.out.suffix.lower() == ".csv":
            data, kind = transfer.export_csv(database, user, catalog, filters)
            if kind != "csv":
                raise FazhiError("一个 CSV 文件只能放一种记录类型：请用 --type 指定类型，或导出为 .xlsx。")
        elif args.out.suffix.lower() == ".xlsx":
            data = transfer.export_xlsx(database, user, catalog, filters)
        else:
            raise FazhiError("--out 的文件名应以 .xlsx 或 .csv 结尾。")
    try:
        args.out.write_bytes(data)
    except OSError as error:
        raise FazhiError(f"无法写入 {args.out}：{error.strerror or error}") from error
    print(f"已导出 {count} 条记录到 {args.out}。")
    return 0


def _import_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="要导入的 .xlsx 或 .csv 文件")
    parser.add_argument("--dry-run", action="store_true", help="只检查，不写入数据库")
    parser.add_argument("--year", type=int, default=None, help="只接受这一年内的日期")
    parser.add_argument(
        "--type", dest="type_name", default=None, help="CSV 没有“记录类型”列时，它的记录类型（名称或代码）"
    )
    duplicates = parser.add_mutually_exclusive_group()
    duplicates.add_argument("--skip-duplicates", action="store_true", help="跳过疑似重复的行，只导入其余的行")
    duplicates.add_argument("--allow-duplicates", action="store_true", help="疑似重复的行也导入")


def cmd_import(args: argparse.Namespace) -> int:
    """Import records from .xlsx or .csv: all rows or none; every problem printed with row and column."""
    from fazhi import auth, transfer
    from fazhi.errors import NotFound

    catalog = load_catalog()
    try:
        data = args.file.read_bytes()
    except OSError as error:
        raise FazhiError(f"无法读取 {args.file}：{error.strerror or error}") from error
    type_code = None
    if args.type_name:
        type_code = transfer.find_type(catalog, args.type_name)
        if type_code is None:
            raise NotFound(f"没有名为“{args.type_name}”的记录类型。")
    with _open(args) as database:
        user = auth.system_user("命令行")
        plan = transfer.preview(
            database, user, catalog, args.file.name, data, year=args.year, type_code=type_code
        )
        for notice in plan.notices:
            print(f"提示：{notice}")
        if plan.problems:
            for problem in plan.problems:
                print(problem, file=sys.stderr)
            print(f"{args.file.name}：{transfer.summary(plan)}", file=sys.stderr)
            return 1
        if plan.duplicates and not (args.skip_duplicates or args.allow_duplicates):
            for row in plan.duplicates:
                print(
                    f"疑似重复：工作表“{row.sheet}”第{row.row}行“{row.title}”{row.duplicate}", file=sys.stderr
                )
            print(
                f"有{len(plan.duplicates)}行疑似重复，没有导入任何记录。加 --skip-duplicates 跳过这些行、只导入其余的行，"
                "或加 --allow-duplicates 仍然全部导入。",
                file=sys.stderr,
            )
            return 1
        if args.dry_run:
            count = len(plan.items(args.allow_duplicates))
            print(f"检查通过（试运行，未写入）：{transfer.summary(plan)}将导入 {count} 条记录。")
            return 0
        result = transfer.run(database, user, catalog, plan, include_duplicates=args.allow_duplicates)
    skipped = f"，跳过 {result.skipped} 行疑似重复" if result.skipped else ""
    print(f"已导入 {len(result.ids)} 条记录{skipped}，数据库 {database.path}。")
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
    "init": ("建立或升级数据库", cmd_init),
    "demo": ("加载燕山乡示例数据（只能加载到空数据库）", cmd_demo),
    "check": ("检查目录文件（记录类型、领域）是否正确", cmd_check),
    "export": ("把记录导出为 Excel（.xlsx）或 CSV，格式与导入相同", cmd_export),
    "import": ("从 Excel（.xlsx）或 CSV 导入记录：全部导入或一条也不导入", cmd_import),
}

# Extra arguments of a command, beyond --db (each command adds its own here).
OPTIONS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "export": _export_options,
    "import": _import_options,
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
        if name in OPTIONS:
            OPTIONS[name](command)
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
