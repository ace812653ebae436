"""Chinese labels for the English names used in the schema and the code, kept in one place."""

from __future__ import annotations

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
    "lock": "封账",
    "unlock": "解除封账",
    "backup": "备份",
    "restore_backup": "从备份恢复",
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
}

RECORD_COLUMNS = {
    "id": "编号",
    "unit_name": "单位",
    "type_name": "类型",
    "area_name": "领域",
    "title": "标题",
    "start_on": "开始日期",
    "end_on": "结束日期",
    "place": "地点",
    "summary": "情况说明",
    "updated_by": "最后修改人",
    "updated_at": "最后修改时间",
    "is_deleted": "已删除",
    "attachment_count": "佐证材料",
}
