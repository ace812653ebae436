"""Section drafts in the style of the reference report, written from the indicator table, record details
and the summaries staff wrote.

Every figure comes from `indicators.indicator_table` (the one source the dashboard and CLI use too);
records are read only for wording: dates of campaigns, places, titles, the laws studied and staff
summaries. A topic without records says nothing; must-stay-zero indicators give the usual statement
("全年未发生重大安全事故") in a subsection that has something else recorded to tell.

The subsections of "一、主要举措和成效" follow data/report.toml (per 纲要 version); each topic below lands
in the subsection holding the area of its first indicator in that year's 纲要.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fazhi.catalog import Catalog
from fazhi.errors import CatalogError
from fazhi.report import numbers
from fazhi.settings import DATA_DIR

STRUCTURE_FILE = DATA_DIR / "report.toml"
_LAW = re.compile(r"《[^《》]{1,40}》")
_SUBHEADING = re.compile(r"^（[一二三四五六七八九十]+）")
_END = "。；;，,、.！!？? \t"
SUMMARY_LIMIT = 4
DETAIL_FIELDS = ("in_assessment", "level")  # record fields read for wording (never for figures)


# ───────────── the structure of "一" (data/report.toml) ─────────────


@dataclass(frozen=True)
class Part:
    """One subsection of “一、主要举措和成效”: its heading and the areas of one 纲要 it covers."""

    outline: str
    code: str
    heading: str
    areas: tuple[str, ...]


def load_parts(catalog: Catalog, path: Path = STRUCTURE_FILE) -> tuple[Part, ...]:
    """The subsections for every 纲要, checked: each area of an outline is in exactly one subsection."""
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle).get("sections")
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(f"报告结构文件 {path.name} 无法读取：{error}") from error
    if not isinstance(raw, list) or not raw:
        raise CatalogError(f"报告结构文件 {path.name}：缺少 [[sections]]。")
    parts = []
    for number, item in enumerate(raw, 1):
        where = f"报告结构文件 {path.name} 的第{number}个 [[sections]]"
        try:
            part = Part(
                outline=str(item["outline"]),
                code=str(item["code"]),
                heading=str(item["heading"]).strip(),
                areas=tuple(str(a) for a in item["areas"]),
            )
        except (KeyError, TypeError) as error:
            raise CatalogError(f"{where} 缺少 {error}。") from error
        if not re.match(r"^[a-z][a-z0-9_]*$", part.code) or not part.heading or not part.areas:
            raise CatalogError(f"{where} 的 code、heading 或 areas 有误。")
        parts.append(part)
    for outline in catalog.outlines:
        mine = [p for p in parts if p.outline == outline.code]
        placed = [a for p in mine for a in p.areas]
        known = {a.code for a in outline.areas}
        problems = sorted(set(placed) - known)
        if problems:
            raise CatalogError(
                f"报告结构文件 {path.name}：纲要 {outline.code} 没有领域 {'、'.join(problems)}。"
            )
        missing = [a.short for a in outline.areas if a.code not in placed]
        twice = sorted({a for a in placed if placed.count(a) > 1})
        if missing or twice:
            raise CatalogError(
                f"报告结构文件 {path.name}：纲要 {outline.code} 的领域"
                + (f" {'、'.join(missing)} 没有归入任何小节" if missing else "")
                + (f" {'、'.join(twice)} 归入了多个小节" if twice else "")
                + "。"
            )
        if len({p.code for p in mine}) != len(mine):
            raise CatalogError(f"报告结构文件 {path.name}：纲要 {outline.code} 的小节 code 重复。")
    return tuple(parts)


def parts_for(catalog: Catalog, year: int) -> tuple[Part, ...]:
    """The subsections of “一” for a report year, in order."""
    outline = catalog.outline_for(year).code
    return tuple(p for p in load_parts(catalog) if p.outline == outline)


# ───────────── the facts a draft is written from ─────────────


def one_line(text: str) -> str:
    """Staff text as one clause: line breaks become '；', trailing punctuation goes."""
    joined = "；".join(line.strip() for line in str(text).splitlines() if line.strip())
    return joined.strip().rstrip(_END).strip()


class Facts:
    """One unit-year: the indicator table (by code), the year's records, and how numbers are written."""

    def __init__(self, catalog: Catalog, year: int, table: pd.DataFrame, records: pd.DataFrame, exact: bool):
        self.catalog = catalog
        self.year = year
        self.table = table.set_index("code") if "code" in table.columns else table
        wording = ["id", "type_code", "title", "summary", "place", "start_on", "end_on", *DETAIL_FIELDS]
        self.frame = records[[c for c in wording if c in records.columns]]
        self._by_type = {code: rows for code, rows in self.frame.groupby("type_code", sort=False)}
        self.exact = exact

    # indicator values
    def known(self, code: str) -> bool:
        """True when the catalog defines this indicator."""
        return code in self.table.index

    def value(self, code: str) -> float | None:
        """The indicator's value this year (None when there is none)."""
        if not self.known(code):
            return None
        raw = self.table.at[code, "value"]
        return None if raw is None or (isinstance(raw, float) and math.isnan(raw)) else float(raw)

    def recorded(self, code: str) -> bool:
        """True when the indicator draws on at least one record this year and has a value above zero."""
        if not self.known(code):
            return False
        value = self.value(code)
        return int(self.table.at[code, "records"]) > 0 and value is not None and value > 0

    def yes(self, code: str) -> bool:
        """True for a yes/no indicator recorded as 是."""
        return self.known(code) and int(self.table.at[code, "records"]) > 0 and (self.value(code) or 0) >= 1

    def n(self, code: str, *, at_least: bool = False) -> str:
        """The value with its unit in report style: '2500余份', '4次', '150人次以上'."""
        value = self.value(code)
        unit = self.table.at[code, "unit"]
        return numbers.approx(value or 0, unit, exact=self.exact, at_least=at_least)

    def rate(self, code: str) -> str:
        """A rate indicator as printed: '100%'."""
        return numbers.percent(self.value(code))

    def compared(self, code: str) -> str:
        """'较上年增长12.5%' (rates in percentage points), or ''."""
        row = self.table.loc[code]
        previous = row["previous"]
        previous = (
            None if previous is None or (isinstance(previous, float) and math.isnan(previous)) else previous
        )
        return numbers.compared(self.value(code), previous, points=row["unit"] == "%")

    def part(self, code: str, which: str) -> float:
        """A ratio's numerator or denominator."""
        raw = self.table.at[code, which]
        return 0.0 if raw is None or (isinstance(raw, float) and math.isnan(raw)) else float(raw)

    # record details (wording only, never figures)
    def records(self, *types: str) -> pd.DataFrame:
        """This year's records of these types, by date (only the columns wording needs)."""
        found = [self._by_type[t] for t in types if t in self._by_type]
        if not found:
            return self.frame.iloc[0:0]
        return found[0] if len(found) == 1 else pd.concat(found).sort_values(["start_on", "id"])

    def summaries(self, *types: str, limit: int = SUMMARY_LIMIT) -> list[str]:
        """What staff wrote in 情况说明, one clause each, without repeats."""
        texts = [one_line(s) for s in self.records(*types).get("summary", pd.Series(dtype=str))]
        return list(dict.fromkeys(t for t in texts if t))[:limit]

    def titles(self, *types: str) -> list[str]:
        """Record titles, without repeats."""
        return list(dict.fromkeys(one_line(t) for t in self.records(*types).get("title", []) if one_line(t)))

    def places(self, *types: str) -> list[str]:
        """Places named in the records, without repeats."""
        return list(dict.fromkeys(one_line(p) for p in self.records(*types).get("place", []) if one_line(p)))

    def spans(self, *types: str) -> list[tuple]:
        """(start, end) of each record."""
        rows = self.records(*types)
        return list(zip(rows.get("start_on", []), rows.get("end_on", []), strict=True))

    def laws(self, *types: str) -> list[str]:
        """Laws named 《…》 in the titles and summaries, in order of first mention."""
        rows = self.records(*types)
        found: list[str] = []
        for text in [*rows.get("title", []), *rows.get("summary", [])]:
            found += _LAW.findall(str(text))
        return list(dict.fromkeys(found))

    def field_values(self, type_code: str, field: str) -> list:
        """The values a field took in this year's records of a type (e.g. a yes/no or a 级别)."""
        rows = self.records(type_code)
        if field not in rows.columns:
            return []
        return [v for v in rows[field] if v is not None and not (isinstance(v, float) and math.isnan(v))]

    @property
    def has_records(self) -> bool:
        """True when anything at all was recorded this year."""
        return not self.frame.empty


@dataclass(frozen=True)
class Item:
    """One enumerated point of a subsection: a short lead ('强化组织领导') and its sentences."""

    lead: str
    body: str


def _sentence(*clauses: str) -> str:
    """Clauses joined with '，' into one sentence ending in '。'."""
    text = "，".join(c.strip().rstrip(_END) for c in clauses if c and c.strip().rstrip(_END))
    return text + "。" if text else ""


def _with_laws(laws: list[str], limit: int = 6) -> str:
    shown = laws[:limit]
    return f"重点学习了{'、'.join(shown)}等法律法规" if shown else ""


# ───────────── topics: one enumerated point each ─────────────


def _organisation(f: Facts) -> Item | None:
    sentences = []
    summaries = f.summaries("annual_checklist", limit=2)
    if summaries:
        sentences.append(_sentence(*summaries))
    elif f.yes("leading_group"):
        assessed = any(bool(v) for v in f.field_values("annual_checklist", "in_assessment"))
        sentences.append(
            _sentence(
                "成立了法治政府建设工作领导小组",
                "形成主要领导负责抓、分管领导具体抓、相关部门配合抓的工作格局",
                "将法治建设纳入党政综合考核" if assessed else "",
            )
        )
    if f.recorded("leadership_meetings"):
        hearing = f"其中听取法治建设工作汇报{f.n('report_hearings')}" if f.recorded("report_hearings") else ""
        sentences.append(
            _sentence(
                f"全年党委、政府专题研究法治建设工作{f.n('leadership_meetings')}",
                hearing,
                "及时研究解决法治建设中的重大问题",
            )
        )
    duties = []
    if f.yes("work_plan"):
        duties.append("印发年度法治政府建设工作要点，明确目标任务和责任分工")
    if f.yes("report_published"):
        duties.append("按时公开上年度法治政府建设情况报告")
    if duties:
        sentences.append(_sentence(*duties))
    return Item("强化组织领导", "".join(sentences)) if sentences else None


def _funding(f: Facts) -> Item | None:
    if not f.recorded("funding"):
        return None
    lead = f.summaries("funding", limit=1) or ["将普法依法治理经费列入年度财政预算"]
    body = _sentence(*lead, f"全年落实法治建设经费{f.n('funding')}", "为法治建设提供了有力保障")
    return Item("加大经费保障", body)


def _rules(f: Facts) -> Item | None:
    sentences = []
    if f.recorded("rule_documents"):
        titles = f.titles("rule_making")[:4]
        listed = f"：{'，'.join(titles)}" if titles else ""
        sentences.append(
            _sentence(
                f"全年出台或完善制度{f.n('rule_documents')}{listed}", *f.summaries("rule_making", limit=2)
            )
        )
    if f.recorded("normative_docs"):
        filed = (
            f"报备率达{f.rate('normative_filing_rate')}"
            if f.value("normative_filing_rate") is not None
            else ""
        )
        sentences.append(_sentence(f"制定行政规范性文件{f.n('normative_docs')}", filed))
    return Item("强化制度建设", "".join(sentences)) if sentences else None


def _decisions(f: Facts) -> Item | None:
    sentences = []
    if f.recorded("major_decisions"):
        titles = f.titles("major_decision")[:3]
        named = f"（{'、'.join(titles)}）" if titles else ""
        rate = f.value("legality_review_rate")
        reviewed = (
            "均经合法性审查"
            if rate == 100
            else (f"合法性审查覆盖率{f.rate('legality_review_rate')}" if rate is not None else "")
        )
        told = f.summaries("major_decision", limit=2)
        if any("合法性审查" in t for t in told):
            reviewed = "" if rate == 100 else reviewed  # the staff's own words already say so
        sentences.append(_sentence(f"全年作出重大行政决策{f.n('major_decisions')}{named}", reviewed, *told))
    services = []
    if f.recorded("contract_reviews"):
        services.append(f"审查合同{f.n('contract_reviews')}")
    if f.recorded("legal_adviser"):
        services.append(f"法律顾问参与决策论证、合同审查等{f.n('legal_adviser')}")
    if services:
        sentences.append(_sentence(*services))
    return Item("推进依法科学民主决策", "".join(sentences)) if sentences else None


def _study_group(f: Facts) -> Item | None:
    if not f.recorded("study_group_sessions"):
        return None
    body = _sentence(
        f"党委理论学习中心组坚持集体学法，全年集体学法{f.n('study_group_sessions')}",
        "；".join(f.summaries("study_group")),
    )
    return Item("坚持中心组学法制度", body)


def _cadre_study(f: Facts) -> Item | None:
    if not f.recorded("cadre_study_sessions"):
        return None
    quarters = f.value("cadre_study_quarters") or 0
    sessions = f.value("cadre_study_sessions") or 0
    if quarters >= 4 and sessions == 4:
        how = "每季度组织全体机关干部学法1次"
    elif quarters >= 4:
        how = f"全年组织机关干部集中学法{f.n('cadre_study_sessions')}，做到每季度至少学法1次"
    else:
        how = f"全年组织机关干部集中学法{f.n('cadre_study_sessions')}"
    body = _sentence(how, _with_laws(f.laws("cadre_study")), "进一步提高了干部职工的法治意识")
    return Item("抓好机关干部学法", body)


def _pre_meeting(f: Facts) -> Item | None:
    if not f.recorded("pre_meeting_study"):
        return None
    return Item(
        "坚持会前学法", _sentence(f"坚持党委会、政府常务会议会前学法，全年会前学法{f.n('pre_meeting_study')}")
    )


def _exam(f: Facts) -> Item | None:
    if not f.recorded("exam_expected"):
        return None
    attended, passed = f.value("exam_attendance_rate"), f.value("exam_pass_rate")
    if attended == 100 and passed == 100:
        rates = "参学率和合格率均达100%"
    else:
        rates = "，".join(
            part
            for part in (
                f"参学率达{f.rate('exam_attendance_rate')}" if attended is not None else "",
                f"合格率达{f.rate('exam_pass_rate')}" if passed is not None else "",
            )
            if part
        )
    body = _sentence(f"组织机关、事业单位干部{f.n('exam_expected')}参加网上学法考试", rates)
    return Item("组织网上学法考试", body)


def _training(f: Facts) -> Item | None:
    if not f.recorded("trainees"):
        return None
    return Item(
        "开展法治培训", _sentence(f"组织干部法治培训{f.n('trainees')}", *f.summaries("training", limit=2))
    )


def _market_day(f: Facts) -> Item | None:
    if not f.recorded("market_day_campaigns"):
        return None
    spans = f.spans("market_day")
    dates = numbers.date_list(spans) if len(spans) <= 6 else ""
    places = numbers.listing(f.places("market_day"), limit=3)
    what = "；".join(f.summaries("market_day", limit=3))
    clauses = [f"{dates}利用赶场日开展集中宣传{f.n('market_day_campaigns')}"]
    if places or what:
        clauses.append(f"在{places}{what or '设立法治宣传台、法律咨询台'}" if places else what)
    if f.recorded("market_day_consultations"):
        clauses.append(f"现场解答法律咨询{f.n('market_day_consultations')}")
    if f.recorded("market_day_materials"):
        clauses.append(f"发放宣传资料{f.n('market_day_materials')}")
    if f.recorded("banners"):
        clauses.append(f"全年共悬挂横幅{f.n('banners')}")
    return Item("开展集中宣传", _sentence(*clauses))


def _village(f: Facts) -> Item | None:
    if not (f.recorded("village_materials") or f.recorded("village_consultations")):
        return None
    clauses = ["各村（居）设立宣传台"]
    if f.recorded("village_materials"):
        clauses.append(f"到组到户散发宣传资料{f.n('village_materials')}")
    if f.recorded("village_consultations"):
        clauses.append(f"解答群众咨询{f.n('village_consultations')}")
    return Item("抓好村（居）宣传", _sentence(*clauses))


def _vehicles(f: Facts) -> Item | None:
    if not f.recorded("publicity_vehicles"):
        return None
    return Item(
        "开展流动宣传",
        _sentence(
            f"出动宣传车{f.n('publicity_vehicles')}", "；".join(f.summaries("publicity_vehicle", limit=3))
        ),
    )


def _door_to_door(f: Facts) -> Item | None:
    if not (f.recorded("households_visited") or f.recorded("residents_reached")):
        return None
    clauses = f.summaries("door_to_door", limit=1)
    if f.recorded("households_visited"):
        clauses.append(f"组织干部进村入户{f.n('households_visited')}")
    if f.recorded("residents_reached"):
        clauses.append(f"向群众{f.n('residents_reached')}宣传法律知识")
    return Item("走村入户宣传", _sentence(*clauses))


def _school(f: Facts) -> Item | None:
    if not f.recorded("school_sessions"):
        return None
    places = numbers.listing(f.places("school_lesson"), limit=3)
    clauses = [f"{'在' + places if places else '到学校'}开展法治宣传{f.n('school_sessions')}"]
    if f.recorded("school_lessons"):
        clauses.append(f"授法治课{f.n('school_lessons')}")
    return Item("推进法治进校园", _sentence(*clauses))


def _case_explain(f: Facts) -> Item | None:
    if not f.recorded("case_explain_audience"):
        return None
    return Item(
        "坚持以案释法",
        _sentence(
            "在执法、调解过程中通过“以案释法”向当事人及群众普法",
            f"累计宣传{f.n('case_explain_audience', at_least=True)}",
        ),
    )


def _civil_code(f: Facts) -> Item | None:
    if not f.recorded("civil_code_campaigns"):
        return None
    village = (
        f"进村集中宣传{f.n('civil_code_village_sessions')}"
        if f.recorded("civil_code_village_sessions")
        else ""
    )
    return Item("开展专题普法", _sentence(f"开展《民法典》集中宣传{f.n('civil_code_campaigns')}", village))


def _law_literate(f: Facts) -> Item | None:
    if not f.recorded("law_literate"):
        return None
    return Item("培养“法律明白人”", _sentence(f"培养农村“法律明白人”{f.n('law_literate')}"))


def _demo_villages(f: Facts) -> Item | None:
    if not f.recorded("demo_villages"):
        return None
    levels = numbers.listing(str(v) for v in f.field_values("demo_creation", "level"))
    return Item(
        "开展民主法治示范创建",
        _sentence(
            "深入开展“民主法治示范村（社区）”创建活动",
            f"全年创建{f.n('demo_villages')}" + (f"（{levels}）" if levels else ""),
        ),
    )


def _enforcement(f: Facts) -> Item | None:
    clauses = []
    if f.recorded("inspections"):
        clauses.append(f"全年开展执法检查{f.n('inspections')}")
    if f.recorded("penalties"):
        clauses.append(f"作出行政处罚{f.n('penalties')}")
    if f.recorded("certificate_holders"):
        clauses.append(f"持证执法人员{f.n('certificate_holders')}")
    if not clauses:
        return None
    return Item("规范行政执法行为", _sentence(*clauses, *f.summaries("enforcement", limit=2)))


def _satisfaction(f: Facts) -> Item | None:
    if not f.recorded("satisfaction"):
        return None
    return Item(
        "提升群众满意度",
        _sentence(
            f"经测评，人民群众对政法队伍及其执法工作满意度达{f.rate('satisfaction')}",
            f.compared("satisfaction"),
        ),
    )


def _reconsideration(f: Facts) -> Item | None:
    cases = [
        f"行政复议案件{f.n('reconsiderations')}" if f.recorded("reconsiderations") else "",
        f"行政应诉案件{f.n('lawsuits')}" if f.recorded("lawsuits") else "",
    ]
    cases = [c for c in cases if c]
    if not cases:
        return None
    clauses = [f"全年办理{'、'.join(cases)}"]
    if f.value("head_appearance_rate") is not None:
        clauses.append(f"行政机关负责人出庭应诉率达{f.rate('head_appearance_rate')}")
    if f.recorded("lawsuits"):
        clauses.append(f"败诉{f.n('lawsuit_losses')}" if f.recorded("lawsuit_losses") else "无败诉案件")
    return Item("依法做好复议应诉", _sentence(*clauses))


def _gov_open(f: Facts) -> Item | None:
    if not f.recorded("gov_open_items"):
        return None
    return Item("推进政务公开", _sentence(f"全年主动公开政府信息{f.n('gov_open_items')}"))


def _legal_aid(f: Facts) -> Item | None:
    if not f.recorded("legal_aid_cases"):
        return None
    return Item(
        "做好法律援助",
        _sentence(
            "以贫困户、农民工、残疾人、未成年人和老年人等特殊群体为重点对象",
            f"大力开展法律援助工作，全年申请法律援助案件{f.n('legal_aid_cases')}",
        ),
    )


def _disputes(f: Facts) -> Item | None:
    if not f.recorded("disputes_screened") and not f.recorded("disputes_resolved"):
        return None
    screened, resolved = f.value("disputes_screened") or 0, f.value("disputes_resolved") or 0
    if screened == resolved:
        count = f"全年自排化解矛盾纠纷{f.n('disputes_resolved')}"
    else:
        count = f"全年排查矛盾纠纷{f.n('disputes_screened')}，化解{f.n('disputes_resolved')}"
    rate = (
        f"化解率达{f.rate('dispute_resolution_rate')}"
        if f.value("dispute_resolution_rate") is not None
        else ""
    )
    return Item("加大矛盾排查化解力度", _sentence(*f.summaries("dispute_screening", limit=1), count, rate))


def _mediation(f: Facts) -> Item | None:
    if not f.recorded("mediation_cases"):
        return None
    rate = (
        f"调解成功率达{f.rate('mediation_success_rate')}"
        if f.value("mediation_success_rate") is not None
        else ""
    )
    return Item("发挥人民调解作用", _sentence(f"人民调解组织全年受理调解案件{f.n('mediation_cases')}", rate))


def _consultations(f: Facts) -> Item | None:
    if not f.recorded("legal_consultations"):
        return None
    return Item(
        "提供法律咨询", _sentence(f"法律服务站（室）全年解答群众法律咨询{f.n('legal_consultations')}")
    )


def _petitions(f: Facts) -> Item | None:
    if not f.recorded("petitions"):
        return None
    return Item("依法办理信访", _sentence(f"依法受理信访事项{f.n('petitions')}"))


def _safety(f: Facts) -> Item | None:
    if not f.recorded("safety_checks"):
        return None
    clauses = [*f.summaries("safety_inspection", limit=1), f"全年开展安全生产大检查{f.n('safety_checks')}"]
    found = f.part("hazard_fix_rate", "denominator")
    if found:
        fixed = f.part("hazard_fix_rate", "numerator")
        unit = "处"
        clauses.append(
            f"排查安全隐患{numbers.approx(found, unit, exact=f.exact)}、整改{numbers.approx(fixed, unit, exact=f.exact)}，"
            f"整改率达{f.rate('hazard_fix_rate')}"
        )
    return Item("抓好安全生产", _sentence(*clauses))


def _online(f: Facts) -> Item | None:
    if not f.recorded("online_items"):
        return None
    return Item("推进“互联网+政务服务”", _sentence(f"网上可办事项达{f.n('online_items')}"))


Topic = Callable[[Facts], Item | None]

# (the indicators a topic tells — the first decides the subsection, by its area —, the topic), in order.
TOPICS: tuple[tuple[tuple[str, ...], Topic], ...] = (
    (
        ("leading_group", "leadership_meetings", "report_hearings", "work_plan", "report_published"),
        _organisation,
    ),
    (("funding",), _funding),
    (("study_group_sessions",), _study_group),
    (("cadre_study_sessions", "cadre_study_quarters"), _cadre_study),
    (("pre_meeting_study",), _pre_meeting),
    (("exam_expected", "exam_attendance_rate", "exam_pass_rate"), _exam),
    (("trainees",), _training),
    (("market_day_campaigns", "market_day_consultations", "market_day_materials", "banners"), _market_day),
    (("village_materials", "village_consultations"), _village),
    (("publicity_vehicles",), _vehicles),
    (("households_visited", "residents_reached"), _door_to_door),
    (("school_sessions", "school_lessons"), _school),
    (("case_explain_audience",), _case_explain),
    (("civil_code_campaigns", "civil_code_village_sessions"), _civil_code),
    (("law_literate",), _law_literate),
    (("demo_villages",), _demo_villages),
    (("rule_documents", "normative_docs", "normative_filing_rate"), _rules),
    (("major_decisions", "legality_review_rate", "contract_reviews", "legal_adviser"), _decisions),
    (("inspections", "penalties", "certificate_holders"), _enforcement),
    (("satisfaction",), _satisfaction),
    (("reconsiderations", "lawsuits", "head_appearance_rate", "lawsuit_losses"), _reconsideration),
    (("gov_open_items",), _gov_open),
    (("legal_aid_cases",), _legal_aid),
    (("disputes_screened", "disputes_resolved", "dispute_resolution_rate"), _disputes),
    (("mediation_cases", "mediation_success_rate"), _mediation),
    (("legal_consultations",), _consultations),
    (("petitions",), _petitions),
    (("safety_checks", "hazard_fix_rate"), _safety),
    (("online_items",), _online),
)
# Told elsewhere: in 二 (述职述法) or in a subsection's closing sentence.
ELSEWHERE = ("duty_report", "publicity_days", "publicity_places")
TOLD = frozenset(code for codes, _ in TOPICS for code in codes) | frozenset(ELSEWHERE)
# The usual wording where "全年未发生" + the indicator's name reads poorly.
ZERO_PHRASES = {"enforcement_issues": "一起执法不公正、不规范和不作为、不文明的情况"}


def _zero_statement(f: Facts, codes: list[str]) -> str:
    """'全年未发生重大安全事故，未发生侵犯知识产权和销售伪劣商品案件。' (or what did happen)."""
    clauses = []
    for code in codes:
        value = f.value(code) or 0
        row = f.table.loc[code]
        if value:
            clauses.append(f"发生{row['name']}{numbers.plain(value)}{row['unit']}")
        else:
            clauses.append(f"未发生{ZERO_PHRASES.get(code, row['name'])}")
    if not clauses:
        return ""
    return "全年" + "，".join(clauses) + "。"


def _closing(f: Facts, areas: tuple[str, ...]) -> str:
    """The subsection's closing sentence: how many days and places of 普法宣传 in all."""
    codes = [
        c
        for c in ELSEWHERE[1:]
        if f.known(c) and f.catalog.indicator_area(f.catalog.indicator(c), f.year).code in areas
    ]
    days = "publicity_days" in codes and f.recorded("publicity_days")
    places = "publicity_places" in codes and f.recorded("publicity_places")
    if not (days or places):
        return ""
    where = f"在{f.n('publicity_places')}地点" if places else ""
    when = f"{f.n('publicity_days')}" if days else ""
    return f"全年共{where}开展普法宣传活动{when}。"


def _fallback(f: Facts, areas: tuple[str, ...]) -> str:
    """Indicators with records that no topic told (e.g. one added to the catalog later), in one sentence."""
    told = []
    for indicator in f.catalog.indicators:
        code = indicator.code
        if code in TOLD or indicator.kind == "zero":
            continue
        if f.catalog.indicator_area(indicator, f.year).code not in areas or not f.recorded(code):
            continue
        row = f.table.loc[code]
        told.append(row["name"] if indicator.kind == "yesno" else f"{row['name']}{f.n(code)}")
    return f"此外，全年{'，'.join(told)}。" if told else ""


def write_part(f: Facts, part: Part) -> list[str]:
    """The paragraphs of one subsection of “一”; empty when the year has nothing to tell there."""
    items = []
    for codes, topic in TOPICS:
        code = codes[0]
        if (
            not f.known(code)
            or f.catalog.indicator_area(f.catalog.indicator(code), f.year).code not in part.areas
        ):
            continue
        item = topic(f)
        if item is not None and item.body:
            items.append(item)
    if len(items) > 1:
        paragraphs = [f"{numbers.numeral(n)}是{item.lead}。{item.body}" for n, item in enumerate(items, 1)]
    else:
        paragraphs = [item.body for item in items]
    tail = [_closing(f, part.areas), _fallback(f, part.areas)]
    zero = [
        i.code
        for i in f.catalog.indicators
        if i.kind == "zero" and f.catalog.indicator_area(i, f.year).code in part.areas
    ]
    if items or any(tail):  # "未发生…" only beside something the unit did record in this area
        tail.append(_zero_statement(f, zero))
    return paragraphs + [t for t in tail if t]


# ───────────── the other sections: short starters, mostly judgement ─────────────


@dataclass(frozen=True)
class Voice:
    """How the report names things: 我乡, 区委、区政府, 燕山 (as in 法治燕山), the 纲要's title."""

    self_name: str
    superior: str
    short: str
    outline: str


def opening(f: Facts, voice: Voice) -> list[str]:
    """The opening paragraph."""
    thought = "以习近平法治思想为指导" if f.year >= 2020 else "以习近平新时代中国特色社会主义思想为指导"
    return [
        f"{f.year}年，{voice.self_name}在{voice.superior}的正确领导下，{thought}，深入贯彻落实《{voice.outline}》，"
        f"对照年度法治政府建设工作要点，立足{voice.short}实际，通过学习文件抓发动、联系实际抓规划、对照要求抓落实，"
        f"采取多种形式，全面系统地开展了年度法治政府建设工作。现将有关情况报告如下。"
    ]


def duty(f: Facts, voice: Voice) -> list[str]:
    """A starter for 二、党政主要负责人履行推进法治建设第一责任人职责情况, with what the records show."""
    thought = "习近平法治思想" if f.year >= 2020 else "习近平总书记关于全面依法治国的重要论述"
    study = (
        f"带头参加党委理论学习中心组集体学法{f.n('study_group_sessions')}"
        if f.recorded("study_group_sessions")
        else "带头参加党委理论学习中心组集体学法"
    )
    first = _sentence(
        f"（一）带头尊法学法守法用法。党政主要负责人带头学习贯彻{thought}",
        study,
        "以上率下推动全体干部学法用法",
    )
    meetings = ""
    if f.recorded("leadership_meetings"):
        meetings = f"主持召开专题会议研究法治建设工作{f.n('leadership_meetings')}"
        if f.recorded("report_hearings"):
            meetings += f"，听取法治建设工作汇报{f.n('report_hearings')}"
    second = _sentence(
        "（二）切实履行第一责任人职责。认真贯彻落实《党政主要负责人履行推进法治建设第一责任人职责规定》",
        meetings,
        "将法治建设纳入经济社会发展总体规划和年度工作计划，与经济社会发展同部署、同推进、同督促、同考核、同奖励",
    )
    third_clauses = ["（三）带头依法决策、依法行政。严格落实重大行政决策程序"]
    if f.recorded("major_decisions") and f.value("legality_review_rate") == 100:
        third_clauses.append(f"全年{f.n('major_decisions')}重大行政决策均经合法性审查")
    if f.yes("duty_report"):
        third_clauses.append("在年终述职中专门报告履行推进法治建设第一责任人职责情况")
    third_clauses.append("自觉接受人大监督、民主监督和群众监督")
    return [first, second, _sentence(*third_clauses)]


def _shortfall_names(f: Facts) -> tuple[list[str], list[str]]:
    """(indicators recorded but below target, cumulative indicators with a target and no record)."""
    missed, absent = [], []
    for indicator in f.catalog.indicators:
        row = f.table.loc[indicator.code]
        if row["status"] == "未达标" and int(row["records"]) > 0:
            missed.append(indicator.name)
        elif row["status"] == "无记录" and indicator.cumulative and indicator.direction == "up":
            absent.append(indicator.name)
    return missed, absent


def shortcomings(f: Facts, voice: Voice) -> list[str]:
    """A starter for 三、存在的不足和原因: the targets the data shows were missed, then 不足 and 原因 to edit."""
    missed, absent = _shortfall_names(f)
    evidence = []
    if missed:
        evidence.append(f"{numbers.listing(missed, limit=4)}{len(missed)}项指标未达到年度目标")
    if absent:
        evidence.append(f"{numbers.listing(absent, limit=4)}{len(absent)}项工作全年没有开展或没有记录")
    data = f"从年度指标看，{'；'.join(evidence)}。" if evidence else ""
    return [
        f"{f.year}年，{voice.self_name}法治政府建设工作虽然取得了一定成效，但对照上级要求仍存在一些不足。{data}"
        "一是部分干部法治思维和依法行政能力有待进一步提高，运用法治方式解决问题的意识还不够强；"
        "二是普法宣传的针对性和实效性有待增强，部分群众主动学法、守法、用法的意识还不够高；"
        "三是基层法治工作力量较为薄弱，依法行政方面没有专门的常设机构，工作人员多为兼职。",
        "产生这些问题的原因主要是：对法治政府建设重要性的认识还不够到位，干部学法培训的系统性不强，"
        "基层法治工作机构和人员保障不足。",
    ]


def plan(f: Facts, voice: Voice) -> list[str]:
    """A starter for 四、下一年工作安排."""
    missed, absent = _shortfall_names(f)
    focus = ""
    if missed or absent:
        focus = f"，重点补齐{numbers.listing(missed + absent, limit=3)}方面的短板"
    return [
        f"{f.year + 1}年，{voice.self_name}将紧紧围绕{voice.superior}工作部署，继续深入推进法治政府建设："
        "一是加强组织领导，认真落实党政主要负责人履行推进法治建设第一责任人职责；"
        "二是抓好干部学法用法，健全依法决策机制，提高依法行政能力；"
        f"三是深入开展法治宣传教育，增强宣传的针对性和实效性{focus}；"
        "四是坚持严格规范公正文明执法，加大矛盾纠纷排查化解力度，强化对行政权力的制约和监督，全面推进政务公开。"
        f"努力推动{voice.self_name}法治建设工作再上新台阶，为建设法治{voice.short}创造良好的法治环境。"
    ]


def paragraphs(text: str) -> list[dict[str, object]]:
    """Text as the template's paragraphs: one per non-empty line; a short line starting '（一）' is a heading."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        heading = bool(_SUBHEADING.match(line)) and len(line) <= 40 and "。" not in line.rstrip("。")
        out.append({"text": line, "heading": heading})
    return out
