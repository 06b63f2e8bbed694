"""Labels in English and Chinese.

Who calls this: every screen, through `t(key)`. The language is a setting (config.toml
`language = "zh"`), applied once at start. A missing Chinese label falls back to English, and
a test checks that both languages have the same keys.
"""

from __future__ import annotations

import json
from datetime import datetime

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "undo.done": "undone",
        "undo.syncing": "a sync is running; undo once it has finished",
        "records.filter": "filter: words that must all appear in the row (an area, a unit, a step)",
        "not_enrolled_hint": "this laptop is not enrolled; 'safecity init' connects it to the district server",
        "synced": "synced",
        "sent": "sent",
        "received": "received",
        "go_to": "Go to",
        "lookback_short": "Looking back",
        "palette.go": "open this screen",
        "palette.sync": "Sync now",
        "palette.sync_help": "push this laptop's changes and pull the office's",
        "palette.language": "Language: 中文",
        "palette.language_help": "switch every label to Chinese (kept in settings)",
        "settings_not_saved": "the language is switched, but the settings file could not be written",
        "confirm.void": "Void this hazard? It leaves every list of open work.",
        "mark_first": "space marks rows first",
        "not_applied": "not applied",
        "choose_action": "choose an action",
        "action": "Action",
        "choose_action_first": "choose the action to apply first",
        "param.deadline": "Deadline (YYYY-MM-DD)",
        "param.rectifier": "Rectifier (person)",
        "param.note": "Note: what was done",
        "param.opinion": "Verifier's opinion",
        "param.reason": "Reason",
        "param.responsibility": "五落实 responsibility",
        "param.measures": "五落实 measures",
        "param.funds": "五落实 funds",
        "param.time_limit": "五落实 time limit",
        "param.contingency_plan": "五落实 contingency plan",
        "address": "Address",
        "pick_unit": "New hazard: which unit? (type its name, address or credit code)",
        "picker.keys": "type to search   enter: pick   j/k: move   esc: cancel",
        "new_hazard_at": "New hazard at",
        "proposed_deadline": "Proposed deadline (YYYY-MM-DD, optional)",
        "form.keys": "enter: next field (on the last: save)   ctrl+s: save   esc: cancel",
        "form.discard": "Discard what you typed in this form?",
        "confirm.keys": "y: yes   n / esc: no",
        "app.title": "SafeCity",
        "items_unanswered": "items have no result yet",
        "triage": "Triage",
        "hazard": "Hazard",
        "units": "Units",
        "inspections": "Inspections",
        "conflicts": "Conflicts",
        "rejected": "Rejected changes",
        "log.alarm": "ALARM: the district server's record was rewritten (safecity status; this laptop keeps its own copy)",
        "help": "Help",
        "status": "Status",
        "grade": "Grade",
        "unit": "Unit",
        "area": "Area",
        "deadline": "Deadline",
        "overdue": "Overdue",
        "description": "Description",
        "location": "Location",
        "rectifier": "Rectifier",
        "found": "Found",
        "history": "History",
        "responsibility": "Responsibility (frozen when found)",
        "progress": "Progress",
        "verifications": "Verifications",
        "online": "online",
        "offline": "offline",
        "not_enrolled": "standalone",
        "pending": "pending",
        "last_sync": "last sync",
        "never": "never",
        "syncing": "syncing…",
        "view.open": "all open",
        "view.mine": "mine",
        "view.overdue": "overdue",
        "view.week": "due this week",
        "view.awaiting": "awaiting verification",
        "view.major": "major",
        "filter": "filter: words (hazard or unit), status:S grade:G area:NAME",
        "hazards": "hazards",
        "marked": "marked",
        "sorted_by": "sorted by",
        "moved_out": "records left your areas: the office moved their unit to another area",
        "at": "When",
        "inspection.summary": "{done}/{items} checked, {failed} failed",
        "final": "final: no further action",
        "marks_cleared": "marks cleared: the list now shows other hazards",
        "plan": "Plan",
        "risk": "Risk",
        "open_hazards": "Open hazards",
        "past_inspections": "Past inspections",
        "search_units": "search units",
        "today_tasks": "Today's tasks (enter: start or resume)",
        "checklist": "Checklist",
        "result": "Result",
        "note": "Note",
        "summary": "Summary",
        "base": "base",
        "mine": "mine",
        "theirs": "theirs",
        "reason": "Reason",
        "field": "Field",
        "record": "Record",
        "preview": "Preview",
        "apply": "apply",
        "cancel": "cancel",
        "save": "save",
        "allowed": "will apply",
        "refused": "refused",
        "days": "d",
        "none": "none",
        "dashboard": "Dashboard",
        "trend.found": "found per month",
        "trend.closed": "closed per month",
        "trend.overdue": "past deadline at month end (found any time)",
        "kpi.overdue_found": "overdue of those found",
        "kpi.backlog": "past deadline now (all)",
        "scale": "scale",
        "fig.found": "found",
        "fig.major": "major",
        "fig.closed": "closed",
        "fig.rectified": "rectified",
        "fig.on_time": "on time",
        "fig.overdue": "overdue",
        "fig.rate": "rate",
        "fig.escalations": "escalations",
        "listed": "listed",
        "proposals": "proposals",
        "extensions_waiting": "extensions waiting",
        "escalations": "Escalation proposals",
        "step": "Step",
        "step.reminder": "reminder",
        "step.supervision_letter": "supervision letter",
        "step.summons": "summons",
        "step.public_criticism": "public criticism",
        "step.appraisal_deduction": "appraisal deduction",
        "issue": "Issue",
        "dismiss": "Dismiss",
        "extensions": "Extension requests",
        "proposed": "Proposed",
        "approve": "Approve",
        "refuse": "Refuse",
        "decided": "decided",
        "listings": "Listed major hazards",
        "assessment": "Assessment",
        "select_indicator": "Select an indicator to see its deductions and evidence.",
        "illustrative": "illustrative indicator tree",
        "request_extension": "Request an extension",
        "issue_order": "Issue a rectification order",
        "lookback": "Looking back (reviews of pilot units)",
        "reviewed_on": "Reviewed",
        "open_items": "Open items",
        "gap": "gap",
        "cause": "cause",
        "measure": "measure",
        "owner": "owner",
        "by": "by",
        "title": "Title",
        "report_written": "report written to",
        "evidence": "Evidence",
        "evidence.none": "no evidence attached yet (a: attach)",
        "role.before": "before",
        "role.after": "after",
        "role.evidence": "evidence",
        "role.signed_receipt": "signed receipt",
        "role.document": "document",
        "photo.not_here": "[thumbnail not on this laptop yet: it comes with the next sync]",
        "photo.no_graphics": "[no picture: this terminal shows no graphics; 'safecity attachment get' copies the file out]",
        "photo.on_server": "on the server",
        "photo.enter_fetches": "Enter fetches the full photo from the district server",
        "photo.fetching": "fetching the photo from the district server ...",
        "photo.fetched": "photo fetched",
        "photo.not_on_server": "the server does not have this photo yet: the laptop that took it has not synced",
        "attach.title": "Attach evidence",
        "attach.inbox": "Inbox",
        "attach.no_inbox": "none set ([photos] inbox in the settings file)",
        "attach.path": "or type a file's path (ctrl+o browses)",
        "attach.keys": "space: mark   enter: attach the marked (or the highlighted)   ctrl+o: browse   esc: cancel",
        "attach.no_preview": "(no preview for this type; it is checked when attached)",
        "attach.nothing": "choose a file: mark photos in the inbox, or type or browse for a path",
        "attach.done": "attached",
        "attach.to_hazard": "the hazard",
        "attach.to_progress": "the latest progress note",
        "attach.to_verification": "the latest verification",
        "attach.record_first": "record the item's result first (p, f or n), then attach its photo",
        "photos.sending": "photos",
    },
    "zh": {
        "evidence": "佐证材料",
        "evidence.none": "尚无佐证材料（a：添加）",
        "role.before": "整改前",
        "role.after": "整改后",
        "role.evidence": "佐证",
        "role.signed_receipt": "签收回执",
        "role.document": "文件",
        "photo.not_here": "[缩略图尚未到本机：下次同步时下载]",
        "photo.no_graphics": "[此终端不能显示图片；可用 'safecity attachment get' 导出文件]",
        "photo.on_server": "在服务器上",
        "photo.enter_fetches": "按回车从区服务器下载原图",
        "photo.fetching": "正在从区服务器下载照片……",
        "photo.fetched": "照片已下载",
        "photo.not_on_server": "服务器还没有这张照片：拍摄它的电脑尚未同步",
        "attach.title": "添加佐证材料",
        "attach.inbox": "照片收件夹",
        "attach.no_inbox": "未设置（在设置文件的 [photos] inbox 中设置）",
        "attach.path": "或输入文件路径（ctrl+o 浏览）",
        "attach.keys": "空格：标记   回车：添加标记的（或高亮的）   ctrl+o：浏览   esc：取消",
        "attach.no_preview": "（此类型无预览；添加时会检查）",
        "attach.nothing": "请选择文件：在收件夹中标记照片，或输入、浏览路径",
        "attach.done": "已添加",
        "attach.to_hazard": "隐患本身",
        "attach.to_progress": "最近一条整改进展",
        "attach.to_verification": "最近一次复查",
        "attach.record_first": "请先记录该项结果（p、f 或 n），再添加照片",
        "photos.sending": "照片",
        "records.filter": "筛选：行中须同时出现的词（区域、单位、步骤）",
        "not_enrolled_hint": "本机尚未登记；运行 'safecity init' 连接区服务器",
        "synced": "已同步",
        "sent": "上传",
        "received": "下载",
        "go_to": "前往",
        "lookback_short": "回头看",
        "palette.go": "打开此页面",
        "palette.sync": "立即同步",
        "palette.sync_help": "上传本机修改并下载办公室的修改",
        "palette.language": "Language: English",
        "palette.language_help": "全部标签切换为英文（保存到设置）",
        "settings_not_saved": "语言已切换，但无法写入设置文件",
        "confirm.void": "作废此隐患？它将从所有待办列表中移除。",
        "mark_first": "请先用空格键标记行",
        "not_applied": "未执行",
        "choose_action": "选择操作",
        "action": "操作",
        "choose_action_first": "请先选择要执行的操作",
        "param.deadline": "整改期限（YYYY-MM-DD）",
        "param.rectifier": "整改责任人",
        "param.note": "整改说明",
        "param.opinion": "复查意见",
        "param.reason": "原因",
        "param.responsibility": "五落实：责任",
        "param.measures": "五落实：措施",
        "param.funds": "五落实：资金",
        "param.time_limit": "五落实：时限",
        "param.contingency_plan": "五落实：预案",
        "address": "地址",
        "pick_unit": "新建隐患：哪个单位？（输入名称、地址或信用代码）",
        "picker.keys": "输入以搜索   回车：选择   j/k：移动   esc：取消",
        "new_hazard_at": "新建隐患：",
        "proposed_deadline": "建议整改期限（YYYY-MM-DD，可不填）",
        "items_unanswered": "项尚无结果",
        "form.keys": "回车：下一项（最后一项：保存）   ctrl+s：保存   esc：取消",
        "form.discard": "放弃此表单中已输入的内容？",
        "confirm.keys": "y：是   n / esc：否",
        "app.title": "安全城市",
        "undo.done": "已撤销",
        "undo.syncing": "正在同步；同步结束后再撤销",
        "triage": "隐患分诊",
        "hazard": "隐患",
        "units": "责任单位",
        "inspections": "检查",
        "conflicts": "冲突",
        "rejected": "被拒绝的修改",
        "log.alarm": "警报：区级服务器上的记录被改写（见 safecity status；本机保留自己的副本）",
        "help": "帮助",
        "status": "状态",
        "grade": "等级",
        "unit": "单位",
        "area": "区域",
        "deadline": "整改期限",
        "overdue": "逾期",
        "description": "描述",
        "location": "位置",
        "rectifier": "整改责任人",
        "found": "发现",
        "history": "历史",
        "responsibility": "责任人（发现时冻结）",
        "progress": "整改反馈",
        "verifications": "复查",
        "online": "在线",
        "offline": "离线",
        "not_enrolled": "单机",
        "pending": "待同步",
        "last_sync": "上次同步",
        "never": "从未",
        "syncing": "同步中…",
        "view.open": "全部未销号",
        "view.mine": "我的",
        "view.overdue": "逾期",
        "view.week": "本周到期",
        "view.awaiting": "待复查",
        "view.major": "重大",
        "filter": "筛选：文字, status:状态 grade:等级 area:区域",
        "hazards": "条隐患",
        "marked": "已选",
        "sorted_by": "排序：",
        "moved_out": "条记录已移出您的区域：区办公室把其单位调到了其他区域",
        "at": "时间",
        "inspection.summary": "已检查 {done}/{items} 项，不合格 {failed} 项",
        "final": "已办结，无后续操作",
        "marks_cleared": "已取消标记：列表已变化",
        "plan": "计划",
        "risk": "风险",
        "open_hazards": "未销号隐患",
        "past_inspections": "历次检查",
        "search_units": "搜索单位",
        "today_tasks": "今日任务（回车：开始或继续）",
        "checklist": "检查表",
        "result": "结果",
        "note": "备注",
        "summary": "小结",
        "base": "原值",
        "mine": "我的",
        "theirs": "对方",
        "reason": "理由",
        "field": "字段",
        "record": "记录",
        "preview": "预览",
        "apply": "执行",
        "cancel": "取消",
        "save": "保存",
        "allowed": "将执行",
        "refused": "不允许",
        "days": "天",
        "none": "无",
        "dashboard": "态势总览",
        "trend.found": "每月发现",
        "trend.closed": "每月销号",
        "trend.overdue": "月末逾期（含往期发现）",
        "kpi.overdue_found": "本季发现中逾期",
        "kpi.backlog": "当前逾期（全部）",
        "scale": "刻度",
        "fig.found": "发现",
        "fig.major": "重大",
        "fig.closed": "销号",
        "fig.rectified": "已整改",
        "fig.on_time": "按期",
        "fig.overdue": "逾期",
        "fig.rate": "整改率",
        "fig.escalations": "问责",
        "listed": "挂牌督办",
        "proposals": "待定问责",
        "extensions_waiting": "待批延期",
        "escalations": "问责建议",
        "step": "措施",
        "step.reminder": "提醒",
        "step.supervision_letter": "督办函",
        "step.summons": "约谈",
        "step.public_criticism": "通报批评",
        "step.appraisal_deduction": "考核扣分",
        "issue": "发出",
        "dismiss": "不予问责",
        "extensions": "延期申请",
        "proposed": "申请期限",
        "approve": "批准",
        "refuse": "不批准",
        "decided": "已决定",
        "listings": "挂牌督办重大隐患",
        "assessment": "示范城市评价",
        "select_indicator": "选择指标以查看扣分及依据。",
        "illustrative": "指标体系为示意",
        "request_extension": "申请延期",
        "issue_order": "下达责令限期整改指令书",
        "lookback": "回头看",
        "reviewed_on": "日期",
        "open_items": "未完成",
        "gap": "差距",
        "cause": "原因",
        "measure": "措施",
        "owner": "负责人",
        "by": "申请人",
        "title": "标题",
        "report_written": "报告已保存到",
    },
}

STATUS_ZH = {
    "reported": "已上报",
    "rectifying": "整改中",
    "awaiting_verification": "待复查",
    "closed": "已销号",
    "void": "已作废",
    # tasks
    "planned": "待检查",
    "in_progress": "检查中",
    "done": "已完成",
    "wont_do": "不予检查",
    "missed": "已错过",
}
GRADE_ZH = {"general": "一般", "major": "重大"}
ACTION_ZH = {
    "order": "责令整改",
    "fix_on_spot": "立即整改",
    "submit": "提交整改",
    "pass": "复查通过",
    "fail": "复查不通过",
    "void": "作废",
    # an escalation proposal's decision (the office's batch of marked proposals)
    "issue": "升级",
    "dismiss": "不升级",
}

_language = "en"


def set_language(language: str) -> None:
    global _language
    if language not in LABELS:
        raise ValueError(f"language must be one of {', '.join(LABELS)}")
    _language = language


def language() -> str:
    return _language


def t(key: str) -> str:
    return LABELS[_language].get(key) or LABELS["en"].get(key, key)


def status_label(status: str) -> str:
    return STATUS_ZH.get(status, status) if _language == "zh" else status.replace("_", " ")


KIND_LABELS = {
    "en": {
        "main": "main responsibility",
        "territorial": "territorial management",
        "sector_supervision": "sector supervision",
        "comprehensive_supervision": "comprehensive supervision",
    },
    "zh": {
        "main": "主体责任",
        "territorial": "属地管理责任",
        "sector_supervision": "行业监管责任",
        "comprehensive_supervision": "综合监管责任",
    },
}
"""A responsibility person's kind (四方责任), as a person says it."""


def kind_label(kind: str) -> str:
    return KIND_LABELS[_language].get(kind, kind.replace("_", " "))


def local_time(stamp: str | None) -> str:
    """A stored UTC time (`2026-11-29T10:00:00Z`) as the laptop's local time, to the minute."""
    if not stamp:
        return "-"
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        return stamp
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def shown_value(value: object) -> str:
    """A recorded value as a person reads it: JSON objects as `key: value; ...`, no quotes or escapes."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            value = json.loads(value)
        except ValueError:
            pass
    if isinstance(value, dict):
        return "; ".join(
            f"{t(f'param.{k}') if f'param.{k}' in LABELS['en'] else k}: {shown_value(v)}" for k, v in value.items()
        )
    if isinstance(value, list):
        return ", ".join(shown_value(v) for v in value)
    return "-" if value is None or value == "" else str(value)


def action_label(action: str) -> str:
    return ACTION_ZH.get(action, action) if _language == "zh" else action.replace("_", " ")


def grade_label(grade: str) -> str:
    return GRADE_ZH.get(grade, grade) if _language == "zh" else grade


TABLE_ZH = {"hazard": "隐患", "inspection": "检查", "inspection_result": "检查项", "unit": "单位"}


def table_label(table: str) -> str:
    return TABLE_ZH.get(table, table) if _language == "zh" else table.replace("_", " ")
