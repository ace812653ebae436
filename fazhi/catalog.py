"""The catalog as data: areas of both 纲要 versions and record types with their fields, from data/*.toml.

Loading checks everything a later step relies on, so a broken catalog stops the app with a message
naming the file and the key instead of a traceback three screens later.

Over 400 lines on purpose: about half is the model (dataclasses with their lookups), half the loader
that checks every key of the five files; a key's meaning and its check change together.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from fazhi.errors import CatalogError
from fazhi.fields import KINDS, Field
from fazhi.settings import DATA_DIR

INDICATOR_KINDS = {
    "count": "记录条数",
    "sum": "字段合计",
    "distinct_days": "活动天数",
    "distinct_places": "地点数",
    "distinct_quarters": "季度数",
    "ratio": "比率",
    "latest": "最近一次的值",
    "zero": "应为零",
    "yesno": "是/否",
}
MEASURE_KINDS = {"count", "sum", "distinct_days", "distinct_places", "distinct_quarters", "latest"}
DIRECTIONS = {
    "up": "越多越好",
    "down": "越少越好",
    "zero": "必须为零",
    "yes": "必须为“是”",
    "neutral": "仅统计",
}
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# For an area the file gives no colour: a stable muted colour picked by its code.
_FALLBACK_COLORS = ("#bab0ac", "#7f7f7f", "#bcbd22", "#1f77b4")


@dataclass(frozen=True)
class Area:
    """One area of work in one 纲要 version."""

    code: str
    name: str
    short: str
    outline: str
    order: int
    practice: bool = False
    color: str = ""  # '#rrggbb' in the charts, the same for the same code in both 纲要


@dataclass(frozen=True)
class Outline:
    """A 纲要 version and the report years it applies to."""

    code: str
    name: str
    first_year: int
    last_year: int
    areas: tuple[Area, ...]

    def area(self, code: str) -> Area:
        """The area with this code in this outline."""
        for area in self.areas:
            if area.code == code:
                return area
        raise KeyError(code)


@dataclass(frozen=True)
class Check:
    """A cross-field rule: `field` may not exceed `at_most` (实参学 ≤ 应参学)."""

    field: str
    at_most: str


@dataclass(frozen=True)
class RecordType:
    """A kind of work that is recorded, with its fields and its area in each outline."""

    code: str
    name: str
    group: str
    description: str
    areas: dict[str, str]
    fields: tuple[Field, ...]
    checks: tuple[Check, ...] = ()
    synonyms: tuple[str, ...] = ()  # other names people search for (宪法宣传周 → 主题宣传活动)

    def field(self, code: str) -> Field:
        """The field with this code."""
        for item in self.fields:
            if item.code == code:
                return item
        raise KeyError(code)


@dataclass(frozen=True)
class Measure:
    """What to compute over records of `types`: a count, a field's sum, distinct days/places/quarters, or
    the latest value; `where` limits records to those whose yes/no field is 是; a sum may add up several
    `fields` instead of one (非常满意 + 满意)."""

    kind: str
    types: tuple[str, ...]
    field: str | None = None
    where: str | None = None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Indicator:
    """One indicator: how it is computed, its unit, direction, default target and 口径说明."""

    code: str
    name: str
    unit: str
    kind: str
    direction: str
    target: float | None
    definition: str
    areas: dict[str, str]
    measure: Measure | None = None
    numerator: Measure | None = None
    denominator: Measure | None = None
    factor: float = 100.0

    @property
    def cumulative(self) -> bool:
        """True when the value grows through the year (counts and sums), so progress is judged pro rata."""
        return self.kind in {"count", "sum", "distinct_days", "distinct_places", "distinct_quarters"}

    def measures(self) -> tuple[Measure, ...]:
        """The measures this indicator needs (one, or numerator and denominator)."""
        return tuple(m for m in (self.measure, self.numerator, self.denominator) if m is not None)


@dataclass(frozen=True)
class Catalog:
    """Everything loaded from data/*.toml."""

    outlines: tuple[Outline, ...]
    record_types: dict[str, RecordType]
    indicators: tuple[Indicator, ...] = ()
    key_indicators: tuple[str, ...] = ()  # the default KPI cards (data/kpi.toml), in order
    extra: dict[str, Any] = field(default_factory=dict)

    def indicator(self, code: str) -> Indicator:
        """The indicator with this code."""
        for item in self.indicators:
            if item.code == code:
                return item
        raise KeyError(code)

    def indicator_area(self, indicator: Indicator, year: int) -> Area:
        """The area an indicator falls under in that year's 纲要."""
        outline = self.outline_for(year)
        return outline.area(indicator.areas[outline.code])

    def outline_for(self, year: int) -> Outline:
        """The 纲要 version that applies to a report year."""
        for outline in self.outlines:
            if outline.first_year <= year <= outline.last_year:
                return outline
        return self.outlines[-1]

    def area_of(self, type_code: str, year: int) -> Area:
        """The area a record type falls under in that year's 纲要."""
        outline = self.outline_for(year)
        return outline.area(self.record_types[type_code].areas[outline.code])

    def type(self, code: str) -> RecordType:
        """The record type with this code."""
        return self.record_types[code]

    def groups(self) -> dict[str, list[RecordType]]:
        """Record types by their UI group, in file order."""
        grouped: dict[str, list[RecordType]] = {}
        for record_type in self.record_types.values():
            grouped.setdefault(record_type.group, []).append(record_type)
        return grouped

    def type_name(self, code: str) -> str:
        """The record type's name; for a type no longer in the catalog, '（已停用的类型 code）'."""
        record_type = self.record_types.get(code)
        return record_type.name if record_type else f"（已停用的类型 {code}）"

    def fields_by_code(self) -> dict[str, Field]:
        """Each field code used by any type, in file order (same code means same meaning, unit and kind)."""
        found: dict[str, Field] = {}
        for record_type in self.record_types.values():
            for item in record_type.fields:
                found.setdefault(item.code, item)
        return found

    def field_captions(self) -> dict[str, str]:
        """Caption of each field code used by any type (same code means same meaning and unit)."""
        captions: dict[str, str] = {}
        for record_type in self.record_types.values():
            for item in record_type.fields:
                captions.setdefault(item.code, item.caption)
        return captions


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as error:
        raise CatalogError(f"找不到目录文件 {path}。") from error
    except tomllib.TOMLDecodeError as error:
        raise CatalogError(f"目录文件 {path} 格式有误：{error}") from error
    except OSError as error:
        raise CatalogError(f"无法读取目录文件 {path}：{error}") from error


class _Reader:
    """Typed access to one TOML table that names the file and key on any mistake."""

    def __init__(self, path: Path, where: str, table: Any) -> None:
        if not isinstance(table, dict):
            raise CatalogError(f"{path.name}：{where} 应为表（table）。")
        self.path, self.where, self.table = path, where, table

    def fail(self, key: str, problem: str) -> CatalogError:
        return CatalogError(f"目录文件 {self.path.name}：{self.where} 的 {key} {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.table:
            if default is ...:
                raise self.fail(key, "缺失。")
            return default
        value = self.table[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.fail(key, f"应为数字，实际为 {value!r}。")
        if not isinstance(value, kind):
            raise self.fail(key, f"类型不对：{value!r}。")
        return value

    def text(self, key: str, default: Any = ...) -> str:
        value = self.get(key, str, default)
        if default is ... and not str(value).strip():
            raise self.fail(key, "不能为空。")
        return value


def _load_outlines(path: Path) -> tuple[Outline, ...]:
    data = _read(path)
    raw = data.get("outlines")
    if not isinstance(raw, list) or not raw:
        raise CatalogError(f"目录文件 {path.name}：缺少 [[outlines]]。")
    outlines = []
    colors: dict[str, str] = {}
    for number, item in enumerate(raw, 1):
        reader = _Reader(path, f"第{number}个 [[outlines]]", item)
        code = reader.text("code")
        areas = []
        raw_areas = reader.get("areas", list)
        for order, area_item in enumerate(raw_areas, 1):
            area_reader = _Reader(path, f"纲要 {code} 的第{order}个领域", area_item)
            area_code = area_reader.text("code")
            fallback = _FALLBACK_COLORS[sum(map(ord, area_code)) % len(_FALLBACK_COLORS)]
            color = area_reader.get("color", str, fallback)
            if not _COLOR.match(color):
                raise area_reader.fail("color", f'应写成 #rrggbb（如 "#4e79a7"），实际为 {color!r}。')
            if colors.setdefault(area_code, color.lower()) != color.lower():
                raise area_reader.fail(
                    "color", f"与另一版纲要中领域 {area_code} 的颜色不同（同一领域用同一颜色）。"
                )
            areas.append(
                Area(
                    code=area_code,
                    name=area_reader.text("name"),
                    short=area_reader.text("short"),
                    outline=code,
                    order=order,
                    practice=area_reader.get("practice", bool, False),
                    color=color,
                )
            )
        codes = [a.code for a in areas]
        if len(set(codes)) != len(codes):
            raise reader.fail("areas", "中有重复的领域 code。")
        outlines.append(
            Outline(
                code=code,
                name=reader.text("name"),
                first_year=reader.get("first_year", int),
                last_year=reader.get("last_year", int),
                areas=tuple(areas),
            )
        )
    if len({o.code for o in outlines}) != len(outlines):
        raise CatalogError(f"目录文件 {path.name}：纲要 code 重复。")
    return tuple(sorted(outlines, key=lambda o: o.first_year))


def _load_field(path: Path, type_code: str, item: Any) -> Field:
    reader = _Reader(path, f"类型 {type_code} 的字段", item)
    code = reader.text("code")
    reader.where = f"类型 {type_code} 的字段 {code}"
    if not _CODE.match(code):
        raise reader.fail("code", "只能由小写英文字母、数字和下划线组成。")
    kind = reader.text("kind")
    if kind not in KINDS:
        raise reader.fail("kind", f"应为 {'/'.join(KINDS)} 之一，实际为 {kind!r}。")
    spec = KINDS[kind]
    number = (int, float)
    low = reader.get("min", number, spec.bounds[0])
    high = reader.get("max", number, spec.bounds[1])
    if spec.forced is not None:
        # percent stays within 0–100 (a narrower range may be given); yes/no is always 0 or 1
        floor, ceiling = spec.forced
        if spec.choices:
            low, high = floor, ceiling
        else:
            low, high = max(low or floor, floor), min(high if high is not None else ceiling, ceiling)
    if low is not None and high is not None and low > high:
        raise reader.fail("min", f"({low}) 大于 max ({high})。")
    default = reader.get("default", number, None)
    if default is not None and ((low is not None and default < low) or (high is not None and default > high)):
        raise reader.fail("default", f"({default}) 超出允许范围。")
    return Field(
        code=code,
        label=reader.text("label"),
        unit=reader.get("unit", str, ""),
        kind=kind,
        required=reader.get("required", bool, False),
        min=low,
        max=high,
        max_length=reader.get("max_length", int, 200),
        default=default,
        help=reader.get("help", str, ""),
    )


def _load_record_types(path: Path, outlines: tuple[Outline, ...]) -> dict[str, RecordType]:
    data = _read(path)
    raw = data.get("types")
    if not isinstance(raw, list) or not raw:
        raise CatalogError(f"目录文件 {path.name}：缺少 [[types]]。")
    types: dict[str, RecordType] = {}
    units_by_field: dict[str, tuple[str, str, str]] = {}
    for number, item in enumerate(raw, 1):
        reader = _Reader(path, f"第{number}个 [[types]]", item)
        code = reader.text("code")
        reader.where = f"类型 {code}"
        if not _CODE.match(code):
            raise reader.fail("code", "只能由小写英文字母、数字和下划线组成。")
        if code in types:
            raise reader.fail("code", "重复。")
        fields = tuple(_load_field(path, code, f) for f in reader.get("fields", list, []))
        field_codes = [f.code for f in fields]
        if len(set(field_codes)) != len(field_codes):
            raise reader.fail("fields", "中有重复的字段 code。")
        for item_field in fields:
            seen = units_by_field.setdefault(item_field.code, (item_field.unit, item_field.kind, code))
            if seen[:2] != (item_field.unit, item_field.kind):
                raise reader.fail(
                    f"字段 {item_field.code}",
                    f"的单位或类型与类型 {seen[2]} 中同名字段不一致（同一 code 必须同义，才能跨类型合计）。",
                )
        areas = reader.get("areas", dict)
        for outline in outlines:
            area_code = areas.get(outline.code)
            if area_code is None:
                raise reader.fail("areas", f"缺少纲要 {outline.code} 对应的领域。")
            if area_code not in {a.code for a in outline.areas}:
                raise reader.fail("areas", f"中的 {area_code!r} 不是纲要 {outline.code} 的领域。")
        checks = []
        for check_item in reader.get("checks", list, []):
            check_reader = _Reader(path, f"类型 {code} 的 checks", check_item)
            check = Check(field=check_reader.text("field"), at_most=check_reader.text("at_most"))
            for ref in (check.field, check.at_most):
                if ref not in field_codes:
                    raise check_reader.fail(ref, "不是该类型的字段。")
            checks.append(check)
        types[code] = RecordType(
            code=code,
            name=reader.text("name"),
            group=reader.text("group"),
            description=reader.get("description", str, ""),
            areas=dict(areas),
            fields=fields,
            checks=tuple(checks),
            synonyms=tuple(str(s) for s in reader.get("synonyms", list, [])),
        )
    return types


def _load_measure(
    path: Path, where: str, item: Any, kind: str | None, record_types: dict[str, RecordType]
) -> Measure:
    reader = _Reader(path, where, item)
    kind = kind or reader.text("kind")
    if kind not in MEASURE_KINDS:
        raise reader.fail("kind", f"应为 {'/'.join(sorted(MEASURE_KINDS))} 之一，实际为 {kind!r}。")
    types = reader.get("types", list)
    if not types or not all(isinstance(t, str) for t in types):
        raise reader.fail("types", "应为非空的记录类型 code 列表。")
    for code in types:
        if code not in record_types:
            raise reader.fail("types", f"中的 {code!r} 不是已定义的记录类型。")
    field_code = reader.get("field", str, None)
    several = reader.get("fields", list, [])
    condition = reader.get("where", str, None)
    if several and (kind != "sum" or field_code is not None or not all(isinstance(f, str) for f in several)):
        raise reader.fail("fields", "只能用于 sum，且不能与 field 同时写（应为字段 code 列表）。")
    if kind in ("sum", "latest") and field_code is None and not several:
        raise reader.fail("field", f"缺失（{kind} 需要指定字段）。")
    for type_code in types:
        codes = {f.code: f for f in record_types[type_code].fields}
        for code in [field_code] if field_code is not None else several:
            if code not in codes:
                raise reader.fail("field", f"{code!r} 不是类型 {type_code} 的字段。")
            if kind == "sum" and not codes[code].numeric:
                raise reader.fail("field", f"{code!r} 是文字字段，不能合计。")
        if condition is not None and (condition not in codes or not codes[condition].spec.flag):
            raise reader.fail("where", f"{condition!r} 不是类型 {type_code} 的“是/否”字段。")
    return Measure(kind=kind, types=tuple(types), field=field_code, where=condition, fields=tuple(several))


def _load_indicators(
    path: Path, outlines: tuple[Outline, ...], record_types: dict[str, RecordType]
) -> tuple[Indicator, ...]:
    data = _read(path)
    raw = data.get("indicators")
    if not isinstance(raw, list) or not raw:
        raise CatalogError(f"目录文件 {path.name}：缺少 [[indicators]]。")
    indicators: list[Indicator] = []
    for number, item in enumerate(raw, 1):
        reader = _Reader(path, f"第{number}个 [[indicators]]", item)
        code = reader.text("code")
        reader.where = f"指标 {code}"
        if not _CODE.match(code):
            raise reader.fail("code", "只能由小写英文字母、数字和下划线组成。")
        if any(i.code == code for i in indicators):
            raise reader.fail("code", "重复。")
        kind = reader.text("kind")
        if kind not in INDICATOR_KINDS:
            raise reader.fail("kind", f"应为 {'/'.join(INDICATOR_KINDS)} 之一，实际为 {kind!r}。")
        direction = reader.text("direction")
        if direction not in DIRECTIONS:
            raise reader.fail("direction", f"应为 {'/'.join(DIRECTIONS)} 之一，实际为 {direction!r}。")
        measure = numerator = denominator = None
        if kind == "ratio":
            numerator = _load_measure(
                path, f"指标 {code} 的 numerator", reader.get("numerator", dict), None, record_types
            )
            denominator = _load_measure(
                path, f"指标 {code} 的 denominator", reader.get("denominator", dict), None, record_types
            )
        else:
            measure_kind = {"zero": None, "yesno": "latest"}.get(kind, kind)
            if kind == "zero":
                measure_kind = "sum" if "field" in item else "count"
            measure = _load_measure(path, f"指标 {code}", item, measure_kind, record_types)
            if kind == "yesno" and not record_types[measure.types[0]].field(measure.field or "").spec.flag:
                raise reader.fail("field", "应为“是/否”字段。")
        first = (measure or numerator).types[0]  # type: ignore[union-attr]
        areas = dict(record_types[first].areas)
        areas.update(reader.get("areas", dict, {}))
        for outline in outlines:
            if areas.get(outline.code) not in {a.code for a in outline.areas}:
                raise reader.fail(
                    "areas", f"中纲要 {outline.code} 的领域 {areas.get(outline.code)!r} 不存在。"
                )
        definition = reader.text("definition")
        indicators.append(
            Indicator(
                code=code,
                name=reader.text("name"),
                unit=reader.get("unit", str, ""),
                kind=kind,
                direction=direction,
                target=reader.get("target", (int, float), None),
                definition=definition,
                areas=areas,
                measure=measure,
                numerator=numerator,
                denominator=denominator,
                factor=float(reader.get("factor", (int, float), 100)),
            )
        )
    return tuple(indicators)


def _load_key_indicators(path: Path, indicators: tuple[Indicator, ...]) -> tuple[str, ...]:
    """The default KPI cards: data/kpi.toml's `indicators`, each an indicator code (no file: none)."""
    if not path.exists():
        return ()
    reader = _Reader(path, "文件", _read(path))
    codes = reader.get("indicators", list)
    known = {i.code for i in indicators}
    for code in codes:
        if not isinstance(code, str) or code not in known:
            raise reader.fail("indicators", f"中的 {code!r} 不是 indicators.toml 中的指标 code。")
    if len(set(codes)) != len(codes):
        raise reader.fail("indicators", "中有重复的指标。")
    return tuple(codes)


@lru_cache(maxsize=8)
def _load(data_dir: Path, stamp: tuple[float, ...]) -> Catalog:
    outlines = _load_outlines(data_dir / "areas.toml")
    record_types = _load_record_types(data_dir / "record_types.toml", outlines)
    indicators = _load_indicators(data_dir / "indicators.toml", outlines, record_types)
    key_indicators = _load_key_indicators(data_dir / "kpi.toml", indicators)
    return Catalog(
        outlines=outlines, record_types=record_types, indicators=indicators, key_indicators=key_indicators
    )


def load_catalog(data_dir: Path | None = None) -> Catalog:
    """The catalog from `data_dir` (default data/), reloaded when a file changes."""
    folder = Path(data_dir or DATA_DIR)
    stamp = tuple(
        (folder / name).stat().st_mtime if (folder / name).exists() else 0.0 for name in CATALOG_FILES
    )
    return _load(folder, stamp)


CATALOG_FILES = ("areas.toml", "record_types.toml", "indicators.toml", "kpi.toml")
