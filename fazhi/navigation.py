"""The app's pages as data: file, Chinese title, ASCII url path, icon, and which roles may open it.

app.py turns this list into st.navigation; tests parametrize over it, so a new page is tested
automatically.
"""

from __future__ import annotations

from dataclasses import dataclass

EVERYONE = frozenset({"admin", "editor", "viewer"})
EDITORS = frozenset({"admin", "editor"})
ADMINS = frozenset({"admin"})


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


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/home.py", "首页", "home", ":material/home:", EVERYONE, "工作台"),
    PageSpec("pages/entry.py", "录入", "entry", ":material/edit_note:", EDITORS, "工作台"),
    PageSpec("pages/ledger.py", "台账", "ledger", ":material/table_view:", EVERYONE, "工作台"),
    PageSpec(
        "pages/record.py", "记录详情", "record", ":material/description:", EVERYONE, "工作台", visible=False
    ),
    PageSpec("pages/transfer.py", "导入导出", "transfer", ":material/swap_vert:", EVERYONE, "工作台"),
)

SETUP = PageSpec("pages/setup.py", "初始化", "setup", ":material/rocket_launch:", frozenset(), "")
LOGIN = PageSpec("pages/login.py", "登录", "login", ":material/login:", frozenset(), "")


def pages_for(role: str | None) -> list[PageSpec]:
    """The pages a role may open, in menu order (none for an anonymous visitor)."""
    return [page for page in PAGES if role in page.roles]
