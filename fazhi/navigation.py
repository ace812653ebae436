"""The app's pages as data: file, Chinese title, ASCII url path, icon, and which roles (and the levels of
the user's unit) may open it.

app.py turns this list into st.navigation; tests parametrize over it, so a new page is tested
automatically.
"""

from __future__ import annotations

from dataclasses import dataclass

EVERYONE = frozenset({"admin", "editor", "viewer"})
EDITORS = frozenset({"admin", "editor"})
ADMINS = frozenset({"admin"})
COUNTY = frozenset({"county"})


@dataclass(frozen=True)
class PageSpec:
    """One screen of the app."""

    path: str
    title: str
    url_path: str
    icon: str
    roles: frozenset[str]
    section: str
    visible: bool = True  # False: reached from another page (e.g. 记录详情 from 台账), not listed in the menu
    levels: frozenset[str] | None = None  # the levels of the user's unit that see it; None: every level


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/home.py", "首页", "home", ":material/home:", EVERYONE, "工作台"),
    PageSpec("pages/dashboard.py", "看板", "dashboard", ":material/dashboard:", EVERYONE, "工作台"),
    PageSpec("pages/entry.py", "录入", "entry", ":material/edit_note:", EDITORS, "工作台"),
    PageSpec("pages/ledger.py", "台账", "ledger", ":material/table_view:", EVERYONE, "工作台"),
    PageSpec(
        "pages/record.py", "记录详情", "record", ":material/description:", EVERYONE, "工作台", visible=False
    ),
    PageSpec("pages/transfer.py", "导入导出", "transfer", ":material/swap_vert:", EVERYONE, "工作台"),
    PageSpec("pages/report.py", "年度报告", "report", ":material/article:", EVERYONE, "工作台"),
    PageSpec("pages/meeting.py", "会议模式", "meeting", ":material/co_present:", EVERYONE, "指标"),
    PageSpec("pages/targets.py", "目标", "targets", ":material/flag:", ADMINS, "指标"),
    # A township's own people see 报送审核 (their rounds and decisions; on a township's own installation its
    # administrator records the county's decision there), not the county's overview pages.
    PageSpec(
        "pages/submissions.py",
        "报送进度",
        "submissions",
        ":material/assignment_turned_in:",
        EVERYONE,
        "区县",
        levels=COUNTY,
    ),
    PageSpec(
        "pages/review.py",
        "报送审核",
        "review",
        ":material/rate_review:",
        EVERYONE,
        "区县",
        levels=frozenset({"county", "township"}),
    ),
    PageSpec(
        "pages/compare.py", "乡镇比较", "compare", ":material/leaderboard:", EVERYONE, "区县", levels=COUNTY
    ),
    PageSpec(
        "pages/receive.py", "接收报送包", "receive", ":material/move_to_inbox:", ADMINS, "区县", levels=COUNTY
    ),
    PageSpec("pages/users.py", "用户管理", "users", ":material/group:", ADMINS, "管理"),
    PageSpec("pages/units.py", "单位管理", "units", ":material/account_tree:", ADMINS, "管理"),
    PageSpec("pages/locks.py", "封账", "locks", ":material/lock:", ADMINS, "管理"),
    PageSpec("pages/audit.py", "审计日志", "audit", ":material/history:", ADMINS, "管理"),
    PageSpec("pages/backup.py", "备份与恢复", "backup", ":material/backup:", ADMINS, "管理"),
    PageSpec("pages/report_settings.py", "报告设置", "report_settings", ":material/tune:", ADMINS, "管理"),
)

SETUP = PageSpec("pages/setup.py", "初始化", "setup", ":material/rocket_launch:", frozenset(), "")
LOGIN = PageSpec("pages/login.py", "登录", "login", ":material/login:", frozenset(), "")


def pages_for(role: str | None, level: str | None = None) -> list[PageSpec]:
    """The pages a role may open, in menu order (none for an anonymous visitor); with `level` (of the user's
    unit; None for the command line and tests of roles alone) also only the pages of that level."""
    return [
        page
        for page in PAGES
        if role in page.roles and (level is None or page.levels is None or level in page.levels)
    ]
