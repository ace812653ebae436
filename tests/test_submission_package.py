"""fazhi.submission_package: a township's 报送包 from one installation received by a county's other one."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from fazhi import (
    attachments,
    auth,
    cases,
    db,
    ledger,
    locks,
    narratives,
    publication,
    records,
    sample,
    submissions,
    targets,
    units,
)
from fazhi import submission_package as package
from fazhi.catalog import Catalog
from fazhi.errors import InvalidPackage, SubmissionError, UnitsToCreate, YearLocked
from fazhi.units import find_unit
from fazhi.validation import RecordInput
from fazhi.year_content import canonical, sha256
from fazhi.year_content import narratives as year_narratives
from fazhi.year_content import records as year_records
from fazhi.year_content import targets as year_targets
from tests import evidence_files
from tests.conftest import PASSWORD

SYSTEM = auth.system_user("测试")


def _township_year(database: db.Database, catalog: Catalog, *, county: str = "万州区") -> None:
    """The demo as a township would have it before submitting 2020: evidence, a typical case, report text,
    a target and the publication."""
    if county != "万州区":
        units.create_unit(database, SYSTEM, county, "county", None)
    sample.load_demo(database, catalog)
    township = find_unit(database, "燕山乡")
    frame = ledger.list_records(
        database, SYSTEM, catalog, ledger.RecordFilter(year=2020, unit_id=township.id)
    )
    first = int(frame["id"].iloc[0])
    attachments.add_files(database, SYSTEM, catalog, first, [("签到表.pdf", evidence_files.pdf())])
    cases.mark(database, SYSTEM, catalog, first, True)
    narratives.save_text(database, SYSTEM, township, 2020, "closing", "结尾文字", expected=None)
    targets.set_targets(database, SYSTEM, catalog, township, 2020, {"satisfaction": 96})
    publication.record_publication(
        database, SYSTEM, township, 2020, date(2021, 1, 18), "https://www.wz.gov.cn/ys"
    )
    submissions.submit(database, SYSTEM, catalog, township, 2020, charts=False)


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> Iterator[tuple[bytes, dict]]:
    """A 报送包 of 燕山乡 2020 and what its installation holds for that unit-year."""
    database = db.connect(tmp_path_factory.mktemp("township") / "township.duckdb")
    _township_year(database, catalog)
    township = find_unit(database, "燕山乡")
    built = package.build(database, SYSTEM, catalog, township, 2020)
    with database.cursor() as cur:
        held = {
            "records": year_records(cur, township, 2020)[0],
            "narratives": year_narratives(cur, township, 2020),
            "targets": year_targets(cur, township, 2020),
        }
    yield built.data, held
    database.close()


@pytest.fixture
def county_db(tmp_path: Path) -> Iterator[db.Database]:
    """A county's installation: 万州区 with its first administrator and nothing else."""
    database = db.connect(tmp_path / "county.duckdb")
    auth.create_first_admin(database, "wz_admin", PASSWORD, "李四", "万州区", "county")
    yield database
    database.close()


def _snapshot(database: db.Database) -> list:
    tables = [row[0] for row in database.rows("SELECT table_name FROM duckdb_tables() ORDER BY table_name")]
    return [(t, database.rows(f'SELECT * FROM "{t}" ORDER BY ALL')) for t in tables if t != "login_failures"]


def test_the_package_holds_the_year_and_its_checksums(sent, catalog: Catalog) -> None:
    data, held = sent
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        evidence = json.loads(archive.read("evidence.json"))
        units_json = json.loads(archive.read("units.json"))
        published = json.loads(archive.read("publication.json"))
    assert names == ["manifest.json", *package.CONTENT, "publication.json"]
    assert (manifest["format"], manifest["version"], manifest["county"], manifest["unit"], manifest["year"]) == (
        package.FORMAT, 1, "万州区", "燕山乡", 2020,
    )  # fmt: skip
    assert manifest["path"] == ["万州区", "燕山乡"]
    assert units_json == {
        "county": "万州区",
        "township": "燕山乡",
        "villages": ["示例一村", "示例二村", "示例三村", "示例社区"],
    }
    assert [(e["name"], e["size"], e["sha256"]) for e in evidence] == [
        ("签到表.pdf", len(evidence_files.pdf()), sha256(evidence_files.pdf()))
    ]
    assert published == {"published_on": "2021-01-18", "url": "https://www.wz.gov.cn/ys"}
    parsed = package.read(data)
    assert parsed.records == held["records"] and len(parsed.records) == 55
    assert sum(r["typical"] for r in parsed.records) == 1
    assert parsed.narratives == held["narratives"] and parsed.targets == held["targets"]
    assert parsed.submission["records_sha256"] == sha256(canonical(held["records"]))


def test_export_receive_export_gives_the_same_content(sent, catalog: Catalog, tmp_path: Path) -> None:
    """Into a freshly initialised database (no units at all): every unit is created after confirmation."""
    data, held = sent
    fresh = db.connect(tmp_path / "fresh.duckdb")
    try:
        with pytest.raises(UnitsToCreate) as asked:
            package.receive(fresh, SYSTEM, catalog, data)
        assert asked.value.names == [
            "万州区",
            "燕山乡",
            "燕山乡/示例一村",
            "燕山乡/示例二村",
            "燕山乡/示例三村",
            "燕山乡/示例社区",
        ]
        assert not units.has_units(fresh)
        received = package.receive(fresh, SYSTEM, catalog, data, create_units=True)
        assert (
            received.message
            == "已接收燕山乡2020年的报送包（第1次报送）：55条记录，新建了6个单位。报送进度中显示为“已报送”。"
        )
        township = find_unit(fresh, "燕山乡")
        with fresh.cursor() as cur:
            assert year_records(cur, township, 2020)[0] == held["records"]
            assert year_narratives(cur, township, 2020) == held["narratives"]
            assert year_targets(cur, township, 2020) == held["targets"]
        again = package.build(fresh, SYSTEM, catalog, township, 2020)
        assert package.package_content(again.data) == package.package_content(data)
        assert again.content_sha256 == received.submission.package_sha256
        made = submissions.latest(fresh, SYSTEM, township, 2020)
        assert (made.state_label, made.source, made.round, made.record_count) == ("已报送", "package", 1, 55)
        assert locks.workflow_of(fresh, township, 2020) == "submitted"
        assert locks.frozen(fresh, township, 2020)["names"][str(township.id)] == "燕山乡"
        with pytest.raises(YearLocked, match="已报送"):
            records.add_record(
                fresh, SYSTEM, catalog, RecordInput("market_day", township.id, "新", date(2020, 5, 1))
            )
    finally:
        fresh.close()


def test_receiving_the_same_package_twice_changes_nothing(
    sent, catalog: Catalog, county_db: db.Database
) -> None:
    data, _ = sent
    first = package.receive(county_db, SYSTEM, catalog, data, create_units=True)
    assert first.changed and first.created == [
        "燕山乡",
        "燕山乡/示例一村",
        "燕山乡/示例二村",
        "燕山乡/示例三村",
        "燕山乡/示例社区",
    ]
    before = _snapshot(county_db)
    second = package.receive(county_db, SYSTEM, catalog, data, create_units=True)
    assert not second.changed
    assert second.message == "这个报送包已经接收过（燕山乡2020年第1次报送，已报送），本次没有任何改动。"
    assert _snapshot(county_db) == before


def test_units_are_matched_by_name_under_the_county(sent, catalog: Catalog, county_db: db.Database) -> None:
    data, _ = sent
    admin = auth.authenticate(county_db, "wz_admin", PASSWORD)
    county = find_unit(county_db, "万州区")
    township = units.create_child_unit(county_db, admin, county.id, "燕山乡")
    village = units.create_child_unit(county_db, admin, township.id, "示例一村")
    old = RecordInput("market_day", township.id, "县里录的", date(2020, 3, 3), values={"materials": 5})
    kept = RecordInput("market_day", township.id, "上一年的", date(2019, 3, 3), values={"materials": 5})
    old_id = records.add_record(county_db, admin, catalog, old).id
    kept_id = records.add_record(county_db, admin, catalog, kept).id
    before = _snapshot(county_db)
    with pytest.raises(UnitsToCreate) as asked:
        package.receive(county_db, admin, catalog, data)
    assert asked.value.names == ["燕山乡/示例二村", "燕山乡/示例三村", "燕山乡/示例社区"]
    assert _snapshot(county_db) == before
    received = package.receive(county_db, admin, catalog, data, create_units=True)
    assert (received.replaced, received.added, received.township.id) == (1, 55, township.id)
    assert find_unit(county_db, "燕山乡/示例一村").id == village.id
    assert records.get_record(county_db, admin, catalog, old_id, include_deleted=True).is_deleted
    assert not records.get_record(county_db, admin, catalog, kept_id).is_deleted
    actions = county_db.rows(
        "SELECT action, count(*) FROM audit_log WHERE entity = 'record' GROUP BY action ORDER BY action"
    )
    assert actions == [("create", 2), ("delete", 1), ("receive", 55)]
    assert county_db.one(
        "SELECT count(*) FROM audit_log WHERE action = 'receive' AND entity = 'submission'"
    ) == (1,)


def test_a_returned_year_takes_the_next_package(
    sent, catalog: Catalog, county_db: db.Database, tmp_path: Path
) -> None:
    data, _ = sent
    package.receive(county_db, SYSTEM, catalog, data, create_units=True)
    township = find_unit(county_db, "燕山乡")
    submissions.review(county_db, SYSTEM, township, 2020, "return", "请补充")
    with pytest.raises(InvalidPackage, match="并已被退回；请燕山乡修改后重新报送。"):
        package.receive(county_db, SYSTEM, catalog, data)
    # the township edits and sends again
    source = db.connect(tmp_path / "again.duckdb")
    try:
        _township_year(source, catalog)
        ys = find_unit(source, "燕山乡")
        submissions.review(source, SYSTEM, ys, 2020, "return", "区县退回：请补充")
        records.add_record(
            source,
            SYSTEM,
            catalog,
            RecordInput("market_day", ys.id, "补充的", date(2020, 11, 2), values={"materials": 9}),
        )
        submissions.submit(source, SYSTEM, catalog, ys, 2020, charts=False)
        second = package.build(source, SYSTEM, catalog, ys, 2020).data
    finally:
        source.close()
    received = package.receive(county_db, SYSTEM, catalog, second)
    assert (received.submission.round, received.added, received.replaced) == (2, 56, 55)
    with pytest.raises(
        InvalidPackage, match="已报送（第2次报送），该年度已锁定；如需接收新的报送包，请先退回。"
    ):
        package.receive(county_db, SYSTEM, catalog, data)


# ───────────── refusals: each leaves the county's data exactly as it was ─────────────


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return out.getvalue()


def forged(data: bytes, change: Callable[[dict[str, bytes]], None]) -> bytes:
    """The package with `change` applied and every checksum recomputed, as a careful forger would."""
    members = _members(data)
    change(members)
    submitted = json.loads(members["submission.json"])
    submitted["records_sha256"] = sha256(members["records.json"])
    submitted["record_count"] = len(json.loads(members["records.json"]))
    members["submission.json"] = canonical(submitted)
    manifest = json.loads(members["manifest.json"])
    manifest["members"] = {n: sha256(p) for n, p in members.items() if n != "manifest.json"}
    manifest["content_sha256"] = sha256(canonical({n: sha256(members[n]) for n in package.CONTENT}))
    members["manifest.json"] = json.dumps(manifest, ensure_ascii=False).encode()
    return _zip(members)


def _records(change: Callable[[list], None]) -> Callable[[dict[str, bytes]], None]:
    def apply(members: dict[str, bytes]) -> None:
        items = json.loads(members["records.json"])
        change(items)
        members["records.json"] = canonical(items)

    return apply


def _flip(name: str) -> Callable[[bytes], bytes]:
    def apply(data: bytes) -> bytes:
        members = _members(data)
        members[name] = members[name].replace("示例".encode(), "样例".encode(), 1)
        return _zip(members)

    return apply


def _unit_outside(items: list) -> None:
    items[0]["unit"] = ["燕山乡", "外村"]


def _unknown_type(items: list) -> None:
    items[0]["type"] = "no_such_type"


def _untrimmed_title(items: list) -> None:
    items[0]["title"] = " " + items[0]["title"]


def _manifest(key: str, value: object) -> Callable[[bytes], bytes]:
    def apply(data: bytes) -> bytes:
        members = _members(data)
        manifest = json.loads(members["manifest.json"])
        manifest[key] = value
        members["manifest.json"] = json.dumps(manifest).encode()
        return _zip(members)

    return apply


def _with(name: str, payload: bytes | None) -> Callable[[bytes], bytes]:
    def apply(data: bytes) -> bytes:
        members = _members(data)
        if payload is None:
            members.pop(name)
        else:
            members[name] = payload
        return _zip(members)

    return apply


def _other_report(members: dict[str, bytes]) -> None:
    members["report.docx"] = b"PK\x03\x04 not really a document"


REFUSED: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "a member changed": (
        _flip("records.json"),
        "records.json的校验值与清单不符（文件在传送中损坏或被改动过）。",
    ),
    "the content checksum changed": (_manifest("content_sha256", "0" * 64), "内容校验值与清单不符"),
    "another format version": (
        _manifest("version", 2),
        "报送包的格式版本是2，本程序只认识版本1，请升级程序。",
    ),
    "not a package": (_manifest("format", "something-else"), "这不是本程序制作的报送包（清单格式不对）。"),
    "a member missing": (_with("targets.json", None), "这不是本程序制作的报送包（缺少targets.json）。"),
    "a member added": (_with("run.bat", b"format c:"), "这不是本程序制作的报送包（多出run.bat）。"),
    "a unit outside the county": (
        lambda d: forged(d, _records(_unit_outside)),
        "第1条记录的单位“燕山乡/外村”不在万州区燕山乡的单位中。",
    ),
    "an unknown record type": (lambda d: forged(d, _records(_unknown_type)), "第1条记录“"),
    "a record not written by the program": (
        lambda d: forged(d, _records(_untrimmed_title)),
        "的内容不是本程序写出的格式",
    ),
    "the report changed": (lambda d: forged(d, _other_report), "报送时记下的校验值（docx_sha256）与文件不符"),
    "not a zip": (lambda d: b"hello", "报送包不是完整的压缩格式文件"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_bad_package_is_refused_and_changes_nothing(
    sent, catalog: Catalog, county_db: db.Database, case: str
) -> None:
    data, _ = sent
    spoil, message = REFUSED[case]
    before = _snapshot(county_db)
    with pytest.raises(InvalidPackage) as refused:
        package.receive(county_db, SYSTEM, catalog, spoil(data), create_units=True)
    assert message in str(refused.value)
    assert str(refused.value).startswith("报送包不能接收：") and str(refused.value).endswith("未作任何改动。")
    assert _snapshot(county_db) == before


def test_a_forged_report_file_is_checked_like_evidence(
    sent, catalog: Catalog, county_db: db.Database
) -> None:
    """A forger who also fixes the report's checksum still meets the evidence checks of the .docx."""
    data, _ = sent

    def swap(members: dict[str, bytes]) -> None:
        members["report.docx"] = evidence_files.pdf()
        submitted = json.loads(members["submission.json"])
        submitted["docx_sha256"] = sha256(members["report.docx"])
        members["submission.json"] = canonical(submitted)

    with pytest.raises(InvalidPackage, match="其中的报告文件不能使用：“报告.docx”扩展名是 .docx，但内容是"):
        package.receive(county_db, SYSTEM, catalog, forged(data, swap), create_units=True)


def test_a_package_of_another_county_is_refused(
    catalog: Catalog, county_db: db.Database, tmp_path: Path
) -> None:
    source = db.connect(tmp_path / "kaizhou.duckdb")
    try:
        _township_year(source, catalog, county="开州区")
        data = package.build(source, SYSTEM, catalog, find_unit(source, "燕山乡"), 2020).data
    finally:
        source.close()
    before = _snapshot(county_db)
    with pytest.raises(InvalidPackage, match="这是开州区的燕山乡报送的，本机是万州区（不在本区县）。"):
        package.receive(county_db, SYSTEM, catalog, data, create_units=True)
    assert _snapshot(county_db) == before


def test_a_package_for_a_locked_year_is_refused(sent, catalog: Catalog, county_db: db.Database) -> None:
    data, _ = sent
    locks.lock_year(county_db, SYSTEM, find_unit(county_db, "万州区"), 2020)
    admin = auth.authenticate(county_db, "wz_admin", PASSWORD)
    township = units.create_child_unit(county_db, admin, find_unit(county_db, "万州区").id, "燕山乡")
    before = _snapshot(county_db)
    with pytest.raises(InvalidPackage, match="本机万州区2020年已封账，不能接收燕山乡2020年的报送包。"):
        package.receive(county_db, admin, catalog, data, create_units=True)
    assert _snapshot(county_db) == before
    assert locks.lock_state(county_db, township, 2020).startswith("万州区2020年已封账")


def test_a_zip_bomb_is_refused_before_reading(sent, catalog: Catalog, county_db: db.Database) -> None:
    data, _ = sent
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in _members(data).items():
            if name != "records.json":
                archive.writestr(name, payload)
        with archive.open("records.json", "w", force_zip64=True) as handle:
            block = b" " * (1024 * 1024)
            for _ in range(64):  # 64 MB of spaces: a few tens of KB once deflated
                handle.write(block)
    bomb = out.getvalue()
    assert len(bomb) < 1024 * 1024
    before = _snapshot(county_db)
    started = time.monotonic()
    with pytest.raises(InvalidPackage, match="压缩比异常"):
        package.receive(county_db, SYSTEM, catalog, bomb, create_units=True)
    assert time.monotonic() - started < 2
    assert _snapshot(county_db) == before


def test_only_a_county_installation_receives(sent, catalog: Catalog, tmp_path: Path) -> None:
    data, _ = sent
    township_only = db.connect(tmp_path / "township.duckdb")
    try:
        auth.create_first_admin(township_only, "ys_admin", PASSWORD, "王五", "燕山乡", "township")
        with pytest.raises(
            InvalidPackage, match="本机的最上级单位“燕山乡”不是区县，报送包应由万州区的安装接收。"
        ):
            package.receive(township_only, SYSTEM, catalog, data, create_units=True)
    finally:
        township_only.close()


# ───────────── building ─────────────


def test_a_package_needs_a_submission_and_a_matching_year(demo: db.Database, catalog: Catalog) -> None:
    township = find_unit(demo, "燕山乡")
    with pytest.raises(
        SubmissionError, match="燕山乡2020年还没有报送（或已被退回），请先在“年度报告”中报送，再下载报送包。"
    ):
        package.build(demo, SYSTEM, catalog, township, 2020)
    submissions.submit(demo, SYSTEM, catalog, township, 2020, charts=False)
    with pytest.raises(SubmissionError, match="燕山乡的上级单位是“万州区”，不是“开州区”。"):
        package.build(demo, SYSTEM, catalog, township, 2020, county_name="开州区")
    with demo.transaction() as cur:  # a change behind the lock's back (no path of the program does this)
        cur.execute(
            "UPDATE records SET title = title || '（改）' WHERE id = (SELECT min(id) FROM records WHERE year(start_on) = 2020)"
        )
    with pytest.raises(
        SubmissionError, match="燕山乡2020年的台账与报送时不一致（校验值不同），不能制作报送包。"
    ):
        package.build(demo, SYSTEM, catalog, township, 2020)
    with pytest.raises(SubmissionError, match="报送包由乡镇（街道）制作"):
        package.build(demo, SYSTEM, catalog, find_unit(demo, "万州区"), 2020)


def test_a_township_alone_names_its_county(catalog: Catalog, county_db: db.Database, tmp_path: Path) -> None:
    source = db.connect(tmp_path / "alone.duckdb")
    try:
        admin = auth.create_first_admin(source, "ys_admin", PASSWORD, "王五", "燕山乡", "township")
        sample.load_demo(source, catalog)
        township = find_unit(source, "燕山乡")
        submissions.submit(source, admin, catalog, township, 2020, charts=False)
        with pytest.raises(
            SubmissionError, match="本机没有燕山乡的上级区县，请填写接收报送包的区县名称（如“万州区”）。"
        ):
            package.build(source, admin, catalog, township, 2020)
        data = package.build(source, admin, catalog, township, 2020, county_name=" 万州区 ").data
    finally:
        source.close()
    received = package.receive(county_db, SYSTEM, catalog, data, create_units=True)
    assert (received.added, received.township.name) == (55, "燕山乡")
    assert [u.name for u in units.children(county_db, find_unit(county_db, "燕山乡"))] == [
        "示例一村",
        "示例二村",
        "示例三村",
        "示例社区",
    ]
