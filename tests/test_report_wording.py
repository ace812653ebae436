"""The report engine (issue 11): wording as data, number styles, 同比 in the body, only what records show,
thin years, the county's own voice, typical cases, saved text that never contradicts the records."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from fazhi import auth, cases, db, narratives, records, sample, targets
from fazhi.catalog import Catalog, load_catalog
from fazhi.errors import CatalogError, StaleFigures
from fazhi.records import RecordInput
from fazhi.report import context as ctx
from fazhi.report import numbers, wording
from fazhi.report.generate import generate
from fazhi.settings import DATA_DIR
from fazhi.units import find_unit

SYSTEM = auth.system_user("测试")
TODAY = date(2021, 1, 15)


def report(database: db.Database, catalog: Catalog, name: str = "燕山乡", year: int = 2020) -> dict:
    return ctx.build_context(database, SYSTEM, catalog, find_unit(database, name), year, today=TODAY)


def body(context: dict) -> list[str]:
    """Every paragraph of the report body, in order."""
    found = [p["text"] for p in context["opening"]]
    for part in context["measures"]:
        found += [part["heading"], *(p["text"] for p in part["paragraphs"])]
    for key in ("duty", "shortcomings", "plan", "other"):
        found += [p["text"] for p in context[key]]
    return found


# ───────────── wording as data ─────────────


def test_every_indicator_is_told_or_says_why_not(catalog: Catalog) -> None:
    found = wording.load_wording(catalog)
    told = {code for topic in found.topics for code in topic.indicators}
    for indicator in catalog.indicators:
        assert indicator.code in told or found.untold.get(indicator.code, "").strip(), indicator.code
    assert set(found.untold) <= {i.code for i in catalog.indicators}


def test_an_indicator_nobody_tells_is_refused(catalog: Catalog, tmp_path: Path) -> None:
    text = (DATA_DIR / "wording.toml").read_text(encoding="utf-8")
    broken = tmp_path / "wording.toml"
    broken.write_text(re.sub(r"(?m)^publicity_days = .*$", "", text), encoding="utf-8")
    with pytest.raises(CatalogError, match="publicity_days"):
        wording.load_wording(catalog, broken)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (('"{dates?}利用赶场日', '"{nonsense_code}利用赶场日'), "nonsense_code"),
        (('when = ["market_day_campaigns"]', 'when = ["market_day_campaigns>>3"]'), "写法不对"),
        (("summaries = 1\n", "summaries = 1\nmystery = 2\n"), "mystery"),
        (('heading = "带头依法决策', 'heading = "（三）带头依法决策'), "不要写序号"),
    ],
)
def test_mistakes_in_the_wording_file_are_named(catalog: Catalog, tmp_path: Path, change, said: str) -> None:
    text = (DATA_DIR / "wording.toml").read_text(encoding="utf-8")
    assert change[0] in text
    broken = tmp_path / "wording.toml"
    broken.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(CatalogError, match=said):
        wording.load_wording(catalog, broken)


def _readme_example() -> dict[str, str]:
    """The TOML of README's "如何新增一种记录类型" example, by the data file each part goes into."""
    readme = (DATA_DIR.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## 如何新增一种记录类型") :]
    block = section[
        section.index("```toml") + len("```toml") : section.index("```", section.index("```toml") + 7)
    ]
    parts: dict[str, str] = {}
    name = ""
    for line in block.splitlines():
        line = line.strip()
        if line.startswith("# data/"):
            name = line.removeprefix("# data/")
            parts[name] = ""
        elif name:
            parts[name] += line + "\n"
    return parts


def test_a_new_type_indicator_and_wording_entry_reach_the_report_without_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole path of README's "how to add a record type", taken from the README itself: data only."""
    import io

    import openpyxl

    from fazhi import transfer
    from fazhi.type_search import search_types

    folder = tmp_path / "data"
    shutil.copytree(
        DATA_DIR, folder, ignore=shutil.ignore_patterns("*.duckdb*", "templates", "backups", "attachments")
    )
    example = _readme_example()
    assert set(example) == {"record_types.toml", "indicators.toml", "wording.toml"}
    for name, text in example.items():
        with (folder / name).open("a", encoding="utf-8") as out:
            out.write("\n" + text)
    catalog = load_catalog(folder)
    monkeypatch.setattr(wording, "WORDING_FILE", folder / "wording.toml")
    database = db.connect(tmp_path / "new.duckdb")
    sample.load_demo(database, catalog)
    township = find_unit(database, "燕山乡")
    for kind in ("法治公园", "法治长廊"):
        item = RecordInput(
            "law_venue",
            township.id,
            f"建成{kind}",
            date(2020, 12, 4),
            values={"venues": 1, "venue_kind": kind},
        )
        records.add_record(database, SYSTEM, catalog, item)
    context = ctx.build_context(database, SYSTEM, catalog, township, 2020, today=TODAY)
    assert "新建法治公园、法治长廊等法治文化阵地2个" in "\n".join(body(context))
    assert search_types(catalog, "法治公园")[0] == "law_venue"
    book = openpyxl.load_workbook(io.BytesIO(transfer.template(catalog, ["law_venue"])))
    assert book.sheetnames == ["法治文化阵地建设"]
    database.close()


# ───────────── numbers ─────────────


@pytest.mark.parametrize(
    ("value", "unit", "style", "previous", "expected"),
    [
        (128, "件次", "exact", None, "128件次"),
        (108, "人", "exact", None, "108人"),
        (3812, "份", "approx", None, "3800余份"),
        (625, "人次", "approx", None, "600余人次"),
        (4638, "户", "approx", None, "4600余户"),
        (10356, "人", "approx", None, "1万余人"),
        (156, "人次", "at_least", None, "150人次以上"),
        (25, "幅", "approx", None, "25幅"),  # small numbers stay exact
        (98.64, "%", "exact", None, "98.6%"),
        # two different years never read the same
        (128, "人次", "approx", 104, "120余人次"),
        (2536, "份", "approx", 2510, "2530余份"),
        (2536, "份", "approx", 1800, "2500余份"),
    ],
)
def test_each_figure_is_written_in_its_style(value, unit, style, previous, expected) -> None:
    assert numbers.figure(value, unit, style, previous=previous) == expected


@pytest.mark.parametrize(
    ("value", "previous", "unit", "style", "expected"),
    [
        (118, 100, "件", "exact", "同比增长18%"),
        (85, 100, "份", "approx", "同比下降15%"),
        (4, 2, "件", "exact", "较上年增加2件"),
        (3, 5, "次", "exact", "较上年减少2次"),
        (95, 92, "%", "exact", "提高3个百分点"),
        (7, 7, "次", "exact", "与上年持平"),
    ],
)
def test_year_on_year_in_official_words(value, previous, unit, style, expected) -> None:
    assert numbers.year_on_year(value, previous, unit, style=style) == expected


def test_rates_have_one_precision_in_body_and_appendix(demo: db.Database, catalog: Catalog) -> None:
    township = find_unit(demo, "燕山乡")
    item = RecordInput(
        "online_exam",
        township.id,
        "补考",
        date(2020, 12, 1),
        values={"expected": 20, "attended": 19, "passed": 18},
    )
    records.add_record(demo, SYSTEM, catalog, item)
    context = report(demo, catalog)
    text = "\n".join(body(context))
    row = next(r for r in context["indicator_rows"] if r["name"] == "网上学法参学率")
    assert row["value"] == "98.6%" and "参学率98.6%" in text  # 72 of 73


def test_a_unit_can_switch_one_indicator_to_exact(demo: db.Database, catalog: Catalog, users) -> None:
    from fazhi.report import options

    options.save_style(demo, users["admin"], find_unit(demo, "燕山乡"), "market_day_materials", "exact")
    text = "\n".join(body(report(demo, catalog)))
    assert "发放宣传资料2536份" in text and "进村入户4600余户" in text  # only that one changed


# ───────────── only what the records show ─────────────


def test_no_claim_without_a_record_and_no_software_words(demo: db.Database, catalog: Catalog) -> None:
    for year in (2019, 2020, 2023):
        text = "\n".join(body(report(demo, catalog, year=year)))
        for words in ("全面系统地开展了", "同部署、同推进", "取得了一定成效", "没有记录", "系统", "数据"):
            assert words not in text, (year, words)


def test_never_happened_is_said_only_from_an_explicit_record(demo: db.Database, catalog: Catalog) -> None:
    text = "\n".join(body(report(demo, catalog, year=2019)))  # 2019 declares nothing
    assert "未发生" not in text
    text = "\n".join(body(report(demo, catalog, year=2020)))  # 2020 declares all three
    assert "全年未发生重大安全事故" in text and "未发生侵犯知识产权和销售伪劣商品案件" in text


def test_shortcomings_name_only_targets_the_unit_set(demo: db.Database, catalog: Catalog, users) -> None:
    township = find_unit(demo, "燕山乡")
    first = report(demo, catalog)
    assert [p["text"] for p in first["shortcomings"]][0].startswith(
        "【请填写："
    )  # default targets count for nothing
    targets.set_targets(
        demo, users["admin"], catalog, township, 2020, {"market_day_campaigns": 5, "legal_aid_cases": 3}
    )
    again = report(demo, catalog)
    lines = [p["text"] for p in again["shortcomings"]]
    assert lines[0] == "对照年初确定的目标，我乡法治政府建设还存在以下不足："
    assert lines[1:] == [
        "一是法治宣传的覆盖面还不够，赶场日集中宣传3次，未达到年初确定的5次的目标。主要原因是：【请填写：未完成的原因】。",
        "二是矛盾纠纷化解还有差距，法律援助案件2件，未达到年初确定的3件的目标。主要原因是：【请填写：未完成的原因】。",
    ]
    plan = again["plan"][0]["text"]
    assert "针对赶场日集中宣传、法律援助案件未达到目标的问题" in plan


# ───────────── prose rules over every wording entry ─────────────


@pytest.fixture(scope="module")
def rich() -> tuple[db.Database, Catalog]:
    """A county of three townships with every record type, two years: every topic has something to say."""
    import tempfile

    catalog = load_catalog()
    folder = tempfile.mkdtemp()
    database = db.connect(Path(folder) / "rich.duckdb")
    units = sample.synthetic_units(database, 3, 2)
    items = sample.synthetic_records(catalog, units, [2022, 2023], 1400, seed=7)
    rng = __import__("random").Random(7)
    for item in items:  # titles as varied as real ones (the generator numbers one pattern)
        object.__setattr__(item, "title", "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(6)))
    with database.transaction() as cur:
        records.insert_many(cur, SYSTEM, [records.validate(catalog, i)[0] for i in items], action="create")
    return database, catalog


def _prose_problems(paragraphs: list[str]) -> list[str]:
    found = []
    for text in paragraphs:
        for size in (8,):
            seen = set()
            for start in range(len(text) - size):
                piece = text[start : start + size]
                if re.fullmatch(r"[\d.%，、。；余次件人份户场]+", piece):
                    continue
                if piece in seen:
                    found.append(f"repeated “{piece}” in: {text}")
                    break
                seen.add(piece)
        if re.search(r"在[^，。；]{1,15}在[^，。；]{1,15}(设|开展|举办)", text):
            found.append(f"stutter in: {text}")
        if "，，" in text or "。。" in text or "，。" in text:
            found.append(f"punctuation in: {text}")
        if re.search(r"(?<![\d.])0(次|件|份|人次|户|人|车次|幅|场次)", text):
            found.append(f"a zero figure in: {text}")
    return found


@pytest.mark.parametrize("name", ["测试区", "测试01乡"])
def test_every_wording_entry_reads_well_with_sample_data(rich, name: str) -> None:
    database, catalog = rich
    context = ctx.build_context(
        database, SYSTEM, catalog, find_unit(database, name), 2023, today=date(2024, 1, 10)
    )
    paragraphs = body(context)
    assert _prose_problems(paragraphs) == []
    for part in context["measures"]:
        whole = sum(p["text"].count("全年") for p in part["paragraphs"])
        assert whole <= 1, part["heading"]
    told = "\n".join(paragraphs)
    assert "【请填写" not in "".join(p["text"] for m in context["measures"] for p in m["paragraphs"])
    assert len(context["measures"]) >= 7 and told.count("是") > 20


def test_every_topic_is_told_somewhere_in_the_sample_reports(rich) -> None:
    from fazhi.report import writer
    from fazhi.report.options import load_options

    database, catalog = rich
    found = wording.load_wording(catalog)
    told: set[str] = set()
    for name in ("测试区", "测试01乡", "测试02乡"):
        unit = find_unit(database, name)
        facts = ctx.report_facts(
            database, SYSTEM, catalog, unit, 2023, options=load_options(database, SYSTEM, unit)
        )
        told |= {t.code for t in found.topics if writer.topic_body(t, facts)}
    assert [t.code for t in found.topics if t.code not in told] == []


# ───────────── the county's own voice ─────────────


def test_a_county_adds_up_its_townships_and_speaks_for_itself(rich) -> None:
    database, catalog = rich
    county = find_unit(database, "测试区")
    context = ctx.build_context(database, SYSTEM, catalog, county, 2023, today=date(2024, 1, 10))
    text = "\n".join(body(context))
    assert "全区3个乡镇（街道）共" in text and "其中测试0" in text  # aggregates with attribution
    assert "党委理论学习中心组集体学法" not in text.replace("党（工）委理论学习中心组集体学法", "")
    # a stock (持证执法人员: each unit's latest) is added up over the townships
    from fazhi.indicators import indicator_table

    table = indicator_table(database, SYSTEM, catalog, county, 2023).set_index("code")
    per = [
        indicator_table(database, SYSTEM, catalog, find_unit(database, f"测试0{n}乡"), 2023).set_index("code")
        for n in (1, 2, 3)
    ]
    assert table.at["certificate_holders", "value"] == sum(
        t.at["certificate_holders", "value"] or 0 for t in per
    )
    # a county's table of its townships, one row each
    assert [r["name"] for r in context["unit_rows"]] == ["测试01乡", "测试02乡", "测试03乡"]


# ───────────── thin years, typical cases ─────────────


def test_a_thin_year_says_what_is_missing(demo: db.Database, catalog: Catalog) -> None:
    township = find_unit(demo, "燕山乡")
    item = RecordInput("legal_aid", township.id, "法律援助", date(2022, 5, 6), values={"aid_cases": 1})
    records.add_record(demo, SYSTEM, catalog, item)
    context = ctx.build_context(demo, SYSTEM, catalog, township, 2022, today=date(2023, 1, 10))
    assert context["warnings"][0].startswith("本年度只有1条记录；以下")
    assert "开头段" not in context["warnings"][0]  # the opening names the one kind of work there is
    assert "申请法律援助案件1件" in "\n".join(body(context))


def test_a_typical_case_is_told_in_its_subsection(demo: db.Database, catalog: Catalog, users) -> None:
    township = find_unit(demo, "燕山乡")
    item = RecordInput(
        "dispute_screening",
        township.id,
        "调解一起土地承包纠纷",
        date(2020, 7, 8),
        summary="两户村民因承包地边界起纠纷，司法所会同村调委会现场勘界，当场达成协议。",
        values={"screened": 1, "resolved": 1},
    )
    saved = records.add_record(demo, users["editor"], catalog, item)
    assert cases.mark(demo, users["editor"], catalog, saved.id, True)
    context = report(demo, catalog)
    part = next(m for m in context["measures"] if "矛盾纠纷" in m["heading"])
    assert part["paragraphs"][-1]["text"] == (
        "典型事例：调解一起土地承包纠纷。两户村民因承包地边界起纠纷，司法所会同村调委会现场勘界，当场达成协议。"
    )
    with pytest.raises(Exception, match="查看者"):
        cases.mark(demo, users["viewer"], catalog, saved.id, False)


# ───────────── saved text never contradicts the records ─────────────


def test_a_saved_figure_that_changed_stops_the_report_until_taken(
    demo: db.Database, catalog: Catalog, users
) -> None:
    township = find_unit(demo, "燕山乡")
    editor = users["editor"]
    key = "measures.publicity"
    first = report(demo, catalog)
    section = next(s for s in first["sections"] if s["key"] == key)
    edited = section["draft"] + "\n各村还组织了普法文艺演出。"
    ctx.save_section(
        demo, editor, catalog, township, 2020, key, edited, expected=None, figures=section["figures"]
    )
    assert report(demo, catalog)["stale"] == []
    item = RecordInput(
        "market_day", township.id, "年末赶场宣传", date(2020, 12, 20), values={"materials": 1008}
    )
    records.add_record(demo, editor, catalog, item)
    stale = report(demo, catalog)["stale"]
    assert [(s["old"], s["new"]) for s in stale] == [
        ("利用赶场日开展集中宣传3次", "利用赶场日开展集中宣传4次"),
        ("发放宣传资料2500余份", "发放宣传资料3500余份"),
    ]
    with pytest.raises(StaleFigures, match="发放宣传资料2500余份”现在是“发放宣传资料3500余份"):
        generate(demo, editor, catalog, township, 2020, charts=False)
    ctx.take_new_figures(demo, editor, catalog, township, 2020, key)
    after = report(demo, catalog)
    assert after["stale"] == []
    saved = narratives.saved_texts(demo, editor, township, 2020)[key].body
    assert "发放宣传资料3500余份" in saved and "各村还组织了普法文艺演出。" in saved  # staff's words kept
    full = generate(demo, editor, catalog, township, 2020, charts=False)
    assert full.docx.startswith(b"PK")


# ───────────── the work issue 12 found missing ─────────────


def test_the_work_the_corpus_found_missing_has_its_own_words(database: db.Database, catalog: Catalog) -> None:
    """专题研讨, 法治理论考试 (参考率), 执法资格考试, 主题宣传活动, 合同审查 with 重大合同 and 通过率, 联合执法,
    依法治乡委员会 by name, 在编干部 as a population, 件次, and 学法 participants added up."""
    from fazhi.units import insert_unit

    with database.transaction() as cur:
        township = insert_unit(cur, "新安乡", "township", insert_unit(cur, "新安区", "county", None))

    def add(type_code: str, title: str, day: date, **values) -> None:
        item = RecordInput(type_code, township.id, title, day, values=values)
        records.add_record(database, SYSTEM, catalog, item)

    add("leadership_meeting", "依法治乡委员会第一次会议", date(2023, 3, 2), is_committee=True)
    add("seminar", "中心组专题研讨", date(2023, 3, 3), participants=9)
    for n in range(5):
        add(
            "cadre_study",
            f"{n + 1}月在编干部学法",
            date(2023, n + 1, 20),
            participants=100,
            population="在编干部",
        )
    add(
        "law_exam",
        "年度法治理论考试",
        date(2023, 11, 3),
        expected=108,
        attended=106,
        passed=106,
        population="在编干部",
    )
    add(
        "certificate",
        "执法证件",
        date(2023, 12, 20),
        holders=12,
        enforcement_staff=12,
        exam_takers=12,
        newly_certified=12,
    )
    add("publicity_event", "12·4宪法宣传周集中宣传", date(2023, 12, 4), audience=600, materials=800)
    for n in range(3):
        add(
            "contract_review",
            f"重大合同审查{n + 1}",
            date(2023, 5, n + 1),
            contracts=1,
            major=True,
            approved=1,
            legality_reviewed=True,
        )
    add(
        "enforcement",
        "联合执法检查",
        date(2023, 6, 1),
        joint_operations=5,
        handled_violations=128,
        domain="道路交通",
    )
    context = ctx.build_context(database, SYSTEM, catalog, township, 2023, today=date(2024, 1, 10))
    text = "\n".join(body(context))
    for words in (
        "召开依法治乡委员会会议1次",
        "开展中心组专题研讨1场次",
        "组织在编干部开展集中学法5次，参学500人次",
        "组织年度法治理论考试1次，108名在编干部参加，参考率达98.1%，合格率100%",
        "配备执法人员12名，持证执法人员12名，执法人员持证率100%，组织12名干部参加行政执法资格考试，12名新取得行政执法证",
        "开展主题宣传活动1场次（12·4宪法宣传周集中宣传），发放宣传资料800份，覆盖群众600人次",
        "审查合同3份，其中重大合同3件，审查通过率100%，合同合法性审查覆盖率100%",
        "查处道路交通违法行为100余件次，联合执法5次",
    ):
        assert words in text, words
    assert "执法检查" not in text  # 联合执法 is told as itself, not folded into 执法检查
    # the appendix lists no 0 for fields nobody filled (研究解决问题, 发放读本 …)
    assert [r["name"] for r in context["indicator_rows"] if r["value"].startswith("0")] == []


# ───────────── titles and quoted figures ─────────────


def test_the_groups_of_section_two_are_numbered_as_said(database: db.Database, catalog: Catalog) -> None:
    """A 乡镇 whose records support only the third group of “二” gets it as （一）, not （三）."""
    from fazhi.units import insert_unit

    with database.transaction() as cur:
        township = insert_unit(cur, "新安乡", "township", insert_unit(cur, "新安区", "county", None))
    for n in range(2):
        item = RecordInput(
            "major_decision",
            township.id,
            f"第{n + 1}项重大决策",
            date(2023, 4, n + 1),
            values={"legality_reviewed": True},
        )
        records.add_record(database, SYSTEM, catalog, item)
    duty = [
        p["text"] for p in ctx.build_context(database, SYSTEM, catalog, township, 2023, today=TODAY)["duty"]
    ]
    assert duty == ["（一）带头依法决策、依法行政", "作出的2件重大行政决策均经合法性审查。"]


def test_a_title_names_the_work_without_its_month_or_note() -> None:
    from fazhi.report.facts import title_text

    assert title_text("3月镇村干部法治培训（第2期）") == "镇村干部法治培训"
    assert title_text("一季度机关干部集中学法") == "机关干部集中学法"
    assert title_text("12·4宪法宣传周集中宣传") == "12·4宪法宣传周集中宣传"
    assert title_text("2022年度宪法法律知识考试") == "2022年度宪法法律知识考试"
    assert title_text("（年末）") == "（年末）"  # nothing left: kept as it was


def test_every_number_the_draft_prints_is_quoted_with_its_slot(demo: db.Database, catalog: Catalog) -> None:
    """同比, a ratio's parts and attributions are quoted too (under codes the stale check skips)."""
    context = report(demo, catalog)
    quoted = {code: value for s in context["sections"] for code, _, value in s["figures"]}
    assert quoted["market_day_materials"] == "2500余份"
    assert quoted["market_day_materials.change"] == "同比增长40.9%"
    assert quoted["hazard_fix_rate.den"] == "12处"
    assert report(demo, catalog)["stale"] == []
