"""Chinese labels for the English names used in the schema and the code, kept in one place."""

from __future__ import annotations

from enum import StrEnum

LEVELS = {"county": "区县", "township": "乡镇/街道", "village": "村/社区"}
CHILD_LEVEL = {"county": "township", "township": "village"}

ROLES = {"admin": "管理员", "editor": "录入员", "viewer": "查看者"}

ACTIONS = {
    "create": "新增",
    "update": "修改",
    "delete": "删除",
    "restore": "恢复",
    "import": "导入",
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出",
    "end_session": "结束登录",
    "lock": "封账",
    "unlock": "解除封账",
    "backup": "备份",
    "restore_backup": "从备份恢复",
    "submit": "报送",
    "approve": "审核通过",
    "return": "退回",
    "receive": "接收报送包",
}

ENTITIES = {
    "record": "记录",
    "unit": "单位",
    "user": "用户",
    "narrative": "报告文字",
    "target": "目标值",
    "year_lock": "封账",
    "attachment": "佐证材料",
    "setting": "设置",
    "database": "数据库",
    "submission": "年度报告报送",
    "deadline": "报送截止日期",
    "publication": "报告公开",
}

# The states of a unit-year's report in the submission workflow (fazhi/submissions.py); 'none' is the
# absence of any submission.
SUBMISSION_STATES = {"none": "未报送", "submitted": "已报送", "returned": "已退回", "approved": "已通过"}

# The parts every record has, in the order of the form, the import sheet and the detail view.
BASE_FIELDS = {
    "unit": "单位",
    "title": "标题",
    "start_on": "开始日期",
    "end_on": "结束日期",
    "place": "地点",
    "summary": "情况说明",
}

RECORD_COLUMNS = {
    "id": "编号",
    "unit_name": BASE_FIELDS["unit"],
    "type_name": "类型",
    "area_name": "领域",
    "title": BASE_FIELDS["title"],
    "start_on": BASE_FIELDS["start_on"],
    "end_on": BASE_FIELDS["end_on"],
    "place": BASE_FIELDS["place"],
    "summary": BASE_FIELDS["summary"],
    "updated_by": "最后修改人",
    "updated_at": "最后修改时间",
    "is_deleted": "已删除",
    "attachment_count": "佐证材料",
}

# Keys of the audit log's before/after snapshots (record fields are named by the catalog).
AUDIT_FIELDS = {
    "unit": BASE_FIELDS["unit"],
    "type_code": "类型",
    "title": BASE_FIELDS["title"],
    "start_on": BASE_FIELDS["start_on"],
    "end_on": BASE_FIELDS["end_on"],
    "place": BASE_FIELDS["place"],
    "summary": BASE_FIELDS["summary"],
    "version": "版本",
    "username": "用户名",
    "display_name": "姓名",
    "role": "角色",
    "is_active": "启用",
    "password": "密码",
    "attempt": "连续输错次数",
    "year": "年度",
    "locked_by": "封账人",
    "locked_at": "封账时间",
    "name": "名称",
    "level": "级别",
    "parent_id": "上级单位编号",
    "path": "路径",
    "sort_order": "排序",
    "is_demo": "示例数据",
    "id": "编号",
    "order": "顺序",
    "file": "文件",
    "created_at": "建立时间",
    "schema_version": "结构版本",
    "tables": "各表行数",
    "attachments": "佐证材料文件数",
    "state": "状态",
    "comment": "意见",
    "round": "第几次报送",
    "record_count": "记录数",
    "docx_sha256": "报告校验值",
    "indicators_sha256": "指标表校验值",
    "package_sha256": "报送包校验值",
    "due_on": "截止日期",
    "published_on": "公开日期",
    "url": "公开网址",
    "created_units": "新建的单位",
    "replaced_records": "替换的记录数",
}

AUDIT_COLUMNS = {
    "id": "序号",
    "logged_at": "时间",
    "username": "用户",
    "action": "操作",
    "entity": "对象",
    "entity_id": "对象编号",
    "unit_name": "单位",
    "summary": "内容",
    "before_json": "修改前（原始数据）",
    "after_json": "修改后（原始数据）",
}


class Status(StrEnum):
    """An indicator's standing against its target. The value is the Chinese label people read (and the
    report drafts compare with), so a Status is equal to its label."""

    DONE = "达标"
    ON_TRACK = "进度正常"
    BEHIND = "落后"
    MISSED = "未达标"
    NO_DATA = "无记录"
    INFO = "仅统计"


# A change against last year of exactly nothing, on a KPI card.
UNCHANGED = "持平"
