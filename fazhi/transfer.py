"""Import and export of records as spreadsheets (导入导出), in the one format both directions share.

Format: one sheet per record type (sheet name = the type's Chinese name; a CSV holds one type and says
which in its 记录类型 column), columns 单位, 标题, 开始日期, 结束日期, 地点, 情况说明 and then each field's
caption "标签（单位）"; directly under the header a notes row (first cell starting with 填写说明) that
import skips. Export writes exactly what import reads, so export → import reproduces the records.

Import is two steps: `preview` reads and checks every row (row number, column, reason) and flags rows
that look like stored records or like another row of the file; `run` then stores the accepted rows in
one transaction through `records.import_records`, or nothing.

Over 400 lines on purpose: the format is one contract, and keeping the writer and the reader of each
column side by side is what keeps export → import exact (tests/test_transfer.py round-trips both ways).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from fazhi import chinese, fields, ledger, records, validation, worker
from fazhi.catalog import Catalog, Field, RecordType
from fazhi.db import Database
from fazhi.errors import InvalidFile, InvalidRecord, PermissionDenied, Problem
from fazhi.labels import BASE_FIELDS
from fazhi.locks import lock_holding
from fazhi.permissions import User, require_edit
from fazhi.spreadsheet import NOTES_MARK, Table, header_key, read_tables, write_csv, write_xlsx
from fazhi.units import Unit, UnitNames, visible_units

TYPE_COLUMN = "记录类型"
BASE_COLUMNS = BASE_FIELDS  # the six columns every sheet starts with
_PROBLEM_COLUMN = {"unit_id": BASE_FIELDS["unit"], "type_code": TYPE_COLUMN, **BASE_COLUMNS}
_EXCEL_EPOCH = date(1899, 12, 30)
Progress = Callable[[float, str], None]


# ───────────── the shared format ─────────────


def columns(record_type: RecordType) -> list[str]:
    """The headers of a record type's sheet: the six base columns, then each field's caption."""
    return list(BASE_COLUMNS.values()) + [f.caption for f in record_type.fields]


def _field_note(item: Field, record_type: RecordType) -> str:
    need = "必填" if item.required else "选填"
    text = item.spec.note(item)
    limits = [
        f"不得大于“{record_type.field(c.at_most).label}”" for c in record_type.checks if c.field == item.code
    ]
    return "；".join([need, text, *limits])


def notes(record_type: RecordType) -> list[str]:
    """The notes row under the header: required or not, units, allowed values (import skips it)."""
    return [
        f"{NOTES_MARK}：必填；本单位或下属单位的名称（重名时写“上级/本级”）",
        f"必填；不超过{validation.TITLE_MAX}字",
        "必填；日期，如 2020-03-15",
        "选填；不填则与开始日期相同",
        f"选填；不超过{validation.PLACE_MAX}字",
        f"选填；不超过{validation.SUMMARY_MAX}字",
        *[_field_note(f, record_type) for f in record_type.fields],
    ]


def _choices(record_type: RecordType) -> dict[int, list[str]]:
    offset = len(BASE_COLUMNS)
    return {offset + i: list(f.spec.choices) for i, f in enumerate(record_type.fields) if f.spec.choices}


def template(catalog: Catalog, type_codes: Sequence[str] | None = None) -> bytes:
    """An empty workbook to fill in: one sheet per record type (all types unless some are named)."""
    chosen = [catalog.type(c) for c in type_codes] if type_codes else list(catalog.record_types.values())
    return write_xlsx([Table(t.name, columns(t), [], notes(t), _choices(t)) for t in chosen])


def _unit_names(units: list[Unit]) -> dict[int, str]:
    """How each unit is written in a sheet: its name, or '上级/本级' when another visible unit has the same name."""
    by_id = {u.id: u for u in units}
    counts: dict[str, int] = {}
    for unit in units:
        counts[unit.name] = counts.get(unit.name, 0) + 1
    names = {}
    for unit in units:
        parent = by_id.get(unit.parent_id) if unit.parent_id is not None else None
        names[unit.id] = f"{parent.name}/{unit.name}" if counts[unit.name] > 1 and parent else unit.name
    return names


def export_tables(
    db: Database,
    user: User,
    catalog: Catalog,
    filters: ledger.RecordFilter,
    *,
    with_type_column: bool = False,
) -> list[Table]:
    """The records matching the filter as tables, one per record type, in catalog order."""
    frame = ledger.list_records(db, user, catalog, filters)
    names = _unit_names(visible_units(db, user))
    tables = []
    for code, record_type in catalog.record_types.items():
        part = frame[frame["type_code"] == code]
        if part.empty:
            continue
        rows = []
        for number, row in enumerate(part.itertuples(index=False), 3):
            values = [
                names.get(row.unit_id, row.unit_name),
                row.title,
                row.start_on,
                row.end_on,
                row.place,
                row.summary,
            ]
            values += [fields.cell(f, getattr(row, f.code, None)) for f in record_type.fields]
            rows.append((number, ([record_type.name] if with_type_column else []) + values))
        header = ([TYPE_COLUMN] if with_type_column else []) + columns(record_type)
        note_row = notes(record_type)
        if with_type_column:
            note_row = [
                f"{NOTES_MARK}：记录类型名称",
                note_row[0].removeprefix(f"{NOTES_MARK}："),
                *note_row[1:],
            ]
        choices = {k + int(with_type_column): v for k, v in _choices(record_type).items()}
        tables.append(Table(record_type.name, header, rows, note_row, choices))
    return tables


def export_xlsx(db: Database, user: User, catalog: Catalog, filters: ledger.RecordFilter) -> bytes:
    """The filtered records as an .xlsx workbook that `preview`/`run` read back exactly."""
    return write_xlsx(export_tables(db, user, catalog, filters))


def export_csv(db: Database, user: User, catalog: Catalog, filters: ledger.RecordFilter) -> tuple[bytes, str]:
    """The filtered records as CSV: (bytes, 'csv') for one type, or (a zip of one CSV per type, 'zip')."""
    tables = export_tables(db, user, catalog, filters, with_type_column=True)
    if len(tables) == 1:
        return write_csv(tables[0]), "csv"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            archive.writestr(f"{table.name}.csv", write_csv(table))
    return out.getvalue(), "zip"


# ───────────── import: read, check, preview ─────────────


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong in a file: where (sheet, row, column) and why, in Chinese."""

    sheet: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"工作表“{self.sheet}”" if self.sheet else ""
        where += f"第{self.row}行" if self.row else ""
        where += f"“{self.column}”列" if self.column else ""
        return f"{where}：{self.message}" if where else self.message


@dataclass
class PlannedRow:
    """One data row of the file: where it is, what it would become, and what stops it."""

    sheet: str
    row: int
    type_code: str
    unit_name: str
    title: str
    start_on: Any
    item: validation.ValidRecord | None = None
    problems: list[RowProblem] = field(default_factory=list)
    duplicate: str = ""


@dataclass
class ImportPlan:
    """What importing the file would do; `problems` empty means it can be imported."""

    filename: str
    rows: list[PlannedRow]
    file_problems: list[RowProblem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    hidden_sheets: list[str] = field(default_factory=list)  # worksheets hidden in Excel, with data
    included_hidden: bool = False

    @property
    def problems(self) -> list[RowProblem]:
        """Every problem: those of the file first, then row by row."""
        return self.file_problems + [p for row in self.rows for p in row.problems]

    @property
    def ok(self) -> bool:
        """True when there is something to import and nothing wrong."""
        return not self.problems and bool(self.rows)

    @property
    def duplicates(self) -> list[PlannedRow]:
        """Rows that look like a stored record or an earlier row of the file (same unit, type, date, title)."""
        return [row for row in self.rows if row.duplicate]

    def items(self, include_duplicates: bool) -> list[validation.ValidRecord]:
        """The validated inputs to store, without the duplicate-like rows unless they are wanted."""
        return [
            row.item
            for row in self.rows
            if row.item is not None and (include_duplicates or not row.duplicate)
        ]


def find_type(catalog: Catalog, text: object) -> str | None:
    """The code of the record type named by `text` (its Chinese name or its code), or None."""
    key = header_key(text)
    for code, record_type in catalog.record_types.items():
        if key in (header_key(record_type.name), code.lower(), header_key(code)):
            return code
    return None


class _UnitIndex:
    """Unit names as written in a sheet → the unit, among the acting user's units (`units.UnitNames`), with
    the import's own messages; each distinct spelling is looked up once."""

    def __init__(self, visible: list[Unit]) -> None:
        self.names = UnitNames(visible)
        self._found: dict[str, tuple[Unit | None, str]] = {}

    def find(self, written: str) -> tuple[Unit | None, str]:
        """(the unit, '') or (None, why not) for a unit as written in a cell."""
        if written not in self._found:
            self._found[written] = self._find(written)
        return self._found[written]

    def _find(self, written: str) -> tuple[Unit | None, str]:
        if not UnitNames.parts(written):
            return None, "请填写“单位”。"
        matches = self.names.matches(written)
        if not matches:
            return None, f"找不到单位“{written}”（只能导入您有权限的单位；单位须先在系统中建立）。"
        if len(matches) > 1:
            example = self.names.example(matches[0])
            return None, f"有{len(matches)}个单位都叫“{written}”，请写成“上级/本级”，如“{example}”。"
        return matches[0], ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return chinese.number(value)
    if isinstance(value, datetime):
        return (
            value.date().isoformat()
            if not (value.hour or value.minute or value.second)
            else value.isoformat(" ")
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _date(value: Any) -> Any:
    """Dates as Excel stores them (a serial number when the cell is formatted as a number) or as text."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float) and 20000 <= value <= 80000 and float(value).is_integer():
        return _EXCEL_EPOCH + timedelta(days=int(value))
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _plan_table(
    table: Table,
    catalog: Catalog,
    type_code: str | None,
    units: _UnitIndex,
    plan: ImportPlan,
    year: int | None,
    tick: Callable[[], None],
) -> None:
    keys = [header_key(h) for h in table.header]
    type_col = keys.index(header_key(TYPE_COLUMN)) if header_key(TYPE_COLUMN) in keys else None
    code = find_type(catalog, table.name) or type_code
    if type_col is not None:
        named = {find_type(catalog, cells[type_col]) for _, cells in table.rows if len(cells) > type_col}
        named.discard(None)
        if len(named) == 1:
            code = named.pop()
        elif len(named) > 1:
            plan.file_problems.append(
                RowProblem(table.name, None, TYPE_COLUMN, "同一个表中只能有一种记录类型，请按类型分开保存。")
            )
            return
    if code is None:
        plan.file_problems.append(
            RowProblem(
                table.name,
                None,
                "",
                "不知道这张表是哪种记录类型：工作表名称应为记录类型名称（如“赶场日集中宣传”），"
                "或加一列“记录类型”，或在导入时选择记录类型。",
            )
        )
        return
    record_type = catalog.type(code)
    expected = {header_key(c): c for c in columns(record_type)}
    expected.update({header_key(f.label): f.caption for f in record_type.fields})
    expected.update({f.code.lower(): f.caption for f in record_type.fields})
    position: dict[str, int] = {}
    unknown = []
    for index, key in enumerate(keys):
        if index == type_col:
            continue
        if not key:
            if any(len(cells) > index and not _blank(cells[index]) for _, cells in table.rows):
                unknown.append(f"第{index + 1}列（没有表头）")
            continue
        if key in expected:
            if expected[key] in position:
                plan.file_problems.append(RowProblem(table.name, 1, table.header[index], "表头重复。"))
            position[expected[key]] = index
        else:
            unknown.append(f"“{table.header[index]}”")
    if unknown:
        plan.file_problems.append(
            RowProblem(
                table.name,
                1,
                "",
                f"无法识别的列：{'、'.join(unknown)}。“{record_type.name}”的列应为：{'、'.join(columns(record_type))}"
                "（请使用下载的模板，不要改动表头）。",
            )
        )
    missing = [BASE_FIELDS[c] for c in ("unit", "title", "start_on") if BASE_FIELDS[c] not in position]
    if missing:
        plan.file_problems.append(
            RowProblem(table.name, 1, "", f"缺少必需的列：{'、'.join(missing)}。请使用下载的模板。")
        )
    if unknown or missing:
        return

    def cell(cells: list[Any], column: str) -> Any:
        index = position.get(column)
        return cells[index] if index is not None and index < len(cells) else None

    for number, cells in table.rows:
        if all(_blank(c) for c in cells):
            continue
        planned = PlannedRow(
            table.name,
            number,
            code,
            _text(cell(cells, BASE_FIELDS["unit"])),
            _text(cell(cells, BASE_FIELDS["title"])),
            cell(cells, BASE_FIELDS["start_on"]),
        )
        plan.rows.append(planned)
        tick()
        unit, unit_problem = units.find(planned.unit_name)
        item = validation.RecordInput(
            type_code=code,
            unit_id=unit.id if unit else 0,
            title=_text(cell(cells, BASE_FIELDS["title"])),
            start_on=_date(cell(cells, BASE_FIELDS["start_on"])),
            end_on=_date(cell(cells, BASE_FIELDS["end_on"])),
            place=_text(cell(cells, BASE_FIELDS["place"])),
            summary=_text(cell(cells, BASE_FIELDS["summary"])),
            values={
                f.code: v if f.numeric else _text(v)
                for f in record_type.fields
                if not _blank(v := cell(cells, f.caption))
            },
        )
        if unit_problem:
            planned.problems.append(RowProblem(table.name, number, BASE_FIELDS["unit"], unit_problem))
        try:
            cleaned, row_notices = validation.validate(catalog, item, year)
        except InvalidRecord as error:
            captions = {f.code: f.caption for f in record_type.fields}
            for problem in error.problems:
                if problem.field == "unit_id":
                    continue
                column = captions.get(problem.field) or _PROBLEM_COLUMN.get(problem.field, problem.field)
                planned.problems.append(RowProblem(table.name, number, column, problem.message))
            continue
        plan.notices.extend(f"工作表“{table.name}”第{number}行：{n}" for n in row_notices)
        planned.start_on = cleaned.start_on
        if unit is not None:
            planned.item = cleaned


def _check_units(db: Database, user: User, units: _UnitIndex, plan: ImportPlan) -> None:
    """Permission and year lock of every (unit, year) the valid rows write to, as row problems."""
    with db.cursor() as cur:
        allowed: dict[tuple[int, int], str] = {}
        for row in plan.rows:
            if row.item is None:
                continue
            key = (row.item.unit_id, row.item.start_on.year)
            if key not in allowed:
                unit = units.names.by_id[key[0]]
                try:
                    require_edit(user, unit)
                    held = lock_holding(cur, unit, key[1])
                    allowed[key] = f"{held[0]}{key[1]}年已封账，不能导入该年度的记录。" if held else ""
                except PermissionDenied as error:
                    allowed[key] = error.message
            if allowed[key]:
                row.problems.append(RowProblem(row.sheet, row.row, BASE_FIELDS["unit"], allowed[key]))
                row.item = None


def _flag_duplicates(db: Database, plan: ImportPlan) -> None:
    """Mark rows with the same unit, type, start date and title as a stored record or an earlier row."""
    valid = [row for row in plan.rows if row.item is not None]
    if not valid:
        return
    keys = pd.DataFrame(
        {
            "unit_id": [r.item.unit_id for r in valid],  # type: ignore[union-attr]
            "type_code": [r.item.type_code for r in valid],  # type: ignore[union-attr]
            "start_on": pd.to_datetime([r.item.start_on for r in valid]),  # type: ignore[union-attr]
            "title": [r.item.title for r in valid],  # type: ignore[union-attr]
        }
    ).drop_duplicates()
    with db.cursor() as cur:
        cur.register("import_keys", keys)
        try:
            stored = cur.execute(
                "SELECT r.unit_id, r.type_code, r.start_on, r.title, min(r.id) FROM records r"
                " JOIN import_keys k ON k.unit_id = r.unit_id AND k.type_code = r.type_code"
                " AND k.start_on::DATE = r.start_on AND k.title = r.title"
                " WHERE NOT r.is_deleted GROUP BY r.unit_id, r.type_code, r.start_on, r.title"
            ).fetchall()
        finally:
            cur.unregister("import_keys")
    existing = {(u, t, d, title): record_id for u, t, d, title, record_id in stored}
    seen: dict[tuple, PlannedRow] = {}
    for row in valid:
        item = row.item
        key = (item.unit_id, item.type_code, item.start_on, item.title)  # type: ignore[union-attr]
        if key in existing:
            row.duplicate = f"与已有记录（编号 {existing[key]}）的单位、类型、开始日期和标题相同"
        elif key in seen:
            first = seen[key]
            where = f"工作表“{first.sheet}”" if first.sheet != row.sheet else ""
            row.duplicate = f"与本文件{where}第{first.row}行的单位、类型、开始日期和标题相同"
        else:
            seen[key] = row


def preview(
    db: Database,
    user: User,
    catalog: Catalog,
    filename: str,
    data: bytes,
    *,
    year: int | None = None,
    type_code: str | None = None,
    progress: Progress | None = None,
    include_hidden: bool = False,
) -> ImportPlan:
    """Read and check a spreadsheet (xlsx or CSV) without writing anything: every row with its problems.

    `year` limits dates to that year; `type_code` names the record type of a table that does not say
    (a CSV without a 记录类型 column, a sheet not named after a type). Worksheets hidden in Excel are
    named in `hidden_sheets` and left out unless `include_hidden`. Reading and checking the rows (seconds
    for a large workbook, all Python) runs in the worker process when the server has one (fazhi/worker.py),
    with progress then only at its start and end; permissions, 封账 and duplicates are checked here.
    """
    report = progress or (lambda fraction, text: None)
    units = _UnitIndex(visible_units(db, user))
    arguments = (filename, data, catalog, units, year, type_code, include_hidden)
    if worker.started():
        report(0.05, "正在读取并逐行检查文件……")
        plan = worker.call(read_plan, *arguments, task="读取导入的文件")
    else:
        plan = read_plan(*arguments, report)
    report(0.9, "正在核对权限、封账和疑似重复的记录……")
    _check_units(db, user, units, plan)
    _flag_duplicates(db, plan)
    report(1.0, "检查完毕。")
    return plan


def read_plan(
    filename: str,
    data: bytes,
    catalog: Catalog,
    units: _UnitIndex,
    year: int | None,
    type_code: str | None,
    include_hidden: bool,
    progress: Progress | None = None,
) -> ImportPlan:
    """The file's rows checked against the catalog, the year and the user's units (no database: the worker
    runs it); `preview` adds what needs the database."""
    report = progress or (lambda fraction, text: None)
    report(0.0, "正在读取文件……")
    tables = read_tables(filename, data)
    plan = ImportPlan(filename, [], included_hidden=include_hidden)
    plan.hidden_sheets = [t.name for t in tables if t.hidden and t.rows]
    if plan.hidden_sheets and not include_hidden:
        names = "、".join(f"“{name}”" for name in plan.hidden_sheets)
        plan.notices.append(
            f"文件中有隐藏的工作表{names}，其中的内容没有列入预览，也不会导入；如需导入，请勾选“同时导入隐藏的工作表”。"
        )
        tables = [t for t in tables if not t.hidden]
    total = max(1, sum(len(t.rows) for t in tables))
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if done % 500 == 0:
            report(min(0.9, 0.1 + 0.8 * done / total), f"正在检查第{done}行，共{total}行……")

    for table in tables:
        if table.header:
            _plan_table(table, catalog, type_code, units, plan, year, tick)
    if not plan.rows and not plan.file_problems:
        plan.file_problems.append(
            RowProblem("", None, "", f"“{filename}”中没有可导入的记录（除表头和说明行外都是空的）。")
        )
    return plan


@dataclass(frozen=True)
class ImportResult:
    """What an import stored: the new record ids and how many duplicate-like rows were left out."""

    ids: tuple[int, ...]
    skipped: int


def run(
    db: Database, user: User, catalog: Catalog, plan: ImportPlan, *, include_duplicates: bool = False
) -> ImportResult:
    """Store the plan's rows in one transaction (all or nothing); refused while the plan has problems."""
    if plan.problems:
        raise InvalidFile(
            [Problem(p.column or "file", str(p), p.row) for p in plan.problems],
            f"文件有{len(plan.problems)}处问题，没有导入任何记录。请改正后重新上传。",
        )
    items = plan.items(include_duplicates)
    skipped = len(plan.rows) - len(items)
    if not items:
        return ImportResult((), skipped)
    ids = records.import_records(db, user, catalog, items)
    return ImportResult(tuple(ids), skipped)


def plan_frame(plan: ImportPlan) -> pd.DataFrame:
    """The preview for people: one row per data row with its state (可导入 / 疑似重复 / 有问题) and reasons."""
    return pd.DataFrame(
        [
            (
                row.sheet,
                row.row,
                row.unit_name,
                row.title,
                _text(row.start_on),
                "有问题" if row.problems else ("疑似重复" if row.duplicate else "可导入"),
                "；".join(f"{p.column}：{p.message}" if p.column else p.message for p in row.problems)
                or row.duplicate,
            )
            for row in plan.rows
        ],
        columns=[
            "工作表",
            "行",
            *(BASE_FIELDS[c] for c in ("unit", "title", "start_on")),
            "状态",
            "问题或提示",
        ],
    )


def problems_frame(plan: ImportPlan) -> pd.DataFrame:
    """Every problem of the file as a table: 工作表, 行, 列, 原因."""
    return pd.DataFrame(
        [(p.sheet, p.row, p.column, p.message) for p in plan.problems], columns=["工作表", "行", "列", "原因"]
    ).astype({"行": "Int64"})


def summary(plan: ImportPlan) -> str:
    """One sentence about the plan: how many rows, how many with problems, how many duplicate-like."""
    bad = sum(1 for row in plan.rows if row.problems)
    text = f"共{len(plan.rows)}行记录"
    if plan.file_problems or bad:
        return (
            text + f"，{len(plan.problems)}处问题（涉及{bad}行），请改正后重新上传；改正前不会导入任何记录。"
        )
    duplicates = len(plan.duplicates)
    return text + (f"，全部可以导入；其中{duplicates}行疑似重复。" if duplicates else "，全部可以导入。")
