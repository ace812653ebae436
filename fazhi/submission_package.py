"""报送包: a township's submitted year in one file, for a county whose installation the township's office PC
cannot reach. `build` writes it on the township's side; `receive` takes it in on the county's, as if the
township had submitted online.

The file is a zip (checked with fazhi/archives.py limits before anything in it is read) of:

    manifest.json    format, version, created_at, county, unit, path, year, content_sha256,
                     members: the sha256 of every other member
    units.json       {"county", "township", "villages": [...]} (names, in the township's order)
    records.json     the unit-year's records as canonical JSON (fazhi/year_content.py): unit name path,
                     type code, title, dates, place, summary, values, typical case
    narratives.json  the saved report text of the year
    targets.json     the targets set for the year
    evidence.json    the evidence index frozen at submission: record position, file name, size, sha256
    submission.json  who submitted when, record count and the checksums of records, report and indicators
    indicators.json  the indicator table frozen at submission (byte for byte)
    report.docx      the report frozen at submission
    publication.json (optional) where and when the report was published

Evidence files themselves are not carried: the index says what exists and where it is checked (the
township keeps the files and its 佐证材料包 for inspectors); a package stays small enough for e-mail or a
USB stick, and the county's server never stores files it cannot show were checked at upload.

`content_sha256` covers every member but the manifest and the publication; receiving a package whose
content equals the newest submission's is a no-op. Receiving replaces the township's (and its villages')
records, text and targets of that year in one transaction, creates missing units only when asked
(`create_units`), and refuses a package that fails a checksum, names a unit outside its county, is for
another county, or is for a year locked on the county's side.

Over 400 lines because writing and reading one file format belong together: every member `build` writes is
checked by `read` a few functions below, so a change to the format is one diff in one module.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from fazhi import archives, attachments, audit, locks, narratives, publication, records, submissions, targets
from fazhi.catalog import Catalog
from fazhi.db import Cursor, Database, single
from fazhi.errors import FazhiError, InvalidFile, InvalidInput, InvalidPackage, SubmissionError, UnitsToCreate
from fazhi.evidence import folder_name
from fazhi.permissions import User, require_admin
from fazhi.report import frozen
from fazhi.text import clean_text
from fazhi.units import Unit, all_units, get_unit, insert_unit, name_problems
from fazhi.validation import RecordInput, ValidRecord, validate
from fazhi.year_content import canonical, number, sha256, unit_tree
from fazhi.year_content import narratives as year_narratives
from fazhi.year_content import records as year_records
from fazhi.year_content import targets as year_targets

FORMAT = "fazhi-submission-package"
VERSION = 1
MANIFEST = "manifest.json"
PUBLICATION = "publication.json"
CONTENT = (
    "units.json",
    "records.json",
    "narratives.json",
    "targets.json",
    "evidence.json",
    "submission.json",
    "indicators.json",
    "report.docx",
)
# A year of a township is at most a few hundred thousand records; the report is one .docx.
LIMITS = archives.Limits(
    members=16, total=400 * archives.MB, member=300 * archives.MB, ratio=200, xml_scan=False
)
DOCX_MAX_MB = 50
_SHA = re.compile(r"^[0-9a-f]{64}$")
_SECTION = re.compile(r"^[a-z][a-z0-9_.]{0,60}$")
LABEL = "报送包"


@dataclass(frozen=True)
class Package:
    """A built 报送包: file name, the zip bytes, its content checksum and how many records it carries."""

    filename: str
    data: bytes
    content_sha256: str
    records: int


def _county_name(db: Database, township: Unit, county_name: str | None) -> str:
    given = (county_name or "").strip()
    if township.parent_id is not None:
        parent = next(u for u in all_units(db) if u.id == township.parent_id)
        if given and given != parent.name:
            raise SubmissionError(f"{township.name}的上级单位是“{parent.name}”，不是“{given}”。")
        return parent.name
    if not given:
        raise SubmissionError(
            f"本机没有{township.name}的上级区县，请填写接收报送包的区县名称（如“万州区”）。"
        )
    problems = name_problems(given)
    if problems:
        raise InvalidInput(problems)
    return given


def build(
    db: Database, user: User, catalog: Catalog, township: Unit, year: int, *, county_name: str | None = None
) -> Package:
    """The township's 报送包 of its newest submission (已报送 or 已通过); its administrators (or above) only.
    `county_name` names the receiving county when this installation has none above the township."""
    require_admin(user, township)
    if township.level != "township":
        raise SubmissionError(f"报送包由乡镇（街道）制作，“{township.name}”不是乡镇（街道）。")
    current = submissions.latest(db, user, township, year)
    if current is None or current.state not in ("submitted", "approved"):
        raise SubmissionError(
            f"{township.name}{year}年还没有报送（或已被退回），请先在“年度报告”中报送，再下载报送包。"
        )
    county = _county_name(db, township, county_name)
    with db.cursor() as cur:
        listed, _ = year_records(cur, township, year)
        texts = year_narratives(cur, township, year)
        goals = year_targets(cur, township, year)
        tree = unit_tree(cur, township)
        frozen_text = single(cur, "SELECT indicators, evidence FROM submissions WHERE id = ?", [current.id])
    records_json = canonical(listed)
    if sha256(records_json) != current.records_sha256:
        raise SubmissionError(
            f"{township.name}{year}年的台账与报送时不一致（校验值不同），不能制作报送包。请联系上级单位退回后重新报送。"
        )
    _, docx = submissions.frozen_docx(db, user, current.id)
    members: dict[str, bytes] = {
        "units.json": canonical({"county": county, **tree}),
        "records.json": records_json,
        "narratives.json": canonical(texts),
        "targets.json": canonical(goals),
        "evidence.json": canonical(json.loads(frozen_text[1])),
        "submission.json": canonical(
            {
                "year": year,
                "submitted_by": current.submitted_by,
                "submitted_at": current.submitted_at.isoformat(),
                "record_count": current.record_count,
                "records_sha256": current.records_sha256,
                "docx_sha256": current.docx_sha256,
                "indicators_sha256": current.indicators_sha256,
            }
        ),
        "indicators.json": frozen_text[0].encode("utf-8"),
        "report.docx": docx,
    }
    pub = publication.publication_of(db, township, year)
    if pub is not None:
        members[PUBLICATION] = canonical({"published_on": pub.published_on.isoformat(), "url": pub.url})
    content_sha = _content_sha(members)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": datetime.now().isoformat(timespec="seconds"),
        "county": county,
        "unit": township.name,
        "path": [county, township.name],
        "year": year,
        "content_sha256": content_sha,
        "members": {name: sha256(data) for name, data in sorted(members.items())},
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2), zipfile.ZIP_DEFLATED)
        for name, data in members.items():
            archive.writestr(
                name, data, zipfile.ZIP_STORED if name.endswith(".docx") else zipfile.ZIP_DEFLATED
            )
    filename = folder_name(f"{township.name}{year}年报送包") + ".zip"
    return Package(filename, out.getvalue(), content_sha, len(listed))


def _content_sha(members: dict[str, bytes]) -> str:
    return sha256(canonical({name: sha256(members[name]) for name in CONTENT}))


# ───────────── reading and checking a package (nothing written) ─────────────


@dataclass(frozen=True)
class Parsed:
    """A package that passed every check, with its content as Python values."""

    content_sha256: str
    county: str
    township: str
    villages: list[str]
    year: int
    records: list[dict[str, Any]]
    narratives: list[dict[str, Any]]
    targets: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    submission: dict[str, Any]
    indicators: str
    docx: bytes
    publication: dict[str, Any] | None


def _refuse(message: str) -> InvalidPackage:
    return InvalidPackage(f"{LABEL}不能接收：{message}未作任何改动。")


def _json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise _refuse(f"{name}不是有效的 JSON（{error}）。") from error


def _text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise _refuse(f"{name}应为不超过{limit}个字的文字。")
    return value


def members_of(data: bytes) -> dict[str, bytes]:
    """The members of a package zip after the archive checks; InvalidPackage for anything else."""
    archive = archives.opened(data, LIMITS, LABEL, lambda message: _refuse(message))
    with archive:
        names = [info.filename for info in archive.infolist()]
        expected = {MANIFEST, *CONTENT}
        unknown = sorted(set(names) - expected - {PUBLICATION})
        missing = sorted(expected - set(names))
        if len(names) != len(set(names)):
            raise _refuse("压缩包中有重复的文件名。")
        if unknown or missing:
            detail = ("缺少" + "、".join(missing) if missing else "") + (
                "；多出" + "、".join(unknown) if unknown else ""
            )
            raise _refuse(f"这不是本程序制作的报送包（{detail.strip('；')}）。")
        try:
            return {name: archive.read(name) for name in names}
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
            raise _refuse(f"压缩包已损坏（{error}）。") from error


def read(data: bytes) -> Parsed:
    """Check a 报送包 completely (archive limits, member list, every checksum, the checksums inside, unit
    names, the report file) and return its content; InvalidPackage with the reason otherwise."""
    members = members_of(data)
    manifest = _json(members[MANIFEST], MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse("这不是本程序制作的报送包（清单格式不对）。")
    if manifest.get("version") != VERSION:
        raise _refuse(f"报送包的格式版本是{manifest.get('version')}，本程序只认识版本{VERSION}，请升级程序。")
    listed = manifest.get("members")
    if not isinstance(listed, dict) or set(listed) != set(members) - {MANIFEST}:
        raise _refuse("清单中的文件与压缩包中的文件不一致。")
    for name, payload in members.items():
        if name != MANIFEST and listed[name] != sha256(payload):
            raise _refuse(f"{name}的校验值与清单不符（文件在传送中损坏或被改动过）。")
    content_sha = _content_sha(members)
    if manifest.get("content_sha256") != content_sha:
        raise _refuse("内容校验值与清单不符（文件在传送中损坏或被改动过）。")

    tree = _json(members["units.json"], "units.json")
    if not isinstance(tree, dict) or not isinstance(tree.get("villages"), list):
        raise _refuse("units.json 的格式不对。")
    county = _text(tree.get("county"), "区县名称", 40)
    township = _text(tree.get("township"), "乡镇名称", 40)
    villages = [_text(v, "村（社区）名称", 40) for v in tree["villages"]]
    for name in (county, township, *villages):
        if name_problems(name):
            raise _refuse(f"单位名称“{name[:40]}”不合规：{name_problems(name)[0].message}")
    if len(set(villages)) != len(villages):
        raise _refuse("同一个乡镇下有重名的村（社区）。")
    if (
        manifest.get("county") != county
        or manifest.get("unit") != township
        or manifest.get("path") != [county, township]
    ):
        raise _refuse("清单中的单位与 units.json 不一致。")
    year = manifest.get("year")
    if not isinstance(year, int) or not locks.FIRST_YEAR <= year <= locks.LAST_YEAR:
        raise _refuse("年度不正确。")

    submitted = _json(members["submission.json"], "submission.json")
    if not isinstance(submitted, dict) or submitted.get("year") != year:
        raise _refuse("submission.json 与清单的年度不一致。")
    if members["records.json"] != canonical(_json(members["records.json"], "records.json")):
        raise _refuse("records.json 不是本程序写出的格式。")
    checks = {
        "records_sha256": sha256(members["records.json"]),
        "docx_sha256": sha256(members["report.docx"]),
        "indicators_sha256": sha256(members["indicators.json"]),
    }
    for key, value in checks.items():
        if submitted.get(key) != value:
            raise _refuse(f"报送时记下的校验值（{key}）与文件不符。")
    try:
        submitted_at = datetime.fromisoformat(_text(submitted.get("submitted_at"), "报送时间", 40))
    except ValueError as error:
        raise _refuse("报送时间不正确。") from error
    _text(submitted.get("submitted_by"), "报送人", 64)

    paths = {(township,)} | {(township, v) for v in villages}
    items = _json(members["records.json"], "records.json")
    if not isinstance(items, list) or submitted.get("record_count") != len(items):
        raise _refuse("记录数与报送时记下的不一致。")
    for number_, item in enumerate(items, 1):
        if not isinstance(item, dict) or tuple(item.get("unit") or ()) not in paths:
            shown = "/".join(str(p) for p in (item.get("unit") or [])) if isinstance(item, dict) else "?"
            raise _refuse(f"第{number_}条记录的单位“{shown[:80]}”不在{county}{township}的单位中。")
    texts = _json(members["narratives.json"], "narratives.json")
    goals = _json(members["targets.json"], "targets.json")
    for label, listing in (("报告文字", texts), ("目标值", goals)):
        if not isinstance(listing, list) or any(
            not isinstance(x, dict) or tuple(x.get("unit") or ()) not in paths for x in listing
        ):
            raise _refuse(f"{label}中有不在{county}{township}的单位。")
    index = _json(members["evidence.json"], "evidence.json")
    if not isinstance(index, list) or any(
        not isinstance(x, dict)
        or not isinstance(x.get("record"), int)
        or not 0 <= x["record"] < len(items)
        or not isinstance(x.get("size"), int)
        or not _SHA.match(str(x.get("sha256")))
        or not isinstance(x.get("name"), str)
        or len(x["name"]) > 255
        for x in index
    ):
        raise _refuse("佐证材料清单的格式不对。")
    _json(members["indicators.json"], "indicators.json")
    try:
        attachments.check("报告.docx", members["report.docx"], limit_mb=DOCX_MAX_MB)
    except InvalidFile as error:
        raise _refuse(f"其中的报告文件不能使用：{error.message}") from error
    published = None
    if PUBLICATION in members:
        published = _json(members[PUBLICATION], PUBLICATION)
        try:
            published = {
                "published_on": date.fromisoformat(str(published["published_on"])),
                "url": publication.check_url(str(published["url"])),
            }
        except (TypeError, KeyError, ValueError, InvalidInput) as error:
            raise _refuse("公开情况的格式不对。") from error
    return Parsed(
        content_sha256=content_sha,
        county=county,
        township=township,
        villages=villages,
        year=year,
        records=items,
        narratives=texts,
        targets=goals,
        evidence=index,
        submission={**submitted, "submitted_at": submitted_at},
        indicators=members["indicators.json"].decode("utf-8"),
        docx=members["report.docx"],
        publication=published,
    )


def package_content(data: bytes) -> dict[str, Any]:
    """What a package says, for comparing two packages: every member parsed (the report as its checksum),
    the manifest without its creation time. Export → receive → export gives equal content."""
    members = members_of(data)
    content: dict[str, Any] = {}
    for name, payload in sorted(members.items()):
        if name.endswith(".docx"):
            content[name] = sha256(payload)
        else:
            content[name] = json.loads(payload.decode("utf-8"))
    content[MANIFEST].pop("created_at", None)
    return content


# ───────────── receiving ─────────────


def _values(values: dict[str, Any]) -> dict[str, Any]:
    """Validated field values as canonical JSON writes them (是 → 1)."""
    return {
        code: (int(v) if isinstance(v, bool) else number(v) if isinstance(v, int | float) else v)
        for code, v in values.items()
    }


def _inputs(catalog: Catalog, parsed: Parsed) -> list[ValidRecord]:
    """The records as validated inputs (unit ids filled in later); InvalidPackage when validation refuses or
    would change one (a package from this program never needs changing)."""
    problems = []
    inputs = []
    for number_, item in enumerate(parsed.records, 1):
        try:
            raw = RecordInput(
                type_code=str(item.get("type")),
                unit_id=0,
                title=str(item.get("title")),
                start_on=date.fromisoformat(str(item.get("start_on"))),
                end_on=date.fromisoformat(str(item.get("end_on"))),
                place=item.get("place") or "",
                summary=item.get("summary") or "",
                values=dict(item.get("values") or {}),
            )
            cleaned, _ = validate(catalog, raw, parsed.year)
        except (ValueError, TypeError, AttributeError):
            problems.append(f"第{number_}条记录的格式不对")
            continue
        except FazhiError as error:
            problems.append(f"第{number_}条记录“{str(item.get('title'))[:30]}”：{error.message}")
            continue
        same = (
            cleaned.title == item.get("title")
            and cleaned.place == (item.get("place") or "")
            and cleaned.summary == (item.get("summary") or "")
            and _values(cleaned.values) == (item.get("values") or {})
            and isinstance(item.get("typical"), bool)
        )
        if not same:
            problems.append(f"第{number_}条记录“{str(item.get('title'))[:30]}”的内容不是本程序写出的格式")
            continue
        inputs.append(cleaned)
    if problems:
        shown = "；".join(problems[:5]) + (f"……（共{len(problems)}处）" if len(problems) > 5 else "")
        raise _refuse(shown + "。")
    return inputs


def _check_texts_and_targets(
    catalog: Catalog, parsed: Parsed
) -> dict[tuple[str, ...], dict[str, float | None]]:
    """Report text and targets checked like the app's own inputs; the targets grouped by unit path."""
    for item in parsed.narratives:
        if not _SECTION.match(str(item.get("section"))) or not isinstance(item.get("body"), str):
            raise _refuse("报告文字的格式不对。")
        if len(item["body"]) > narratives.BODY_MAX or clean_text(item["body"])[1]:
            raise _refuse(f"报告文字“{item['section']}”过长或含有不可见的控制字符。")
        if not isinstance(item.get("figures"), list) or not isinstance(item.get("updated_by"), str):
            raise _refuse("报告文字的格式不对。")
        try:
            datetime.fromisoformat(str(item.get("updated_at")))
        except ValueError as error:
            raise _refuse("报告文字的修改时间不正确。") from error
    grouped: dict[tuple[str, ...], dict[str, float | None]] = {}
    for item in parsed.targets:
        grouped.setdefault(tuple(item["unit"]), {})[str(item.get("indicator"))] = item.get("value")
    try:
        for values in grouped.values():
            targets._check(catalog, values)
    except InvalidInput as error:
        raise _refuse(f"目标值有误：{error.message}") from error
    return grouped


@dataclass(frozen=True)
class Received:
    """What a receive did: the township, the submission it made (or found), units created, records replaced
    and added, and whether anything changed at all."""

    township: Unit
    submission: submissions.Submission
    created: list[str]
    replaced: int
    added: int
    changed: bool
    message: str


def _county(db: Database, parsed: Parsed) -> tuple[Unit | None, list[str]]:
    """This installation's county for the package (None: to be created in an empty database)."""
    tops = [u for u in all_units(db) if u.parent_id is None]
    if not tops:
        return None, [parsed.county]
    top = tops[0]
    if top.level != "county":
        raise _refuse(f"本机的最上级单位“{top.name}”不是区县，报送包应由{parsed.county}的安装接收。")
    if top.name != parsed.county:
        raise _refuse(f"这是{parsed.county}的{parsed.township}报送的，本机是{top.name}（不在本区县）。")
    return top, []


def _children(db: Database, parent: Unit | None) -> dict[str, Unit]:
    if parent is None:
        return {}
    return {u.name: u for u in all_units(db) if u.parent_id == parent.id}


def receive(
    db: Database,
    user: User,
    catalog: Catalog,
    data: bytes,
    *,
    create_units: bool = False,
) -> Received:
    """Take a 报送包 in: the submission appears in 报送进度 as if made online (state 已报送, the year locked
    for the township). One transaction; a second receive of the same package changes nothing."""
    parsed = read(data)
    inputs = _inputs(catalog, parsed)
    goals = _check_texts_and_targets(catalog, parsed)
    county, missing = _county(db, parsed)
    if county is not None:
        require_admin(user, county)
    elif not user.is_system:
        raise _refuse("本机还没有任何单位。")
    township = _children(db, county).get(parsed.township)
    if township is not None and township.level != "township":
        raise _refuse(f"本机的“{parsed.township}”不是乡镇（街道）。")
    if township is not None:
        repeated = _repeat(db, township, parsed)
        if repeated is not None:
            return repeated
        _refuse_locked(db, township, parsed.year)
    villages = _children(db, township)
    if township is None:
        missing.append(parsed.township)
    missing += [f"{parsed.township}/{v}" for v in parsed.villages if v not in villages]
    if missing and not create_units:
        raise UnitsToCreate(missing)
    return _write(db, user, catalog, parsed, inputs, goals, missing)


def _repeat(db: Database, township: Unit, parsed: Parsed) -> Received | None:
    """The no-op answer when this content was received before and is still the newest submission."""
    with db.cursor() as cur:
        current = submissions.latest_row(cur, township.id, parsed.year)
    if current is None or current.package_sha256 != parsed.content_sha256:
        return None
    if current.state == "returned":
        raise _refuse(
            f"这个报送包的内容已于{current.submitted_at:%Y年%m月%d日}接收过（第{current.round}次报送），并已被退回；"
            f"请{township.name}修改后重新报送。"
        )
    return Received(
        township,
        current,
        [],
        0,
        0,
        False,
        f"这个报送包已经接收过（{township.name}{parsed.year}年第{current.round}次报送，{current.state_label}），"
        "本次没有任何改动。",
    )


def _refuse_locked(db: Database, township: Unit, year: int) -> None:
    with db.cursor() as cur:
        held = locks.lock_holding(cur, township, year)
        current = submissions.latest_row(cur, township.id, year)
    if current is not None and current.state in ("submitted", "approved"):
        raise _refuse(
            f"本机{township.name}{year}年的报告{current.state_label}（第{current.round}次报送），该年度已锁定；"
            "如需接收新的报送包，请先退回。"
        )
    if held:
        raise _refuse(f"本机{held[0]}{year}年已封账，不能接收{township.name}{year}年的报送包。")


def _write(
    db: Database,
    user: User,
    catalog: Catalog,
    parsed: Parsed,
    inputs: list[ValidRecord],
    goals: dict[tuple[str, ...], dict[str, float | None]],
    missing: list[str],
) -> Received:
    year = parsed.year
    with db.transaction() as cur:
        county, _ = _county(db, parsed)
        if county is None:
            county = insert_unit(cur, parsed.county, "county", None)
            audit.log(
                cur,
                user,
                "create",
                "unit",
                county.id,
                county.id,
                None,
                {"name": county.name, "level": "county"},
            )
        township = _child(cur, county, parsed.township)
        if township is None:
            township = _new_unit(cur, user, parsed.township, "township", county)
        elif _locked_or_pending(cur, township, year):
            raise _refuse(f"本机{township.name}{year}年已锁定（正在接收另一个报送包或已封账）。")
        by_path: dict[tuple[str, ...], Unit] = {(township.name,): township}
        for order, name in enumerate(parsed.villages, 1):
            village = _child(cur, township, name) or _new_unit(cur, user, name, "village", township, order)
            by_path[(township.name, name)] = village
        items = [
            replace(item, unit_id=by_path[tuple(raw["unit"])].id)
            for item, raw in zip(inputs, parsed.records, strict=True)
        ]
        replaced = _retire_records(cur, user, township, year)
        ids = records.insert_many(cur, user, items, action="receive")
        now = datetime.now()
        typical = [record_id for record_id, raw in zip(ids, parsed.records, strict=True) if raw["typical"]]
        if typical:
            cur.executemany(
                "INSERT INTO typical_cases VALUES (?, ?, ?)",
                [[i, parsed.submission["submitted_by"], now] for i in typical],
            )
        _replace_texts(cur, township, year, parsed, by_path)
        _replace_targets(cur, township, year, goals, by_path, parsed.submission["submitted_by"], now)
        made = submissions.insert_submission(
            cur,
            township,
            year,
            submitted_by=parsed.submission["submitted_by"],
            submitted_at=parsed.submission["submitted_at"],
            docx=parsed.docx,
            indicators=parsed.indicators,
            evidence_index=canonical(parsed.evidence).decode("utf-8"),
            record_count=len(items),
            records_sha256=parsed.submission["records_sha256"],
            source="package",
            package_sha256=parsed.content_sha256,
        )
        locks.hold(
            cur, township, year, workflow="submitted", locked_by=made.submitted_by, set_by_unit_id=township.id
        )
        if parsed.publication is not None:
            cur.execute(
                "INSERT INTO publications VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (unit_id, year) DO UPDATE SET"
                " published_on = excluded.published_on, url = excluded.url, recorded_by = excluded.recorded_by,"
                " recorded_at = excluded.recorded_at",
                [
                    township.id,
                    year,
                    parsed.publication["published_on"],
                    parsed.publication["url"],
                    user.username,
                    now,
                ],
            )
        audit.log(
            cur,
            user,
            "receive",
            "submission",
            made.id,
            township.id,
            None,
            {
                "unit": township.name,
                "year": year,
                "round": made.round,
                "record_count": len(items),
                "replaced_records": replaced,
                "created_units": missing,
                "package_sha256": parsed.content_sha256,
            },
        )
    # the lock's frozen names and settings, once the new units are committed (fazhi/report/frozen.py)
    captured = frozen.capture(db, township)
    with db.transaction() as cur:
        cur.execute(
            "UPDATE year_locks SET frozen = ? WHERE unit_id = ? AND year = ? AND frozen IS NULL",
            [json.dumps(captured, ensure_ascii=False), township.id, year],
        )
    created = f"，新建了{len(missing)}个单位" if missing else ""
    message = (
        f"已接收{township.name}{year}年的报送包（第{made.round}次报送）：{len(items)}条记录"
        f"{f'（替换了本机原有的{replaced}条）' if replaced else ''}{created}。报送进度中显示为“已报送”。"
    )
    return Received(township, made, missing, replaced, len(items), True, message)


def _child(cur: Cursor, parent: Unit, name: str) -> Unit | None:
    row = cur.execute("SELECT id FROM units WHERE parent_id = ? AND name = ?", [parent.id, name]).fetchone()
    return get_unit(cur, int(row[0])) if row else None


def _new_unit(cur: Cursor, user: User, name: str, level: str, parent: Unit, order: int = 0) -> Unit:
    if not order:
        last = single(cur, "SELECT coalesce(max(sort_order), 0) FROM units WHERE parent_id = ?", [parent.id])
        order = int(last[0]) + 1
    unit = insert_unit(cur, name, level, parent, sort_order=order)
    audit.log(cur, user, "create", "unit", unit.id, unit.id, None, unit.__dict__)
    return unit


def _locked_or_pending(cur: Cursor, township: Unit, year: int) -> bool:
    current = submissions.latest_row(cur, township.id, year)
    return bool(locks.lock_holding(cur, township, year)) or (
        current is not None and current.state in ("submitted", "approved")
    )


def _retire_records(cur: Cursor, user: User, township: Unit, year: int) -> int:
    """Soft-delete the unit-year's live records (the package replaces them); audited; how many."""
    rows = cur.execute(
        "UPDATE records SET is_deleted = true, deleted_by = ?, deleted_at = ?, version = version + 1"
        " WHERE NOT is_deleted AND start_on BETWEEN ? AND ?"
        " AND unit_id IN (SELECT id FROM units WHERE path LIKE ?) RETURNING id, unit_id, title",
        [user.username, datetime.now(), date(year, 1, 1), date(year, 12, 31), township.path + "%"],
    ).fetchall()
    if rows:
        audit.log_many(cur, user, "delete", "record", ((i, u, {"title": t}, None) for i, u, t in rows))
    return len(rows)


def _replace_texts(
    cur: Cursor, township: Unit, year: int, parsed: Parsed, by_path: dict[tuple[str, ...], Unit]
) -> None:
    cur.execute(
        "DELETE FROM narratives WHERE year = ? AND unit_id IN (SELECT id FROM units WHERE path LIKE ?)",
        [year, township.path + "%"],
    )
    for item in parsed.narratives:
        cur.execute(
            "INSERT INTO narratives (year, unit_id, section, body, updated_by, updated_at, figures)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                year,
                by_path[tuple(item["unit"])].id,
                item["section"],
                item["body"],
                item["updated_by"],
                datetime.fromisoformat(item["updated_at"]),
                json.dumps(item["figures"], ensure_ascii=False),
            ],
        )


def _replace_targets(
    cur: Cursor,
    township: Unit,
    year: int,
    goals: dict[tuple[str, ...], dict[str, float | None]],
    by_path: dict[tuple[str, ...], Unit],
    who: str,
    now: datetime,
) -> None:
    cur.execute(
        "DELETE FROM targets WHERE year = ? AND unit_id IN (SELECT id FROM units WHERE path LIKE ?)",
        [year, township.path + "%"],
    )
    for path, values in goals.items():
        for code, value in values.items():
            if value is not None:
                cur.execute(
                    "INSERT INTO targets VALUES (?, ?, ?, ?, ?, ?)",
                    [year, by_path[path].id, code, float(value), who, now],
                )
