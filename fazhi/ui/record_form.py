"""The record form shared by 录入 and 记录详情: the type picker, one widget per part and per field (the
field's kind chooses the widget, `fazhi/fields.py`), each problem written under its own widget, and the
two-column detail table of a record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import streamlit as st

from fazhi import fields, units, years
from fazhi.catalog import Catalog, Field, RecordType
from fazhi.errors import FazhiError, InvalidInput
from fazhi.labels import BASE_FIELDS
from fazhi.text import markdown_literal
from fazhi.type_search import search_types
from fazhi.ui.feedback import show_error
from fazhi.validation import (
    PLACE_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    RecordInput,
    ValidRecord,
)

YES, NO = fields.YES, fields.NO


def record_type_picker(catalog: Catalog, key: str, label: str = "记录类型") -> str | None:
    """The catalog's record types, '组 · 名称', behind a search box that also knows what people call the
    work (宪法宣传周, 12345, 依法治镇委员会: `type_search`); the chosen type code or None. The chosen type
    stays in the list whatever is typed, so searching again never loses it."""
    types = catalog.record_types
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    query = left.text_input(
        "查找记录类型",
        key=f"{key}_search",
        max_chars=40,
        placeholder="如：宪法宣传周、12345、人民调解",
        help="可输入工作的名称或俗称，如“国家安全日”“热线”“联合执法”；清空则列出全部类型。",
    )
    found = search_types(catalog, query)
    if query.strip() and not found:
        left.caption("没有找到相应的类型，请换个说法；下面列出全部类型。")
        found = list(types)
    chosen = st.session_state.get(key)
    options = found if chosen not in types or chosen in found else [chosen, *found]
    return right.selectbox(
        f"{label}（{len(found)}种）" if query.strip() else label,
        options,
        index=None,
        format_func=lambda code: f"{types[code].group} · {types[code].name}",
        key=key,
        placeholder="请选择记录类型（可输入文字搜索）",
    )


def load_form(prefix: str, item: RecordInput | ValidRecord | None) -> None:
    """Fill (or, with None, empty) the form `prefix` from the next run on, before its widgets exist."""
    st.session_state[f"{prefix}__load"] = item


def _apply_pending(prefix: str, record_type: RecordType, default_unit: int, year: int) -> None:
    if f"{prefix}__load" not in st.session_state:
        return
    item = st.session_state.pop(f"{prefix}__load")
    if item is None:  # an empty form: the default unit and, in the current year, today
        today = date.today()
        item = RecordInput(record_type.code, default_unit, "", today if year == today.year else None)
    state = st.session_state
    for key in [k for k in state if str(k).startswith(f"{prefix}_v_")]:
        del state[key]
    # Every value is set explicitly (blank too): only a value set in session state replaces what the
    # browser still shows in a widget; a deleted key would let the old text come back.
    state[f"{prefix}_unit_id"] = item.unit_id
    state[f"{prefix}_title"] = item.title
    state[f"{prefix}_start_on"] = item.start_on
    state[f"{prefix}_end_on"] = item.end_on if item.end_on != item.start_on else None
    state[f"{prefix}_place"] = item.place
    state[f"{prefix}_summary"] = item.summary
    for field in record_type.fields:
        state[f"{prefix}_v_{field.code}"] = fields.cell(field, item.values.get(field.code))


def _field_widget(prefix: str, item: Field) -> Any:
    key = f"{prefix}_v_{item.code}"
    label = item.caption + ("（必填）" if item.required else "")
    help_text = fields.help_text(item) or None
    widget = item.spec.widget
    if widget == "choice":
        choice = st.radio(
            label, list(item.spec.choices), index=None, key=key, horizontal=True, help=help_text
        )
        return None if choice is None else choice == item.spec.choices[0]
    if widget == "text":
        return st.text_input(label, key=key, help=help_text)
    if widget == "whole":
        return st.number_input(label, value=None, step=1, key=key, help=help_text, placeholder="不填则留空")
    return st.number_input(
        label, value=None, step=1.0, format="%g", key=key, help=help_text, placeholder="不填则留空"
    )


def record_form(
    prefix: str, record_type: RecordType, unit_choices: list[units.Unit], year: int
) -> tuple[RecordInput, dict[str, Any]]:
    """The widgets of one record (call inside st.form; keys '<prefix>_title', '<prefix>_v_<field>', …).

    Returns what is typed as a RecordInput and an empty slot under each widget, keyed by field name,
    where `form_guard` writes that field's problem.
    """
    default_unit = unit_choices[0].id
    if f"{prefix}_title" not in st.session_state and f"{prefix}__load" not in st.session_state:
        load_form(prefix, None)  # first show: the default unit and, this year, today's date
    _apply_pending(prefix, record_type, default_unit, year)
    unit_ids = [u.id for u in unit_choices]
    if st.session_state.get(f"{prefix}_unit_id") not in unit_ids:
        st.session_state[f"{prefix}_unit_id"] = default_unit
    by_id = {u.id: u for u in unit_choices}
    top = min(u.depth for u in unit_choices)
    label = BASE_FIELDS
    slots: dict[str, Any] = {}
    left, right = st.columns([1, 2])
    with left:
        unit_id = st.selectbox(
            label["unit"],
            unit_ids,
            format_func=lambda i: units.indented_name(by_id[i], top),
            key=f"{prefix}_unit_id",
        )
        slots["unit_id"] = st.empty()
    with right:
        title = st.text_input(
            f"{label['title']}（必填）",
            key=f"{prefix}_title",
            help=f"如：“三月法治宣传月”赶场日集中宣传。不超过{TITLE_MAX}个字。",
        )
        slots["title"] = st.empty()
    first, last, where = st.columns(3)
    # the calendars offer the record's year only, so they open inside it (not on today's month in January)
    lowest, highest = years.year_days(year)
    with first:
        start_on = st.date_input(
            f"{label['start_on']}（必填）",
            value=None,
            key=f"{prefix}_start_on",
            format="YYYY-MM-DD",
            min_value=lowest,
            max_value=highest,
        )
        slots["start_on"] = st.empty()
    with last:
        end_on = st.date_input(
            label["end_on"],
            value=None,
            key=f"{prefix}_end_on",
            format="YYYY-MM-DD",
            help="持续多天的活动填写最后一天；一天内完成的不填。",
            min_value=lowest,
            max_value=highest,
        )
        slots["end_on"] = st.empty()
    with where:
        place = st.text_input(label["place"], key=f"{prefix}_place", help=f"不超过{PLACE_MAX}个字。")
        slots["place"] = st.empty()
    values: dict[str, Any] = {}
    columns = st.columns(3)
    for number, field in enumerate(record_type.fields):
        with columns[number % 3]:
            values[field.code] = _field_widget(prefix, field)
            slots[field.code] = st.empty()
    summary = st.text_area(
        label["summary"],
        key=f"{prefix}_summary",
        height=120,
        help=f"活动内容、参加人员、成效等，写报告时引用。不超过{SUMMARY_MAX}个字。",
    )
    slots["summary"] = st.empty()
    item = RecordInput(
        type_code=record_type.code,
        unit_id=unit_id,
        title=title or "",
        start_on=start_on,
        end_on=end_on,
        place=place or "",
        summary=summary or "",
        values={code: value for code, value in values.items() if value is not None and value != ""},
    )
    return item, slots


@contextmanager
def form_guard(slots: dict[str, Any]) -> Iterator[None]:
    """Like `feedback.guard`, but each problem of invalid input is also shown under its own widget."""
    try:
        yield
    except InvalidInput as error:
        placed: dict[str, list[str]] = {}
        for problem in error.problems:
            if problem.field in slots:
                placed.setdefault(problem.field, []).append(problem.message)
        for field, messages in placed.items():
            slots[field].error(markdown_literal(" ".join(messages)), icon=":material/error:")
        if len(placed) == len({p.field for p in error.problems}):
            st.error(
                f"有{len(error.problems)}处需要修改，见上方标红的各项；已填写的内容都还在。",
                icon=":material/error:",
            )
        else:
            show_error(error)
    except FazhiError as error:
        show_error(error)


def detail_table(rows: list[tuple[str, str]], key: str) -> None:
    """(label, text) rows as a two-column table of plain text; the last row (情况说明) as text below it."""
    *short, (label, text) = rows
    st.dataframe(
        {"项目": [r[0] for r in short], "内容": [r[1] for r in short]},
        hide_index=True,
        key=key,
        height=35 * (len(short) + 1) + 3,
        column_config={
            "项目": st.column_config.TextColumn(width="medium"),
            "内容": st.column_config.TextColumn(width="large"),
        },
    )
    st.caption(label)
    st.text(text or "（无）")
