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
    """Validate the catalog, the report structure and the default report template."""
    catalog = load_catalog()
    fields = sum(len(t.fields) for t in catalog.record_types.values())
    print(
        f"目录检查通过：{len(catalog.outlines)} 版纲要，{len(catalog.record_types)} 种记录类型，"
        f"{fields} 个字段，{len(catalog.indicators)} 项指标。"
    )
    _check_report(catalog)
    return 0


def _check_report(catalog) -> None:
    """The report's structure file and default template: usable, and the template is what the code builds."""
    from fazhi.errors import ReportTemplateError
    from fazhi.report import custom, drafts, template

    parts = drafts.load_parts(catalog)
    print(f"报告结构检查通过：{len(catalog.outlines)} 版纲要共 {len(parts)} 个小节（data/report.toml）。")
    try:
        data = template.default_template_bytes()
    except OSError as error:
        raise ReportTemplateError(f"找不到默认报告模板 {template.DEFAULT_TEMPLATE}：{error}") from error
    custom.check_template(data)
    if template.parts(data) != template.parts(template.build_template()):
        raise ReportTemplateError(
            f"默认报告模板 {template.DEFAULT_TEMPLATE.name} 与程序生成的版式不一致，"
            '请运行 python -c "from fazhi.report.template import write_default; write_default()" 重新生成。'
        )
    print(f"默认报告模板检查通过：{template.DEFAULT_TEMPLATE.name}（GB/T 9704 版式，标记和变量均正确）。")


def _unit_and_year(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--unit", required=True, help="单位名称，如 燕山乡（包含其下各村/社区）")
    parser.add_argument("--year", type=int, required=True, help="年度，如 2020")


def _indicator_arguments(parser: argparse.ArgumentParser) -> None:
    _unit_and_year(parser)
    parser.add_argument("--json", action="store_true", help="以 JSON 输出（便于其他程序读取）")


def _plain(value: object) -> object:
    return None if isinstance(value, float) and value != value else value


def cmd_indicators(args: argparse.Namespace) -> int:
    """Print every indicator of a unit and year with target, completion and last year's value."""
    import json

    from fazhi.auth import system_user
    from fazhi.indicators import indicator_table
    from fazhi.units import find_unit

    catalog = load_catalog()
    with _open(args) as database:
        unit = find_unit(database, args.unit)
        table = indicator_table(database, system_user(), catalog, unit, args.year)
    if args.json:
        columns = [
            "code",
            "name",
            "unit",
            "area",
            "value",
            "target",
            "completion",
            "previous",
            "change_pct",
            "status",
        ]
        rows = [{k: _plain(v) for k, v in row.items()} for row in table[columns].to_dict("records")]
        print(
            json.dumps(
                {"unit": unit.name, "year": args.year, "indicators": rows}, ensure_ascii=False, indent=2
            )
        )
        return 0
    print(f"{unit.name} {args.year}年 指标完成情况（{len(table)} 项）")
    print("指标\t数值\t目标\t完成\t上年\t较上年\t状态")
    for row in table.itertuples():
        completion = "—" if _plain(row.completion) is None else f"{row.completion:.0f}%"
        change = "—" if _plain(row.change_pct) is None else f"{row.change_pct:+.1f}%"
        print(
            f"{row.name}\t{row.value_text}\t{row.target_text}\t{completion}\t{row.previous_text}\t{change}\t{row.status}"
        )
    return 0


def _report_arguments(parser: argparse.ArgumentParser) -> None:
    _unit_and_year(parser)
    parser.add_argument(
        "--out", type=Path, default=None, help="输出的 Word 文件（默认：单位+年度+法治政府建设情况报告.docx）"
    )
    parser.add_argument(
        "--template", type=Path, default=None, help="使用这个 .docx 模板（默认用本单位上传的模板或默认模板）"
    )
    parser.add_argument("--pdf", action="store_true", help="同时用 LibreOffice 生成同名 PDF")
    parser.add_argument("--no-charts", action="store_true", help="不生成图表")


def cmd_report(args: argparse.Namespace) -> int:
    """Write the annual report of a unit and year as .docx (and PDF)."""
    from fazhi.auth import system_user
    from fazhi.errors import FazhiError
    from fazhi.report.custom import check_template
    from fazhi.report.generate import generate, generate_pdf
    from fazhi.units import find_unit

    catalog = load_catalog()
    template = None
    if args.template is not None:
        try:
            template = args.template.read_bytes()
        except OSError as error:
            raise FazhiError(f"无法读取模板文件 {args.template}：{error.strerror or error}") from error
        check_template(template)
    with _open(args) as database:
        unit = find_unit(database, args.unit)
        report = generate(
            database, system_user(), catalog, unit, args.year, charts=not args.no_charts, template=template
        )
    out = args.out or Path(report.filename)
    try:
        out.write_bytes(report.docx)
    except OSError as error:
        raise FazhiError(
            f"无法写入 {out}：{error.strerror or error}（文件是否正在 Word 中打开？）"
        ) from error
    context = report.context
    print(
        f"已生成{unit.name}{args.year}年法治政府建设情况报告：{out}"
        f"（{len(context['measures'])} 个小节，{len(context['indicator_rows'])} 项指标，{len(context['charts'])} 张图表）。"
    )
    for note in report.notes:
        print(f"提示：{note}")
    if args.pdf:
        target = out.with_suffix(".pdf")
        target.write_bytes(generate_pdf(report))
        print(f"已生成 PDF：{target}")
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
    "init": ("建立或升级数据库", cmd_init),
    "demo": ("加载燕山乡示例数据（只能加载到空数据库）", cmd_demo),
    "check": ("检查目录文件（记录类型、领域、指标）是否正确", cmd_check),
    "indicators": ("列出某单位某年度全部指标的数值、目标、完成率和上年数", cmd_indicators),
    "report": ("生成某单位某年度的《关于20XX年法治政府建设情况的报告》（Word，可选 PDF）", cmd_report),
}

# Extra options of a command beyond --db.
ARGUMENTS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "indicators": _indicator_arguments,
    "report": _report_arguments,
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
        if name in ARGUMENTS:
            ARGUMENTS[name](command)
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
