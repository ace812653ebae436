"""The command line: `python -m fazhi <command> [--db PATH]`; run with --help for the list.

Over 400 lines because it is the whole command line, 42 commands in one table (`COMMANDS`): each handler
only reads its arguments, calls fazhi.* and prints the outcome in Chinese, so the logic stays in the
modules the handlers call and a newcomer finds every command in one place.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from fazhi import db as dbmod
from fazhi.catalog import load_catalog
from fazhi.errors import FazhiError, InvalidInput, NotFound, PermissionDenied, Problem
from fazhi.labels import LEVELS, ROLES
from fazhi.settings import LOCAL_POSTGRES, database_url, db_path

if TYPE_CHECKING:
    from fazhi.units import Unit

# Only these commands may make a new database file; every other one needs an existing --db (a mistyped
# path must not silently become an empty database). restore may fill a new file, from the backup only.
CREATES_DATABASE = {"init", "setup", "demo", "restore"}
NO_DATABASE = {"check", "template", "bench", "loadtest", "address", "bundle", "database"}


def _open(args: argparse.Namespace) -> dbmod.Database:
    return dbmod.connect(args.db)


def database_argument(text: str) -> Path | str:
    """--db, --from, --to: a postgresql:// URL as written, anything else a DuckDB file's path."""
    return text if dbmod.is_url(text) else Path(text)


def missing_database(path: Path) -> str:
    """The Chinese message for a --db file that does not exist."""
    return f"找不到数据库文件 {path}；新建请用 python -m fazhi init 或 setup。"


def cmd_init(args: argparse.Namespace) -> int:
    """Create or migrate the database."""
    database = dbmod.connect(args.db, migrate=False)
    with database:
        applied = dbmod.apply_migrations(database)
        version = dbmod.schema_version(database)
    if applied:
        print(
            f"数据库 {dbmod.shown(database)} 已建立或升级：{', '.join(applied)}（当前结构版本 {version}）。"
        )
    else:
        print(f"数据库 {dbmod.shown(database)} 已是最新结构（{version}），无需升级。")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Load the 燕山乡 demo into an empty database."""
    from fazhi.sample import load_demo

    catalog = load_catalog()
    with _open(args) as database:
        result = load_demo(database, catalog)
    print(
        f"已加载示例数据：{result.township.name}（2019、2020年）共 {result.records} 条记录，数据库 {dbmod.shown(database)}。"
    )
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    """Rebuild data/report_template.docx from the layout (data/report_layout.toml) and check it."""
    from fazhi.report import custom, template

    path = template.write_default()
    custom.check_template(path.read_bytes())
    print(f"已按 data/report_layout.toml 重新生成默认报告模板：{path}。")
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
    from fazhi.report import custom, structure, template

    parts = structure.load_parts(catalog)
    print(f"报告结构检查通过：{len(catalog.outlines)} 版纲要共 {len(parts)} 个小节（data/report.toml）。")
    from fazhi.report.wording import load_wording

    wording = load_wording(catalog)
    clauses = sum(len(t.clauses) for t in wording.topics)
    print(
        f"报告措辞检查通过：{len(wording.topics)} 个要点、{clauses} 个分句，{len(catalog.indicators)} 项指标中"
        f"{len(catalog.indicators) - len(wording.untold)} 项由正文讲述、{len(wording.untold)} 项说明了不讲的原因（data/wording.toml）。"
    )
    try:
        data = template.default_template_bytes()
    except OSError as error:
        raise ReportTemplateError(f"找不到默认报告模板 {template.DEFAULT_TEMPLATE}：{error}") from error
    custom.check_template(data)
    if template.parts(data) != template.parts(template.build_template()):
        raise ReportTemplateError(
            f"默认报告模板 {template.DEFAULT_TEMPLATE.name} 与程序生成的版式不一致，"
            "请运行 python -m fazhi template 重新生成。"
        )
    print(f"默认报告模板检查通过：{template.DEFAULT_TEMPLATE.name}（GB/T 9704 版式，标记和变量均正确）。")


# ───────────── accounts: user add|passwd|unlock|disable|enable|list ─────────────

ROLE_NAMES = {**{label: code for code, label in ROLES.items()}, **{code: code for code in ROLES}}


def read_password() -> str:
    """A new password: typed twice at a hidden prompt, or the first line of piped input (never from argv)."""
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass("新密码（至少10个字符，不能是常见密码；输入时不显示）：")
        if getpass.getpass("再次输入新密码：") != first:
            raise InvalidInput([Problem("password", "两次输入的密码不一致，未作任何修改。")])
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise InvalidInput(
            [Problem("password", "没有读到密码。请在命令行窗口中直接运行，按提示输入密码（输入时不显示）。")]
        )
    return line.rstrip("\r\n")


def _user_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "action", choices=["add", "passwd", "unlock", "disable", "enable", "list"], help="要做的事"
    )
    command.add_argument("name", nargs="?", help="用户名（list 不需要）")
    command.add_argument("--unit", help="add：所属单位名称；重名时写成“上级单位/单位名”")
    command.add_argument("--role", help="add：管理员、录入员或查看者（也可写 admin、editor、viewer）")
    command.add_argument("--display-name", default="", help="add：姓名（默认同用户名）")


def cmd_user(args: argparse.Namespace) -> int:
    """Manage accounts from the server's command line (an administrator locked out of the browser gets back in)."""
    from fazhi import auth
    from fazhi.units import find_unit

    if args.action != "list" and not args.name:
        raise InvalidInput([Problem("name", f"请写出用户名，如：python -m fazhi user {args.action} 张三")])
    actor = auth.system_user()
    with _open(args) as database:
        if args.action == "list":
            _print_users(auth.list_users(database, actor))
        elif args.action == "add":
            role = ROLE_NAMES.get((args.role or "").strip())
            if role is None or not args.unit:
                raise InvalidInput(
                    [Problem("role", "添加用户需要 --unit 单位名称 和 --role 管理员|录入员|查看者。")]
                )
            unit = find_unit(database, args.unit)
            user = auth.create_user(
                database, actor, args.name, read_password(), role, unit.id, args.display_name
            )
            print(f"已添加用户 {user.username}（{user.display_name}，{user.role_label}，{user.unit_name}）。")
        elif args.action == "passwd":
            auth.set_password(database, actor, args.name, read_password())
            print(f"已重设用户 {args.name.strip()} 的密码，并解除了登录暂停。")
        elif args.action == "unlock":
            auth.unlock(database, actor, args.name)
            print(f"已解除用户 {args.name.strip()} 在所有电脑上的登录暂停（密码未改）。")
        else:
            auth.set_active(database, actor, args.name, args.action == "enable")
            print(f"已{'启用' if args.action == 'enable' else '停用'}用户 {args.name.strip()}。")
    return 0


def _print_users(users: list[dict]) -> None:
    if not users:
        print(
            "还没有任何账号。请运行 python -m fazhi setup，或启动程序在浏览器的“初始化”页面建立第一个管理员。"
        )
        return
    print("用户名\t姓名\t角色\t单位\t状态\t最近登录")
    for item in users:
        state = "启用" if item["is_active"] else "停用"
        if item["locked_until"] is not None:
            state += f"（暂停登录至 {item['locked_until']:%Y-%m-%d %H:%M}）"
        last = f"{item['last_login_at']:%Y-%m-%d %H:%M}" if item["last_login_at"] else "从未"
        print(f"{item['username']}\t{item['display_name']}\t{item['role']}\t{item['unit']}\t{state}\t{last}")


# ───────────── a new installation and its units: setup, unit list|add|rename ─────────────

LEVEL_NAMES = {
    **{label: code for code, label in LEVELS.items()},
    **{code: code for code in LEVELS},
    **{
        "区": "county",
        "县": "county",
        "乡镇": "township",
        "乡": "township",
        "镇": "township",
        "街道": "township",
    },
    **{"村": "village", "社区": "village"},
}


def _level(text: str | None, allowed: tuple[str, ...]) -> str | None:
    """The level code for `text` (英文或中文), None when not given; InvalidInput when not one of `allowed`."""
    if text is None:
        return None
    level = LEVEL_NAMES.get(text.strip().lower())
    if level not in allowed:
        choices = "或 ".join(f"{code}（{LEVELS[code]}）" for code in allowed)
        raise InvalidInput([Problem("level", f"--level 应为 {choices}，而不是“{text}”。")])
    return level


def _setup_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--unit", required=True, help="本单位（最上级单位）的名称，如 万州区、燕山乡")
    command.add_argument(
        "--level", required=True, help="本单位的级别：county（区县）或 township（乡镇/街道）"
    )
    command.add_argument("--admin", required=True, help="第一个管理员的用户名（登录时使用）")
    command.add_argument("--display-name", default="", help="管理员的姓名（默认同用户名）")


def cmd_setup(args: argparse.Namespace) -> int:
    """Prepare an installation without a browser: the database, the top unit and the first administrator."""
    from fazhi import auth
    from fazhi.units import all_units

    level = _level(args.level, ("county", "township"))
    assert level is not None  # --level is required for setup
    problems = auth.username_problems(args.admin.strip())
    if problems:
        raise InvalidInput(problems)
    with dbmod.connect(args.db) as database:
        accounts = auth.user_count(database)
        if accounts:
            raise PermissionDenied(
                f"数据库 {dbmod.shown(database)} 已经初始化过（已有 {accounts} 个账号），无需再运行 setup。"
                "添加账号请用 python -m fazhi user add，管理员忘记密码请用 python -m fazhi user passwd。"
            )
        tops = [unit for unit in all_units(database) if unit.parent_id is None]
        if tops and (tops[0].name, tops[0].level) != (args.unit.strip(), level):
            raise InvalidInput(
                [Problem("unit", f"数据库中已有最上级单位“{tops[0].name}”（{tops[0].level_label}），"
                         "--unit 和 --level 应与它一致。")]
            )  # fmt: skip
        user = auth.create_first_admin(
            database, args.admin, read_password(), args.display_name, args.unit, level
        )
    print(
        f"已初始化数据库 {dbmod.shown(database)}：最上级单位 {user.unit_name}（{LEVELS[level]}），"
        f"管理员 {user.username}（{user.display_name}）。现在可以启动程序（python3 run.py），用这个账号登录。"
    )
    return 0


def _unit_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("action", choices=["list", "add", "rename"], help="要做的事")
    command.add_argument("names", nargs="*", help="add：新单位的名称；rename：原名称 新名称")
    command.add_argument("--parent", help="add：上级单位的名称；重名时写成“上级单位/单位名”")
    command.add_argument(
        "--level", help="add：township（乡镇/街道）或 village（村/社区）；可省略，由上级单位决定"
    )


def cmd_unit(args: argparse.Namespace) -> int:
    """List, add or rename units from the command line (as the system user; audited like the 单位管理 page)."""
    from fazhi import auth, units
    from fazhi.labels import CHILD_LEVEL

    actor = auth.system_user()
    expected = {"list": 0, "add": 1, "rename": 2}[args.action]
    if len(args.names) != expected:
        example = {
            "list": "unit list",
            "add": "unit add 新华村 --parent 燕山乡",
            "rename": "unit rename 旧名 新名",
        }
        raise InvalidInput([Problem("names", f"写法：python -m fazhi {example[args.action]}")])
    with _open(args) as database:
        if args.action == "list":
            _print_units(units.all_units(database))
        elif args.action == "add":
            if not args.parent:
                raise InvalidInput(
                    [
                        Problem(
                            "parent",
                            "请用 --parent 写出上级单位；最上级单位在 python -m fazhi setup 时建立。",
                        )
                    ]
                )
            parent = units.find_unit(database, args.parent)
            level = _level(args.level, ("township", "village"))
            child = CHILD_LEVEL.get(parent.level)
            if level is not None and child is not None and level != child:
                raise InvalidInput(
                    [Problem("level", f"“{parent.name}”的下级单位是{LEVELS[child]}，不是{LEVELS[level]}。")]
                )
            unit = units.create_child_unit(database, actor, parent.id, args.names[0])
            print(f"已在“{parent.name}”下新增{unit.level_label}“{unit.name}”。")
        else:
            old, new = args.names
            unit = units.find_unit(database, old)
            renamed = units.rename_unit(database, actor, unit.id, new)
            if renamed.name == unit.name:
                print(f"“{unit.name}”的名称没有变化。")
            else:
                print(f"已把{unit.level_label}“{unit.name}”改名为“{renamed.name}”。")
    return 0


def _print_units(everything: list[Unit]) -> None:
    if not everything:
        print("还没有任何单位。请运行 python -m fazhi setup，或启动程序在浏览器的“初始化”页面建立本单位。")
        return
    depth: dict[int | None, int] = {}
    for unit in everything:  # parents come before their children
        depth[unit.id] = depth.get(unit.parent_id, -1) + 1
        print(f"{'  ' * depth[unit.id]}{unit.name}（{unit.level_label}）")


# ───────────── backup and restore ─────────────


def _backup_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--out", type=Path, help="备份文件（.zip）；默认存入数据库旁的 backups 文件夹")


def cmd_backup(args: argparse.Namespace) -> int:
    """Write a backup zip of the database and the evidence files."""
    from fazhi import auth, backup

    with _open(args) as database:
        out = args.out or backup.new_backup_path(database.path)
        manifest = backup.create_backup(database, auth.system_user(), out)
    print(
        f"已备份到 {Path(out).resolve()}：{manifest.records} 条记录，{manifest.attachments} 个佐证材料文件，"
        f"结构版本 {manifest.schema_version}。"
    )
    if manifest.missing_attachments:
        print(
            f"注意：有 {len(manifest.missing_attachments)} 个佐证材料在数据库中有登记，但文件已不在附件文件夹中。"
        )
    return 0


def _restore_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("zip", type=Path, help="要恢复的备份文件（.zip）")


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the database and evidence files with a checked backup (the current data is saved first)."""
    from fazhi import backup

    target = args.db if dbmod.is_url(args.db) else Path(args.db)
    new = isinstance(target, Path) and not target.exists()  # a new computer: the backup becomes its database
    try:
        result = backup.restore_file(args.zip, target)
    except BaseException:
        if new:  # refused or interrupted: no empty database left behind
            for leftover in (target, target.with_name(target.name + ".wal")):
                leftover.unlink(missing_ok=True)
        raise
    manifest = result.manifest
    print(
        f"已从 {args.zip} 恢复到 {target}（备份时间 {manifest.created_at.replace('T', ' ')}）："
        f"{manifest.records} 条记录，{manifest.attachments} 个佐证材料文件。"
    )
    if result.saved_before:
        print(f"恢复前的数据已另存为 {result.saved_before}。")
    return 0


# ───────────── moving an installation between the DuckDB file and PostgreSQL ─────────────


def _database_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("action", choices=["copy"], help="copy：把整个数据库复制到一个新的空数据库")
    command.add_argument(
        "--from",
        dest="source",
        required=True,
        type=database_argument,
        help="来源：数据库文件或 postgresql:// 地址",
    )
    command.add_argument(
        "--to",
        dest="target",
        required=True,
        type=database_argument,
        help="目标：新文件或新建的 PostgreSQL 数据库",
    )


def cmd_database(args: argparse.Namespace) -> int:
    """Copy every table of one database (file or PostgreSQL) into a new, empty one; counts checked."""
    from fazhi import database_copy

    if not dbmod.is_url(args.source) and not Path(args.source).exists():
        raise NotFound(missing_database(args.source))
    with dbmod.connect(args.source) as source, dbmod.connect(args.target) as target:
        copied = database_copy.copy(source, target)
    total = sum(copied.rows.values())
    print(
        f"已把 {dbmod.shown(source)} 复制到 {dbmod.shown(target)}：{len(copied.rows)} 个表共 {total} 行，"
        f"其中记录 {copied.rows.get('records', 0)} 条，各表行数已核对一致。"
    )
    if copied.files:
        print(f"佐证材料和报告模板文件 {copied.files} 个已复制到 {target.path.parent}。")
    else:
        print(f"佐证材料和报告模板文件仍在 {target.path.parent}（两个数据库共用这个文件夹）。")
    return 0


# ───────────── serving the office network ─────────────


def _address_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--port", type=int, help="端口（默认取 .streamlit/config.toml 中的 server.port）")
    command.add_argument("--address", default="0.0.0.0", help="程序的监听地址（默认 0.0.0.0：局域网）")
    command.add_argument("--open", action="store_true", help="等程序启动后用默认浏览器打开（start.bat 使用）")


def cmd_address(args: argparse.Namespace) -> int:
    """Print the addresses colleagues open in their browsers (or, with --open, open it here once it runs)."""
    from fazhi import lan

    port = args.port or lan.configured_port()
    if args.open:
        return 0 if lan.wait_and_open(port) else 1
    own, *others = lan.urls(port, args.address)
    print(f"本机浏览器打开：{own}")
    if others:
        for url in others:
            print(f"同事在浏览器中打开：{url}")
        print(f"（如同事打不开，请在本机防火墙中放行 TCP 端口 {port}。）")
    elif args.address in ("127.0.0.1", "localhost"):
        print("现在只允许本机访问。要让同事访问，请把监听地址改为 0.0.0.0（见 README“局域网部署”）。")
    else:
        print("没有找到本机的局域网地址，请检查网络连接。")
    return 0


# ───────────── the offline bundle ─────────────


def _bundle_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--platform",
        help="目标电脑：win_amd64（64 位 Windows）、linux（64 位 Linux，glibc 2.28 及以上）或 manylinux_2_NN_x86_64；"
        "默认与本机相同",
    )
    command.add_argument("--python", help="目标电脑上安装的 Python 版本，如 3.11（默认与本机相同；必须一致）")
    command.add_argument(
        "--out", type=Path, help="输出的 zip 文件（默认：法治工作台-离线安装包-平台-py版本.zip）"
    )
    command.add_argument(
        "--cache",
        type=Path,
        help="下载的软件包存放在这个文件夹中；再次制作时其中的软件包够用就不再联网（默认不保留）",
    )


def cmd_bundle(args: argparse.Namespace) -> int:
    """Write the offline installation zip: the program and a wheel of every requirement for one platform."""
    from fazhi import bundle

    made = bundle.build(args.out, args.platform, args.python, cache=args.cache)
    target = made.target
    print(
        f"已生成离线安装包 {made.path}（{made.size_mb:.0f} MB：{made.wheels} 个软件包，{made.files} 个程序文件，"
        f"用时 {made.seconds:.0f} 秒）。"
    )
    where = (
        f"双击 {bundle.TOP}\\start.bat" if target.windows else f"在 {bundle.TOP} 文件夹中运行 python3 run.py"
    )
    print(f"在没有网络的电脑上：先安装 Python {target.version}，把 zip 解压，然后{where}。")
    return 0


# ───────────── indicators and benchmark ─────────────


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


def _bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--records", type=int, default=200_000, help="合成记录条数（默认 200000）")
    parser.add_argument("--units", type=int, default=50, help="单位数（默认 50）")
    parser.add_argument("--years", type=int, default=5, help="年数（默认 5）")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出")
    parser.add_argument(
        "--users",
        default=None,
        help="改为压力测试：依次模拟这么多同时在线的用户，如 1,10,20,40（同 python -m fazhi loadtest）",
    )
    parser.add_argument(
        "--think", type=float, default=10.0, help="压力测试：每步之前的思考时间，秒（默认 10）"
    )
    parser.add_argument(
        "--jitter", type=float, default=0.5, help="压力测试：思考时间的浮动比例（默认 0.5，即 ±50%%）"
    )
    parser.add_argument("--cycles", type=int, default=2, help="压力测试：每个用户登录后重复几轮（默认 2）")
    parser.add_argument(
        "--report", action="store_true", help="压力测试：另有一人在此期间反复下载年度报告（含图表）"
    )


def _loadtest_arguments(parser: argparse.ArgumentParser) -> None:
    _bench_arguments(parser)
    parser.set_defaults(users="1,10,20,40")
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        help="再用这么多个程序进程（PostgreSQL，经 Caddy 转发）测一遍同样的用户数，并与一个进程比较吞吐量",
    )
    parser.add_argument(
        "--postgres",
        default=LOCAL_POSTGRES,
        help="--processes 所用的 PostgreSQL 服务器（其上临时建一个数据库，测完删除）",
    )


def _user_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1 or max(counts) > 200:
        raise InvalidInput([Problem("users", "--users 写成用逗号分开的用户数（1 到 200），如 1,10,20,40。")])
    return counts


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure speed and memory on a synthetic database in a temporary folder (--db is not touched);
    with --users, the load test instead."""
    import json

    if args.records < 1000 or args.units < 6 or args.years < 2:
        print("错误：--records 至少 1000，--units 至少 6，--years 至少 2。", file=sys.stderr)
        return 2
    if args.users:
        return cmd_loadtest(args)
    from fazhi.bench import format_table, run

    result = run(args.records, args.units, args.years)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else format_table(result))
    return 0


def cmd_loadtest(args: argparse.Namespace) -> int:
    """Start the real server on a synthetic database and drive N concurrent browser-protocol sessions."""
    import json

    from fazhi import loadtest

    counts = _user_counts(args.users)
    if args.records < 1000 or args.units < 6 or args.years < 2 or args.think < 0 or args.cycles < 1:
        print("错误：--records 至少 1000，--units 至少 6，--years 至少 2，--cycles 至少 1。", file=sys.stderr)
        return 2
    scenario = loadtest.Scenario(
        think=args.think, jitter=min(max(args.jitter, 0.0), 1.0), cycles=args.cycles, report=args.report
    )
    processes = getattr(args, "processes", 0)  # `bench --users` has no --processes
    if processes < 0 or processes > 8:
        print("错误：--processes 写 0（只测一个进程）到 8。", file=sys.stderr)
        return 2
    result = loadtest.run(
        counts,
        args.records,
        args.units,
        args.years,
        scenario,
        processes=processes,
        postgres=getattr(args, "postgres", LOCAL_POSTGRES),
    )
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else loadtest.format_table(result))
    return 0


# ───────────── the annual report ─────────────


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
    for note in report.notes + context["warnings"]:
        print(f"提示：{note}")
    for placeholder in context["placeholders"]:
        print(f"待填写：{placeholder}")
    if args.pdf:
        target = out.with_suffix(".pdf")
        target.write_bytes(generate_pdf(report))
        print(f"已生成 PDF：{target}")
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
    from fazhi import auth, ledger, transfer, units
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
        filters = ledger.RecordFilter(
            year=args.year, unit_id=unit.id if unit else None, type_codes=type_codes
        )
        count = len(ledger.list_records(database, user, catalog, filters))
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
    print(f"已导入 {len(result.ids)} 条记录{skipped}，数据库 {dbmod.shown(database)}。")
    return 0


# ───────────── the county's year: submit, review, status, deadline, package, receive ─────────────


def _submit_arguments(parser: argparse.ArgumentParser) -> None:
    _unit_and_year(parser)
    parser.add_argument("--no-charts", action="store_true", help="报告中不含图表（没有 Chromium 时）")


def cmd_submit(args: argparse.Namespace) -> int:
    """Submit a township's year: freeze the report and the indicator table; the year becomes read-only."""
    from fazhi import auth, submissions
    from fazhi.units import find_unit

    catalog = load_catalog()
    with _open(args) as database:
        unit = find_unit(database, args.unit)
        made = submissions.submit(
            database, auth.system_user(), catalog, unit, args.year, charts=not args.no_charts
        )
    print(
        f"已报送{unit.name}{args.year}年的年度报告（第{made.round}次）：{made.record_count}条记录，"
        f"报告校验值 {made.docx_sha256[:16]}…。该年度已锁定，等待上级审核。"
    )
    return 0


def _review_arguments(parser: argparse.ArgumentParser) -> None:
    _unit_and_year(parser)
    choice = parser.add_mutually_exclusive_group(required=True)
    choice.add_argument(
        "--approve", nargs="?", const="", metavar="意见", help="通过（可附意见）；该年度由上级封账"
    )
    choice.add_argument("--return", dest="returned", metavar="意见", help="退回并写明意见；该年度恢复可修改")


def cmd_review(args: argparse.Namespace) -> int:
    """Approve or return a township's submitted year."""
    from fazhi import auth, submissions
    from fazhi.units import find_unit

    actor = auth.system_user()
    with _open(args) as database:
        unit = find_unit(database, args.unit)
        if args.returned is not None:
            current = submissions.latest(database, actor, unit, args.year)
            expected = current.state if current and current.state == "approved" else None
            decision = submissions.review(
                database, actor, unit, args.year, "return", args.returned, expected_state=expected
            )
        else:
            decision = submissions.review(database, actor, unit, args.year, "approve", args.approve)
    if decision.action == "approve":
        print(f"已通过{unit.name}{args.year}年的年度报告，该年度已由上级封账。")
    else:
        print(f"已退回{unit.name}{args.year}年的年度报告（意见：{decision.comment}），该年度恢复可修改。")
    return 0


def _status_arguments(parser: argparse.ArgumentParser) -> None:
    _unit_and_year(parser)
    parser.add_argument("--json", action="store_true", help="以 JSON 输出：每个乡镇一项")


def cmd_status(args: argparse.Namespace) -> int:
    """Each township of a county (or one township) with its state for the year."""
    import json

    from fazhi import auth, compare, deadlines, progress
    from fazhi.units import find_unit, get_unit

    catalog = load_catalog()
    actor = auth.system_user()
    with _open(args) as database:
        unit = find_unit(database, args.unit)
        if unit.level == "county":
            rows = progress.progress(database, actor, catalog, unit, args.year)
        elif unit.level == "township":
            county = get_unit(database, unit.parent_id) if unit.parent_id is not None else None
            due = deadlines.deadline_for(database, county, args.year) if county else None
            item = compare.score(database, actor, catalog, unit, args.year)
            rows = [progress.row_for(database, actor, catalog, unit, args.year, due, item, date.today())]
        else:
            raise InvalidInput(
                [Problem("unit", f"“{unit.name}”是村/社区，没有报送情况；请写区县或乡镇的名称。")]
            )
    if args.json:
        print(json.dumps([row.as_json() for row in rows], ensure_ascii=False, indent=2))
        return 0
    totals = progress.summary(rows)
    print(
        f"{unit.name} {args.year}年报送情况：{totals.townships}个乡镇（街道），已报送{totals.submitted}个"
        f"（报送率{totals.submission_rate}），已通过{totals.approved}个，已退回{totals.returned}个，"
        f"已公开{totals.published}个（公开率{totals.publication_rate}）。"
    )
    print("乡镇（街道）\t状态\t报送时间\t截止日期\t剩余天数\t公开日期\t公开情况\t公开网址")
    for row in rows:
        data = row.as_json()
        print(
            "\t".join(
                str(v or "—")
                for v in (
                    data["unit"],
                    data["state"],
                    str(data["submitted_at"] or "").replace("T", " "),  # 2026-12-02 00:59:06
                    data["deadline"],
                    deadlines.describe(row.days_left),
                    data["published_on"],
                    data["publication"],
                    data["published_url"],
                )
            )
        )
    return 0


def _deadline_arguments(parser: argparse.ArgumentParser) -> None:
    _unit_and_year(parser)
    choice = parser.add_mutually_exclusive_group(required=True)
    choice.add_argument("--date", help="截止日期，如 2021-01-31")
    choice.add_argument("--clear", action="store_true", help="取消截止日期")


def cmd_deadline(args: argparse.Namespace) -> int:
    """Set the date by which a county wants its townships' reports of a year."""
    from fazhi import auth, deadlines
    from fazhi.units import find_unit

    due = None
    if args.date:
        try:
            due = date.fromisoformat(args.date.strip())
        except ValueError:
            raise InvalidInput(
                [Problem("date", f"--date 应写成 2021-01-31 的格式，而不是“{args.date}”。")]
            ) from None
    with _open(args) as database:
        county = find_unit(database, args.unit)
        deadlines.set_deadline(database, auth.system_user(), county, args.year, due)
    print(f"{county.name}{args.year}年报告的报送截止日期：{due.isoformat() if due else '已取消'}。")
    return 0


def _package_arguments(parser: argparse.ArgumentParser) -> None:
    _unit_and_year(parser)
    parser.add_argument("--out", type=Path, required=True, help="写出的报送包（.zip）")
    parser.add_argument("--county", default=None, help="本机没有上级区县时，写接收报送包的区县名称")


def cmd_package(args: argparse.Namespace) -> int:
    """Write a township's 报送包 of its submitted year, for a county's separate installation."""
    from fazhi import auth, submission_package
    from fazhi.units import find_unit

    catalog = load_catalog()
    with _open(args) as database:
        unit = find_unit(database, args.unit)
        package = submission_package.build(
            database, auth.system_user(), catalog, unit, args.year, county_name=args.county
        )
    try:
        args.out.write_bytes(package.data)
    except OSError as error:
        raise FazhiError(f"无法写入 {args.out}：{error.strerror or error}") from error
    print(
        f"已写出{unit.name}{args.year}年的报送包：{args.out}（{package.records}条记录，"
        f"内容校验值 {package.content_sha256[:16]}…）。"
    )
    return 0


def _receive_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="乡镇报送包（.zip）")
    parser.add_argument("--create-units", action="store_true", help="确认新建报送包中本机还没有的单位")


def cmd_receive(args: argparse.Namespace) -> int:
    """Receive a township's 报送包 into this (the county's) installation."""
    from fazhi import auth, submission_package

    try:
        data = args.file.read_bytes()
    except OSError as error:
        raise FazhiError(f"无法读取 {args.file}：{error.strerror or error}") from error
    catalog = load_catalog()
    with _open(args) as database:
        received = submission_package.receive(
            database, auth.system_user(), catalog, data, create_units=args.create_units
        )
    print(received.message)
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
    "init": ("建立或升级数据库", cmd_init),
    "demo": ("加载燕山乡示例数据（只能加载到空数据库）", cmd_demo),
    "check": ("检查目录文件（记录类型、领域、指标）是否正确", cmd_check),
    "template": ("按版式文件 data/report_layout.toml 重新生成默认报告模板", cmd_template),
    "indicators": ("列出某单位某年度全部指标的数值、目标、完成率和上年数", cmd_indicators),
    "report": ("生成某单位某年度的《关于20XX年法治政府建设情况的报告》（Word，可选 PDF）", cmd_report),
    "export": ("把记录导出为 Excel（.xlsx）或 CSV，格式与导入相同", cmd_export),
    "import": ("从 Excel（.xlsx）或 CSV 导入记录：全部导入或一条也不导入", cmd_import),
    "bench": ("性能基准：在临时文件夹中生成合成数据并测量速度和内存（不会改动 --db）", cmd_bench),
    "loadtest": ("压力测试：在临时数据库上启动程序，模拟多个同时在线的用户（不会改动 --db）", cmd_loadtest),
    "setup": ("准备新安装：建立数据库、最上级单位和第一个管理员（不用浏览器；密码在提示时输入）", cmd_setup),
    "user": ("管理账号：user add|passwd|unlock|disable|enable|list（密码在提示时输入）", cmd_user),
    "unit": ("管理单位：unit list|add|rename", cmd_unit),
    "backup": ("备份数据库和佐证材料到一个 zip 文件（程序运行时请在网页“备份与恢复”中操作）", cmd_backup),
    "restore": ("从备份 zip 恢复（先完整校验；恢复前的数据另存一份）", cmd_restore),
    "address": ("显示同事访问本程序的网址", cmd_address),
    "bundle": ("制作离线安装包：程序和全部软件包放进一个 zip，拷到没有网络的电脑上安装", cmd_bundle),
    "submit": ("乡镇报送某年度的年度报告：冻结报告和指标表，该年度锁定至被退回", cmd_submit),
    "review": ('审核乡镇报送的年度报告：--approve 通过，或 --return "意见" 退回', cmd_review),
    "status": ("列出区县所辖各乡镇某年度的报送、审核和公开情况（--json 输出 JSON）", cmd_status),
    "deadline": ("设置区县某年度报告的报送截止日期（--date 2021-01-31 或 --clear）", cmd_deadline),
    "package": ("写出乡镇某年度的报送包（.zip），交给不能联网访问的区县", cmd_package),
    "receive": ("区县接收乡镇的报送包：替换该乡镇该年度的记录，显示为已报送", cmd_receive),
    "database": (
        "迁移数据库：database copy --from 旧 --to 新（DuckDB 文件与 PostgreSQL 之间，目标须为空）",
        cmd_database,
    ),
}

# Extra arguments of a command, beyond --db.
OPTIONS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "indicators": _indicator_arguments,
    "report": _report_arguments,
    "export": _export_options,
    "import": _import_options,
    "bench": _bench_arguments,
    "loadtest": _loadtest_arguments,
    "setup": _setup_options,
    "user": _user_options,
    "unit": _unit_options,
    "backup": _backup_options,
    "restore": _restore_options,
    "address": _address_options,
    "bundle": _bundle_options,
    "submit": _submit_arguments,
    "review": _review_arguments,
    "status": _status_arguments,
    "deadline": _deadline_arguments,
    "package": _package_arguments,
    "receive": _receive_arguments,
    "database": _database_options,
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="python -m fazhi", description="法治政府建设工作台 命令行工具")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")
    for name, (help_text, _) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument(
            "--db",
            type=database_argument,
            default=None,
            help=f"数据库文件或 postgresql:// 地址（默认 $FAZHI_DATABASE_URL、$FAZHI_DB 或 {db_path()}）",
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
    args.db = args.db or database_argument(database_url())
    try:
        missing = not dbmod.is_url(args.db) and not Path(args.db).exists()
        if args.command not in CREATES_DATABASE | NO_DATABASE and missing:
            raise NotFound(missing_database(args.db))
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
