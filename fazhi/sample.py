"""Deterministic sample data: the 燕山乡 demo (2019 and 2020) and a synthetic generator for the benchmark.

The 2020 demo records are what the reference report (万州区燕山乡《关于2020年法治政府建设情况的报告》)
was written from: every figure it prints follows from them. "N余" figures are stored as realistic
exact numbers that round back to "N余" (2,536 份 → 2500余份; 10,356 人 → 1万余人).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.errors import FazhiError
from fazhi.permissions import system_user
from fazhi.records import insert_many, record_count
from fazhi.units import Unit, all_units, insert_unit
from fazhi.validation import RecordInput, ValidRecord, validate

DEMO_COUNTY = "万州区"
DEMO_TOWNSHIP = "燕山乡"
DEMO_VILLAGES = ("示例一村", "示例二村", "示例三村", "示例社区")
DEMO_USER = "示例数据"

# (unit: "" for the township or a village name, type, title, start, end, place, summary, values)
Row = tuple[str, str, str, str, str | None, str, str, dict[str, Any]]

# fmt: off
DEMO_2020: list[Row] = [
    ("", "annual_checklist", "2020年法治建设重点事项", "2020-01-10", None, "乡党政办", "成立以党委书记为组长的法治政府建设工作领导小组，“法治燕山”建设纳入党政综合考核。",
     {"leading_group": True, "work_plan": True, "duty_report": True, "report_published": True, "in_assessment": True,
      "no_major_accidents": True, "no_enforcement_issues": True, "no_market_cases": True}),
    ("", "funding", "普法依法治理经费列入年度预算", "2020-01-15", None, "乡财政所", "普法教育经费列入年度财政预算并及时划拨，足额到位。", {"amount": 3.5}),
    ("", "leadership_meeting", "党委会专题研究法治建设工作", "2020-02-20", None, "乡政府会议室", "研究部署2020年法治政府建设工作要点。", {"attendees": 11, "is_hearing": False}),
    ("", "leadership_meeting", "听取法治建设工作汇报", "2020-08-18", None, "乡政府会议室", "听取司法所关于上半年法治建设工作情况的汇报。", {"attendees": 12, "is_hearing": True}),
    ("", "rule_making", "拟定“法治燕山”建设工作规划", "2020-03-05", None, "乡党政办", "", {"documents": 1}),
    ("", "rule_making", "出台《关于全面推进依法治乡的实施意见》", "2020-04-10", None, "乡党政办", "从加强组织领导、改进执政方式等九个方面进行总体筹划。", {"documents": 1}),
    ("", "study_group", "党委中心组集体学法（一）", "2020-02-26", None, "乡政府会议室", "学习习近平总书记全面依法治国新理念新思想新战略。", {"participants": 9}),
    ("", "study_group", "党委中心组集体学法（二）", "2020-05-27", None, "乡政府会议室", "学习中央依法治国委员会会议精神。", {"participants": 9}),
    ("", "study_group", "党委中心组集体学法（三）", "2020-08-26", None, "乡政府会议室", "学习贯彻区委全面依法治区委员会会议精神。", {"participants": 9}),
    ("", "study_group", "党委中心组集体学法（四）", "2020-11-25", None, "乡政府会议室", "学习宪法及行政审批、安全稳定、党风廉政、农业等方面的法律法规。", {"participants": 9}),
    ("", "cadre_study", "一季度机关干部集中学法", "2020-03-20", None, "乡政府会议室", "学习《宪法》。", {"participants": 52, "hours": 2}),
    ("", "cadre_study", "二季度机关干部集中学法", "2020-06-18", None, "乡政府会议室", "学习《公务员法》。", {"participants": 51, "hours": 2}),
    ("", "cadre_study", "三季度机关干部集中学法", "2020-09-17", None, "乡政府会议室", "学习《政府信息公开条例》。", {"participants": 53, "hours": 2}),
    ("", "cadre_study", "四季度机关干部集中学法", "2020-12-16", None, "乡政府会议室", "学习《民法典》。", {"participants": 52, "hours": 2}),
    ("", "online_exam", "重庆市干部法治理论知识网上学法考试", "2020-11-20", None, "网上", "机关、事业单位干部在网上参加普法知识学习和考试。", {"expected": 53, "attended": 53, "passed": 53}),
    ("", "market_day", "“三月法治宣传月”赶场日集中宣传", "2020-03-15", None, "燕山农贸市场", "设立法治宣传台、法律咨询台，开展平安建设、反邪、扫黑除恶、安全生产等综合宣传。", {"consultations": 78, "materials": 860, "banners": 8}),
    ("", "market_day", "“6.26”禁毒宣传赶场日集中宣传", "2020-06-28", "2020-06-29", "燕山农贸市场", "连续两天在场镇开展禁毒和综合法治宣传。", {"consultations": 72, "materials": 830, "banners": 9}),
    ("", "market_day", "赶场日综合法治宣传", "2020-09-28", None, "燕山农贸市场", "开展扫黑除恶、安全生产等综合宣传。", {"consultations": 68, "materials": 846, "banners": 8}),
    ("示例一村", "village_publicity", "便民服务中心设台宣传", "2020-04-16", None, "示例一村便民服务中心", "到组到户散发宣传资料。", {"materials": 520, "consultations": 31}),
    ("示例二村", "village_publicity", "便民服务中心设台宣传", "2020-05-14", None, "示例二村便民服务中心", "到组到户散发宣传资料。", {"materials": 498, "consultations": 27}),
    ("示例三村", "village_publicity", "便民服务中心设台宣传", "2020-07-09", None, "示例三村便民服务中心", "到组到户散发宣传资料。", {"materials": 515, "consultations": 30}),
    ("示例社区", "village_publicity", "便民服务中心设台宣传", "2020-10-22", None, "示例社区便民服务中心", "到组到户散发宣传资料。", {"materials": 513, "consultations": 29}),
    ("", "publicity_vehicle", "道路交通安全宣传车巡回宣传", "2020-01-20", None, "全乡", "宣传道路交通安全常识。", {"vehicles": 3}),
    ("", "publicity_vehicle", "森林防火条例宣传车巡回宣传", "2020-03-02", None, "全乡", "宣传《森林防火条例》。", {"vehicles": 3}),
    ("", "publicity_vehicle", "禁毒宣传车巡回宣传", "2020-06-24", None, "全乡", "", {"vehicles": 3}),
    ("", "publicity_vehicle", "安全生产月宣传车巡回宣传", "2020-06-10", None, "全乡", "", {"vehicles": 3}),
    ("", "publicity_vehicle", "宪法宣传周宣传车巡回宣传", "2020-12-04", None, "全乡", "", {"vehicles": 3}),
    ("示例一村", "door_to_door", "结合脱贫攻坚走村入户宣传", "2020-05-06", "2020-05-29", "示例一村", "结合脱贫攻坚、人居环境提升、扫黑除恶、人口普查等中心工作入户宣传法律知识。", {"households": 1160, "residents": 2590}),
    ("示例二村", "door_to_door", "结合脱贫攻坚走村入户宣传", "2020-06-02", "2020-06-26", "示例二村", "结合中心工作入户宣传法律知识。", {"households": 1152, "residents": 2581}),
    ("示例三村", "door_to_door", "结合人口普查走村入户宣传", "2020-11-02", "2020-11-20", "示例三村", "结合中心工作入户宣传法律知识。", {"households": 1170, "residents": 2600}),
    ("示例社区", "door_to_door", "结合人口普查走村入户宣传", "2020-11-03", "2020-11-24", "示例社区", "结合中心工作入户宣传法律知识。", {"households": 1156, "residents": 2585}),
    ("", "school_lesson", "燕山学校法治安全教育课", "2020-05-12", None, "燕山学校", "集中授法治、平安建设、安全、防邪知识课。", {"lessons": 2, "students": 320}),
    ("", "school_lesson", "燕山学校宪法宣传课", "2020-12-03", None, "燕山学校", "集中授法治、平安建设、安全、防邪知识课。", {"lessons": 2, "students": 310}),
    ("", "case_explain", "执法过程中以案释法（一季度）", "2020-03-31", None, "燕山乡", "在执法过程中向当事人及邻居朋友普法。", {"audience": 38}),
    ("", "case_explain", "执法过程中以案释法（二季度）", "2020-06-30", None, "燕山乡", "", {"audience": 42}),
    ("", "case_explain", "执法过程中以案释法（三季度）", "2020-09-30", None, "燕山乡", "", {"audience": 35}),
    ("", "case_explain", "执法过程中以案释法（四季度）", "2020-12-28", None, "燕山乡", "", {"audience": 41}),
    ("", "civil_code", "《民法典》颁布集中宣传", "2020-06-05", None, "燕山农贸市场", "", {"village_sessions": 2, "audience": 300}),
    ("", "civil_code", "“美好生活·民法典相伴”集中宣传", "2020-07-22", None, "燕山乡", "", {"village_sessions": 2, "audience": 260}),
    ("", "civil_code", "《民法典》进村宣讲", "2020-10-15", None, "燕山乡", "", {"village_sessions": 1, "audience": 150}),
    ("", "legal_aid", "农民工讨薪法律援助", "2020-04-23", None, "乡司法所", "为农民工申请法律援助。", {"aid_cases": 1}),
    ("", "legal_aid", "残疾人赡养纠纷法律援助", "2020-09-09", None, "乡司法所", "为残疾人申请法律援助。", {"aid_cases": 1}),
    ("", "dispute_screening", "一季度矛盾纠纷排查化解", "2020-03-30", None, "燕山乡", "按照日常排查、每月排查、重点时段日排查的机制自排化解较大矛盾纠纷。", {"screened": 2, "resolved": 2, "major": True}),
    ("", "dispute_screening", "二三季度矛盾纠纷排查化解", "2020-09-29", None, "燕山乡", "", {"screened": 2, "resolved": 2, "major": True}),
    ("", "dispute_screening", "四季度矛盾纠纷排查化解", "2020-12-29", None, "燕山乡", "", {"screened": 1, "resolved": 1, "major": True}),
    ("", "mediation", "上半年人民调解较大案件", "2020-06-30", None, "乡人民调解委员会", "", {"accepted": 3, "major": True}),
    ("", "mediation", "三季度人民调解较大案件", "2020-09-30", None, "乡人民调解委员会", "", {"accepted": 4, "major": True}),
    ("", "mediation", "四季度人民调解较大案件", "2020-12-30", None, "乡人民调解委员会", "", {"accepted": 2, "major": True}),
    ("", "satisfaction", "群众对政法队伍执法工作满意度测评", "2020-12-10", None, "燕山乡", "", {"rate": 95, "sample": 200}),
    ("", "safety_inspection", "一季度安全生产大检查", "2020-03-25", None, "全乡", "调整乡安委会成员，定期开展安全生产大检查。", {"safety_checks": 1, "hazards": 4, "hazards_fixed": 4}),
    ("", "safety_inspection", "二季度安全生产大检查", "2020-06-22", None, "全乡", "", {"safety_checks": 1, "hazards": 3, "hazards_fixed": 3}),
    ("", "safety_inspection", "三季度安全生产大检查", "2020-09-21", None, "全乡", "", {"safety_checks": 1, "hazards": 3, "hazards_fixed": 3}),
    ("", "safety_inspection", "四季度安全生产大检查", "2020-12-14", None, "全乡", "", {"safety_checks": 1, "hazards": 2, "hazards_fixed": 2}),
    ("", "major_decision", "场镇人居环境整治方案", "2020-07-15", None, "乡政府", "经合法性审查、风险评估后集体讨论决定。", {"legality_reviewed": True, "risk_assessed": True, "public_consulted": True}),
    ("", "demo_creation", "民主法治示范村创建", "2020-10-30", None, "示例一村", "深入开展“民主法治示范乡（村）”创建活动。", {"villages": 1, "level": "区级"}),
]

DEMO_2019: list[Row] = [
    ("", "annual_checklist", "2019年法治建设重点事项", "2019-01-11", None, "乡党政办", "", {"leading_group": True, "work_plan": True, "duty_report": True, "report_published": True, "in_assessment": False}),
    ("", "funding", "普法依法治理经费", "2019-01-16", None, "乡财政所", "", {"amount": 3.0}),
    ("", "study_group", "党委中心组集体学法（一）", "2019-03-27", None, "乡政府会议室", "", {"participants": 9}),
    ("", "study_group", "党委中心组集体学法（二）", "2019-07-24", None, "乡政府会议室", "", {"participants": 9}),
    ("", "study_group", "党委中心组集体学法（三）", "2019-11-27", None, "乡政府会议室", "", {"participants": 8}),
    ("", "cadre_study", "一季度机关干部集中学法", "2019-03-21", None, "乡政府会议室", "", {"participants": 50, "hours": 2}),
    ("", "cadre_study", "二季度机关干部集中学法", "2019-06-20", None, "乡政府会议室", "", {"participants": 49, "hours": 2}),
    ("", "cadre_study", "三季度机关干部集中学法", "2019-09-19", None, "乡政府会议室", "", {"participants": 50, "hours": 2}),
    ("", "cadre_study", "四季度机关干部集中学法", "2019-12-19", None, "乡政府会议室", "", {"participants": 48, "hours": 2}),
    ("", "online_exam", "重庆市干部法治理论知识网上学法考试", "2019-11-22", None, "网上", "", {"expected": 50, "attended": 49, "passed": 48}),
    ("", "market_day", "“三月法治宣传月”赶场日集中宣传", "2019-03-16", None, "燕山农贸市场", "", {"consultations": 80, "materials": 920, "banners": 9}),
    ("", "market_day", "赶场日综合法治宣传", "2019-09-26", None, "燕山农贸市场", "", {"consultations": 70, "materials": 880, "banners": 9}),
    ("示例一村", "village_publicity", "便民服务中心设台宣传", "2019-05-15", None, "示例一村便民服务中心", "", {"materials": 410, "consultations": 21}),
    ("示例二村", "village_publicity", "便民服务中心设台宣传", "2019-06-12", None, "示例二村便民服务中心", "", {"materials": 395, "consultations": 19}),
    ("示例三村", "village_publicity", "便民服务中心设台宣传", "2019-08-14", None, "示例三村便民服务中心", "", {"materials": 402, "consultations": 20}),
    ("示例社区", "village_publicity", "便民服务中心设台宣传", "2019-10-16", None, "示例社区便民服务中心", "", {"materials": 398, "consultations": 20}),
    ("", "publicity_vehicle", "道路交通安全宣传车巡回宣传", "2019-02-18", None, "全乡", "", {"vehicles": 4}),
    ("", "publicity_vehicle", "森林防火宣传车巡回宣传", "2019-03-04", None, "全乡", "", {"vehicles": 4}),
    ("", "publicity_vehicle", "宪法宣传周宣传车巡回宣传", "2019-12-04", None, "全乡", "", {"vehicles": 4}),
    ("示例一村", "door_to_door", "结合脱贫攻坚走村入户宣传", "2019-05-06", "2019-05-24", "示例一村", "", {"households": 1010, "residents": 2260}),
    ("示例二村", "door_to_door", "结合脱贫攻坚走村入户宣传", "2019-06-03", "2019-06-21", "示例二村", "", {"households": 995, "residents": 2240}),
    ("示例三村", "door_to_door", "结合脱贫攻坚走村入户宣传", "2019-09-02", "2019-09-20", "示例三村", "", {"households": 1002, "residents": 2255}),
    ("示例社区", "door_to_door", "结合脱贫攻坚走村入户宣传", "2019-10-08", "2019-10-25", "示例社区", "", {"households": 1000, "residents": 2250}),
    ("", "school_lesson", "燕山学校法治安全教育课", "2019-05-14", None, "燕山学校", "", {"lessons": 2, "students": 300}),
    ("", "case_explain", "执法过程中以案释法（上半年）", "2019-06-28", None, "燕山乡", "", {"audience": 58}),
    ("", "case_explain", "执法过程中以案释法（下半年）", "2019-12-27", None, "燕山乡", "", {"audience": 64}),
    ("", "legal_aid", "农民工讨薪法律援助", "2019-08-20", None, "乡司法所", "", {"aid_cases": 1}),
    ("", "dispute_screening", "上半年矛盾纠纷排查化解", "2019-06-27", None, "燕山乡", "", {"screened": 2, "resolved": 2}),
    ("", "dispute_screening", "下半年矛盾纠纷排查化解", "2019-12-26", None, "燕山乡", "", {"screened": 3, "resolved": 2}),
    ("", "mediation", "上半年人民调解较大案件", "2019-06-28", None, "乡人民调解委员会", "", {"accepted": 4, "succeeded": 3}),
    ("", "mediation", "下半年人民调解较大案件", "2019-12-27", None, "乡人民调解委员会", "", {"accepted": 3, "succeeded": 3}),
    ("", "satisfaction", "群众对政法队伍执法工作满意度测评", "2019-12-12", None, "燕山乡", "", {"rate": 92, "sample": 180}),
    ("", "safety_inspection", "上半年安全生产大检查", "2019-06-24", None, "全乡", "", {"safety_checks": 2, "hazards": 7, "hazards_fixed": 6}),
    ("", "safety_inspection", "下半年安全生产大检查", "2019-12-16", None, "全乡", "", {"safety_checks": 2, "hazards": 5, "hazards_fixed": 5}),
]


# fmt: on


@dataclass(frozen=True)
class DemoResult:
    """What the demo loader created."""

    township: Unit
    records: int


def _inputs(rows: list[Row], township: Unit, villages: dict[str, Unit]) -> list[RecordInput]:
    return [
        RecordInput(
            type_code=type_code,
            unit_id=(villages[unit] if unit else township).id,
            title=title,
            start_on=date.fromisoformat(start),
            end_on=date.fromisoformat(end) if end else None,
            place=place,
            summary=summary,
            values=dict(values),
        )
        for unit, type_code, title, start, end, place, summary, values in rows
    ]


def load_demo(db: Database, catalog: Catalog) -> DemoResult:
    """Load the 燕山乡 demo (2019 and 2020) into an empty database.

    Placed under the existing top unit when there is one (a 区县 gets 燕山乡 as a new 乡镇; a 乡镇 is used as
    燕山乡's stand-in), else under a new 万州区. Refused when the database already holds records.
    """
    if record_count(db):
        raise FazhiError("数据库中已有记录，为避免与真实数据混在一起，只能在空数据库中加载示例数据。")
    tops = [u for u in all_units(db) if u.parent_id is None]
    with db.transaction() as cur:
        top = tops[0] if tops else insert_unit(cur, DEMO_COUNTY, "county", None, is_demo=True)
        if top.level == "county":
            existing = [u for u in all_units(db) if u.parent_id == top.id and u.name == DEMO_TOWNSHIP]
            township = (
                existing[0] if existing else insert_unit(cur, DEMO_TOWNSHIP, "township", top, is_demo=True)
            )
        elif top.level == "township":
            township = top
        else:
            raise FazhiError("最上级单位是村/社区，无法放入乡镇示例数据。")
        present = {u.name: u for u in all_units(db) if u.parent_id == township.id}
        villages = {
            name: present.get(name)
            or insert_unit(cur, name, "village", township, sort_order=order, is_demo=True)
            for order, name in enumerate(DEMO_VILLAGES, 1)
        }
        items = [validate(catalog, item)[0] for item in _inputs(DEMO_2019 + DEMO_2020, township, villages)]
        ids = insert_many(cur, system_user(DEMO_USER), items, action="create")
    return DemoResult(township=township, records=len(ids))


# ───────────── synthetic data for the benchmark and load tests ─────────────


def synthetic_units(db: Database, townships: int, villages_per_township: int = 4) -> list[Unit]:
    """A 区县 with `townships` 乡镇, each with villages; returns every unit created (county first)."""
    with db.transaction() as cur:
        county = insert_unit(cur, "测试区", "county", None)
        created = [county]
        for t in range(1, townships + 1):
            township = insert_unit(cur, f"测试{t:02d}乡", "township", county, sort_order=t)
            created.append(township)
            for v in range(1, villages_per_township + 1):
                created.append(insert_unit(cur, f"测试{t:02d}乡{v}村", "village", township, sort_order=v))
    return created


def synthetic_records(
    catalog: Catalog, units: list[Unit], years: list[int], count: int, seed: int = 20201231
) -> list[ValidRecord]:
    """`count` valid records spread over the units and years, the same every time for the same seed."""
    rng = random.Random(seed)
    types = list(catalog.record_types.values())
    weights = [8 if t.group == "普法宣传" else 3 for t in types]
    units = [u for u in units if u.level != "county"]
    items = []
    for n in range(count):
        record_type = rng.choices(types, weights)[0]
        year = years[n % len(years)]
        start = date(year, 1, 1) + timedelta(days=rng.randrange(0, 360))
        end = start + timedelta(days=rng.choice((0, 0, 0, 1, 2)))
        values: dict[str, Any] = {}
        for item in record_type.fields:
            values[item.code] = item.spec.sample(item, rng)
        for check in record_type.checks:
            if values[check.field] > values[check.at_most]:
                values[check.field] = values[check.at_most]
        items.append(
            ValidRecord(
                type_code=record_type.code,
                unit_id=rng.choice(units).id,
                title=f"{record_type.name}（第{n + 1}条）",
                start_on=start,
                end_on=end,
                place="测试地点",
                summary="自动生成的测试数据",
                values=values,
            )
        )
    return items
