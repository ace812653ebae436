"""Named errors raised in fazhi/; each carries a Chinese message a user can act on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class FazhiError(Exception):
    """Base of every error meant for a user: `str(error)` is the Chinese message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as it is (errors come back from the worker process, fazhi/worker.py), whatever arguments
        the subclass's own __init__ takes: Exception's pickling would call it with the message alone."""
        return _rebuilt, (type(self), self.message, dict(self.__dict__))


def _rebuilt(kind: type[FazhiError], message: str, state: dict[str, Any]) -> FazhiError:
    error = kind.__new__(kind)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class DatabaseBusy(FazhiError):
    """Another process holds the DuckDB file."""


class DatabaseError(FazhiError):
    """The database file cannot be opened or migrated."""


class CatalogError(FazhiError):
    """A catalog TOML file is missing, unreadable or inconsistent."""


class NotFound(FazhiError):
    """The unit, record or user asked for does not exist (or is not visible)."""


class PermissionDenied(FazhiError):
    """The acting user may not do this to this unit."""


class YearLocked(FazhiError):
    """The unit's year is locked (封账); every write is refused."""


class AuthError(FazhiError):
    """Login refused: wrong password, locked or disabled account, weak password."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: which field (code, or '' for the whole) and why, in Chinese."""

    field: str
    message: str
    row: int | None = None  # 1-based row in an imported file, when there is one


class InvalidInput(FazhiError):
    """Input refused; `problems` names each field and reason."""

    def __init__(self, problems: list[Problem], message: str | None = None) -> None:
        self.problems = list(problems)
        text = message or "；".join(p.message for p in self.problems[:5])
        if len(self.problems) > 5:
            text += f"……（共{len(self.problems)}处问题）"
        super().__init__(text)


class InvalidRecord(InvalidInput):
    """A record failed validation."""


class InvalidFile(InvalidInput):
    """An uploaded or imported file cannot be used (wrong type, too large, unreadable, wrong headers)."""


class RecordConflict(FazhiError):
    """Someone else saved the record after it was opened; `current` is their version."""

    def __init__(self, current: Any) -> None:
        super().__init__("该记录已被他人修改，您的修改未保存。请对照下方两个版本后重新编辑。")
        self.current = current


class InvalidBackup(FazhiError):
    """A backup zip is broken, incomplete, altered or not ours; nothing was changed."""


class NarrativeConflict(FazhiError):
    """Someone else saved this section of the report after it was opened; `current` is their text."""

    def __init__(self, current: Any) -> None:
        who = f"（{current.updated_by}于{current.updated_at:%m月%d日 %H:%M}）" if current is not None else ""
        super().__init__(f"这一节已被他人修改{who}，您的修改未保存。请对照对方保存的文字，重新修改后再保存。")
        self.current = current


class ReportTemplateError(FazhiError):
    """A report template cannot be used: not a .docx, a Jinja syntax error, or unknown variables."""


class ChartsUnavailable(FazhiError):
    """Chart images cannot be made (no Chromium, kaleido error, timeout); the report goes without charts."""


class PdfUnavailable(FazhiError):
    """The report cannot be converted to PDF (no LibreOffice, conversion failed or timed out)."""


class StaleFigures(FazhiError):
    """Saved report text quotes figures that have changed since; `changes` lists section, old and new."""

    def __init__(self, changes: list[dict[str, str]]) -> None:
        shown = "；".join(f"“{c['section']}”中的“{c['old']}”现在是“{c['new']}”" for c in changes[:5])
        more = f"等{len(changes)}处" if len(changes) > 5 else ""
        super().__init__(
            f"已保存的报告文字中有数字与台账不一致：{shown}{more}。请在“年度报告”页点“采用新数字”，"
            "或修改这些段落后再生成报告，以免一份报告中出现两个不同的数字。"
        )
        self.changes = changes


class BundleError(FazhiError):
    """An offline bundle cannot be made: unknown platform, a download failed, or a requirement has no wheel."""


class SubmissionError(FazhiError):
    """A submission step that the year's state does not allow (already submitted, nothing to review, …)."""


class ReviewConflict(FazhiError):
    """Another reviewer decided on this submission first; the message names who and what."""


class InvalidPackage(FazhiError):
    """A 报送包 refused before anything was written: broken, altered, foreign, or for a locked year."""


class UnitsToCreate(FazhiError):
    """Receiving a 报送包 would create units not yet in this installation; `names` lists them ("燕山乡/新华村")."""

    def __init__(self, names: list[str]) -> None:
        shown = "、".join(names[:10]) + (f"等{len(names)}个" if len(names) > 10 else "")
        super().__init__(
            f"报送包中的单位在本机还没有：{shown}。确认无误后勾选“新建这些单位”（命令行加 --create-units）再接收。"
        )
        self.names = names
