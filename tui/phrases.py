"""The app's words that are not screen labels: the domain's refusals, form fields and key names.

Who calls this: every screen that shows a `DomainError` (`user_message`), the forms
(`field_label`), the footer and help (`key_label`). Labels of screens live in `tui.i18n`.

A refusal is written once, in English, where the rule lives (`schema/`). Its Chinese is keyed
here by the sentence's template, the English with `{}` where the f-string puts a value, and the
Chinese names the values by position (`{0}`), since Chinese often orders them differently.
`tests/tui/test_phrases.py` reads every refusal the app can meet out of the source and fails when
one has no Chinese here, so a new rule cannot ship half translated. Values that are codes
(statuses, grades, actions, fields) are shown in the same language as the sentence around them.
"""

from __future__ import annotations

import re
import sqlite3
from functools import cache

from tui.i18n import ACTION_ZH, GRADE_ZH, STATUS_ZH, language

ERRORS_ZH: dict[str, str] = {
    # the signed log (sync/laptop/chain.py)
    "the district server's record was rewritten: {}; this laptop keeps its own copy": "区级服务器上的记录被改写：{0}；本机保留自己的副本",
    # evidence (schema/attachments.py, schema/evidence.py, schema/settings.py)
    "a signed receipt is attached to a rectification order": "签收回执应附在整改通知书上",
    "a void hazard takes no more evidence": "已作废的隐患不再添加佐证材料",
    "cannot read {}: {}": "无法读取 {0}：{1}",
    "give at least one file to attach": "请至少选择一个要添加的文件",
    "no attachment with id {}": "没有编号为 {0} 的附件",
    "no file {}": "没有文件 {0}",
    "no record with id {} to attach to (a hazard, progress note, verification, inspection item, rectification order or look-back item)": (
        "没有编号为 {0} 的可附加记录（隐患、整改进展、复查、检查项、整改通知书或回头看事项）"
    ),
    "role must be one of {}; got {}": "用途应为 {0} 之一；收到 {1}",
    "{} has too many pixels to be a photo": "{0} 像素过多，不像是照片",
    "{} is a HEIC photo and this SafeCity cannot read HEIC (install pillow-heif), or export the photo as JPEG": (
        "{0} 是 HEIC 照片，本机无法读取（请安装 pillow-heif），或将照片导出为 JPEG"
    ),
    "{} is empty": "{0} 是空文件",
    "{} is not a file": "{0} 不是文件",
    "{} is not a photo (JPEG, PNG, WebP, HEIC) or a PDF document; only those are attached": (
        "{0} 不是照片（JPEG、PNG、WebP、HEIC）或 PDF 文件；只能添加这些"
    ),
    "{} is still larger than {} MB when downscaled": "{0} 缩小后仍大于 {1} MB",
    "{} is {} MB; documents up to {} MB are attached": "{0} 为 {1} MB；文件最大 {2} MB",
    "{} is {} MB; photos up to {} MB are attached": "{0} 为 {1} MB；照片最大 {2} MB",
    "{} looks like a photo but cannot be read ({})": "{0} 看似照片但无法读取（{1}）",
    "attachment.media_type must be one of {}": "附件类型应为 {0} 之一",
    "attachment.thumb_sha256 and thumb_size go together": "附件的缩略图哈希与大小须同时给出",
    "attachment.{} must be 64 lowercase hexadecimal digits (a SHA-256)": "附件的 {0} 应为 64 位小写十六进制数（SHA-256）",
    "attachment.{} must be from 1 to {} bytes": "附件的 {0} 应在 1 到 {1} 字节之间",
    "the district requires a photo of the rectification to pass a verification: attach an 'after' photo first": (
        "本区要求复查通过须有整改后照片：请先添加“整改后”照片"
    ),
    "the district requires a photo of the hazard as found to record a fix on the spot: attach a 'before' photo first": (
        "本区要求当场整改须有整改前照片：请先添加“整改前”照片"
    ),
    "no setting {}; settings are {}": "没有设置项 {0}；设置项有 {1}",
    "{} is 'on' or 'off'; got {}": "{0} 应为 on 或 off；收到 {1}",
    "attachments need a database file (not one in memory)": "附件需要数据库文件（不能是内存数据库）",
    # hazards and their lifecycle (schema/hazards.py, schema/rules.py)
    "a hazard needs a description": "请填写隐患描述",
    "the deadline {} and the five implementations' time limit ({}, that is {}) disagree; make them the same": (
        "整改期限 {0} 与五落实中的时限（{1}，即 {2}）不一致，请改为一致"
    ),
    "the deadline moves only by an order, a failed verification or an approved extension": (
        "整改期限只能通过责令整改、复查不通过或批准延期来变更"
    ),
    "cannot edit {} of a hazard": "隐患的“{0}”不能修改",
    "nothing to change: name at least one field to edit": "没有要修改的内容：请至少修改一项",
    "{} {} is in the past; give a date from {} on": "{0} {1} 已过，请填写 {2} 或之后的日期",
    "unknown action {}; actions are {}": "未知操作 {0}；可用操作：{1}",
    "cannot {} a hazard that is {}: {} applies to {} hazards ({})": "“{1}”的隐患不能{0}：{2}只适用于{3}的隐患（{4}）",
    "to {}, give {}": "{0}需要填写：{1}",
    "a {} hazard is not edited; a recurrence is a new hazard linked to it": "{0}的隐患不再修改；复发请新建隐患并关联",
    "a major hazard cannot be ordered without its five implementations (五落实); missing: {}": (
        "重大隐患须先落实五落实才能责令整改；缺少：{0}"
    ),
    # inspections (schema/inspections.py)
    "item {} is not on this inspection's checklist (its items: {})": "检查项 {0} 不在本次检查表中（检查项：{1}）",
    "name the unit (or the task) to inspect": "请选择要检查的单位（或任务）",
    "this inspection is finished; its record can no longer change": "本次检查已结束，记录不能再修改",
    "an item is passed, failed or not applicable (pass, fail, na), not {}": "检查项结果只能是合格、不合格或不适用，不能是 {0}",
    "no inspection {}": "没有检查 {0}",
    "there is no checklist for the {} industry yet; the office imports one ('safecity import criteria')": (
        "{0}行业还没有检查表；请区办公室导入检查表"
    ),
    "a hazard is raised from a failed item; fail the item first": "隐患由不合格的检查项产生；请先将该项判为不合格",
    "{} of {} items have no result yet: {}": "{1}项中有{0}项尚无结果：{2}",
    "that task is for another unit": "该任务属于另一个单位",
    "this task is {}; it cannot be inspected again": "该任务状态为{0}，不能再次检查",
    "item {} has no result yet; pass, fail or mark it n/a first": "检查项 {0} 尚无结果；请先判定合格、不合格或不适用",
    # escalations, extensions, orders, looking back (schema/office/)
    "{} an escalation needs a reason": "{0}升级需要填写理由",
    "no escalation is proposed for hazard {} today (it is not overdue, or its step was already decided)": (
        "今天没有针对隐患 {0} 的升级建议（未逾期，或该步骤已处理）"
    ),
    "the step proposed for this hazard is {}, not {}": "该隐患建议的升级步骤是{0}，不是{1}",
    "an extension request needs a reason": "延期申请需要填写理由",
    "a refusal needs a note saying why": "不批准需要说明理由",
    "only a hazard under rectification can be extended; this one is {}": "只有整改中的隐患可以延期；该隐患状态为{0}",
    "extension {} of this hazard is still waiting for a decision": "该隐患的延期申请 {0} 尚待审批",
    "the proposed deadline {} must be after the current one, {}": "申请的期限 {0} 必须晚于当前期限 {1}",
    "the proposed deadline {} is in the past": "申请的期限 {0} 已过",
    "an extension may give at most {} days from the later of today and the current deadline: {} at the latest": (
        "延期自今天与当前期限中较晚者起最多{0}天：最晚 {1}"
    ),
    "extension {} was already {}": "延期申请 {0} 已{1}",
    "{} is not a working day; the next working day is {}": "{0} 不是工作日；下一个工作日是 {1}",
    "the hazard is {} now; there is no deadline to extend": "该隐患现为{0}，没有可延长的期限",
    "a look-back review needs a title": "回头看需要标题",
    "a look-back item needs the gap it found (--gap)": "回头看事项需要写明发现的差距",
    "status must be one of {}; got {}": "状态必须是 {0} 之一；收到的是 {1}",
    "nothing to change: give a status, evidence or a measure": "没有要修改的内容：请填写状态、佐证或措施",
    "no look-back review with id {}": "没有编号为 {0} 的回头看",
    "no area with code {}": "没有代码为 {0} 的区域",
    "an item is done only with evidence that the measure was carried out": "须有措施已落实的佐证，事项才能完成",
    "unit {} is in {}, not in {}": "单位 {0} 属于 {1}，不属于 {2}",
    "a recurrence names the closed hazard that came back (--hazard ID)": "复发须指明复发的已销号隐患",
    "hazard {} is {}, not closed; follow it up instead of reporting a recurrence": "隐患 {0} 为{1}，未销号；请继续跟进，不要按复发上报",
    "this laptop has no rectification-order numbers left for {}; sync once with the district server to reserve a new block": (
        "本机 {0} 的整改通知书编号已用完；请与区服务器同步一次以领取新号段"
    ),
    "an order needs at least one hazard (--hazard ID)": "整改通知书至少包含一项隐患",
    "the same hazard is named twice": "同一隐患列了两次",
    "deadline {} is in the past; give a date from {} on": "整改期限 {0} 已过，请填写 {1} 或之后的日期",
    "the {} date {} is in the future": "{0}日期 {1} 在将来",
    "the {} date {} is before {}": "{0}日期 {1} 早于 {2}",
    "no rectification order with id {}": "没有编号为 {0} 的整改通知书",
    "an order is addressed to one unit; these hazards belong to several units": "一份整改通知书只发给一个单位；这些隐患属于多个单位",
    "the rectification deadline {} has passed; an overdue hazard needs an approved extension before a new order": (
        "整改期限 {0} 已过；逾期隐患须先获批延期才能再次责令整改"
    ),
    "record when the order was served before recording its signature": "请先记录送达时间，再记录签收",
    "hazard {} is {}; only reported or rectifying hazards are ordered to be rectified": "隐患 {0} 为{1}；只有已上报或整改中的隐患可以责令整改",
    "hazard {} is already under rectification by {}; its deadline moves only by an approved extension": (
        "隐患 {0} 已在整改中（期限 {1}）；期限只能通过批准延期变更"
    ),
    "reports are per town or zone, or the whole district; {} is a {}": "报表按街镇或园区，或全区；{0} 是{1}",
    "reports are by area or by unit; got {}": "报表按区域或按单位；收到的是 {0}",
    "only a supervisor or admin can {}; this laptop is enrolled as {}": "只有科室负责人或管理员可以{0}；本机登记的角色是{1}",
    # lists, filters, periods (schema/queries.py, schema/periods.py)
    "a period is written 2026, 2026Q3 or 2026-09; got {}": "期间写作 2026、2026Q3 或 2026-09；收到的是 {0}",
    "month must be 01 to 12; got {}": "月份必须是 01 到 12；收到的是 {0}",
    "no area called {}; areas are named like 新河街道, Xinhe or xinhe": "没有名为 {0} 的区域；区域可写作 新河街道、Xinhe 或 xinhe",
    "no hazard with id {}": "没有编号为 {0} 的隐患",
    "no unit {}": "没有单位 {0}",
    "{} fits several areas: {}; give more of the name or the code": "{0} 对应多个区域：{1}；请写全名称或代码",
    "status must be open or one of {}; got {}": "状态必须是 open 或 {0} 之一；收到的是 {1}",
    # the one write path (schema/tables.py, schema/writes.py)
    "unknown table {}": "未知的表 {0}",
    "{} has no field {} that can be set": "{0}没有可设置的字段 {1}",
    "{}.{} must be text or a number, not {}": "{0}.{1} 必须是文字或数字，不能是 {2}",
    "{}.{} must be {}; got {}": "{0}.{1} 必须是 {2}；收到的是 {3}",
    "{}.{} must be one of {}; got {}": "{0}.{1} 必须是 {2} 之一；收到的是 {3}",
    "a new {} needs {}": "新建{0}需要：{1}",
    "{} must be a date written YYYY-MM-DD; got {}": "{0} 必须是 YYYY-MM-DD 格式的日期；收到的是 {1}",
    "{}.{} is required": "{0}.{1} 必填",
    "no {} with id {}": "没有编号为 {1} 的{0}",
    "{} records are never edited; add a new one instead": "{0}记录不能修改；请新增一条",
    "{} records are not deleted": "{0}记录不能删除",
    "cannot add {}: {}": "无法新增{0}：{1}",
    "cannot change {}: {}": "无法修改{0}：{1}",
    # undo and conflicts (schema/undo.py, sync/laptop/conflicts.py)
    "there is nothing to undo": "没有可撤销的操作",
    "the last action has already been sent to the district server; change it instead": "上一操作已发送到区服务器，请另行修改",
    "a conflict's resolution is not undone; resolve it again if it was wrong": "冲突处理不可撤销；如有误请重新处理",
    "the record has changed since (a sync or another edit); change it instead": "记录此后已变化（同步或其他修改），请另行修改",
    "--keep must be mine or theirs": "只能保留本机或服务器的版本",
    "no conflict with id {}": "没有编号为 {0} 的冲突",
    "conflict {} is already resolved (kept {})": "冲突 {0} 已处理（保留了 {1}）",
    "the {} was deleted on the server; record it again instead": "该{0}已在服务器上删除；请重新记录",
    # who may do what, and the limits of values (schema/authority.py), met when a sync is refused
    "{}.{} must be text; got {}": "{0}.{1} 必须是文字；收到的是 {2}",
    "a hazard cannot go from {} to {}": "隐患不能从{0}变为{1}",
    "a hazard is closed only by a passed verification": "隐患只能经复查通过销号",
    "a hazard is reported first; it moves on only by the lifecycle's actions": "隐患须先上报，此后只能按流程操作推进",
    "a listing is lifted when its hazard is closed": "隐患销号后才能摘牌",
    "a major hazard is listed when it is ordered to be rectified": "重大隐患在责令整改时挂牌",
    "a new hazard is neither closed nor void": "新隐患不能是已销号或已作废",
    "a task is done when its inspection is recorded": "检查记录完成后任务才算完成",
    "an inspector does not set a task to {}; the office does": "检查员不能把任务设为{0}；由区办公室决定",
    "only a hazard under rectification can be extended": "只有整改中的隐患可以延期",
    "only a major hazard is listed for supervision": "只有重大隐患挂牌督办",
    "only the district office may do this: {}": "只有区办公室可以这样做：{0}",
    "only the district office may downgrade a major hazard": "只有区办公室可以把重大隐患降为一般",
    "tasks are assigned by the office": "任务由区办公室分派",
    "the hazard is {}; closed and void hazards are not edited": "该隐患为{0}；已销号或已作废的隐患不能修改",
    "{}.{} holds a NUL character": "{0}.{1} 含有空字符",
    "{}.{} is not valid JSON": "{0}.{1} 不是有效的 JSON",
    "{}.{} is too large a number": "{0}.{1} 的数字过大",
    "{}.{} is {} characters; at most {} are kept": "{0}.{1} 有 {2} 个字符，最多 {3} 个",
    "{}.{} must be a number": "{0}.{1} 必须是数字",
    "{}.{} must be text or a number, not a true/false value": "{0}.{1} 必须是文字或数字，不能是真/假值",
    "{}.{} must be {} of plain values": "{0}.{1} 必须是由简单值组成的{2}",
    "{}.{} {} is not a plausible date": "{0}.{1} {2} 不是合理的日期",
    # sync, met by the status line (sync/laptop/client.py)
    "cannot reach the district server at {}: {}": "无法连接区服务器 {0}：{1}",
    "the server answered a push with results for other changes; try again": "服务器返回的结果与上传的修改不符，请重试",
    "the server answered a push with the wrong number of results; try again": "服务器返回的结果数量不对，请重试",
    # enrolment, met by the status line (sync/laptop/enrolment.py)
    "this database is not enrolled; run 'safecity init --server URL --token TOKEN'": "本机尚未登记到区服务器（safecity init）",
    "no device token at {}; run 'safecity init --server URL --token TOKEN'": "{0} 没有设备令牌（safecity init）",
}
"""The Chinese of every refusal the app can show, by its English template."""

SOURCES = (
    "schema/hazards.py",
    "schema/rules.py",
    "schema/inspections.py",
    "schema/office/escalations.py",
    "schema/office/extensions.py",
    "schema/office/lookback.py",
    "schema/office/orders.py",
    "schema/office/reports.py",
    "schema/office/roles.py",
    "schema/queries.py",
    "schema/periods.py",
    "schema/tables.py",
    "schema/writes.py",
    "schema/undo.py",
    "sync/laptop/conflicts.py",
    "sync/laptop/client.py",
    "schema/authority.py",
    "schema/attachments.py",
    "schema/evidence.py",
    "schema/settings.py",
    "schema/store/files.py",
    "sync/laptop/files.py",
    "sync/laptop/errors.py",
)
"""The modules whose refusals reach the app's screens (the test reads them). Those of import files,
assessment files, database files and server accounts are met on the command line, in English."""

FIELDS: dict[str, dict[str, str]] = {
    "en": {
        "deadline": "deadline (YYYY-MM-DD)",
        "rectifier": "rectifier",
        "note": "note",
        "opinion": "opinion",
        "reason": "reason",
        "description": "description",
        "location": "location",
        "grade": "grade (general / major)",
        "responsibility": "五落实 responsibility",
        "measures": "五落实 measures",
        "funds": "五落实 funds",
        "time_limit": "五落实 time limit",
        "contingency_plan": "五落实 contingency plan",
        "summary": "summary",
        "evidence": "evidence",
        "proposed_deadline": "proposed deadline (YYYY-MM-DD)",
    },
    "zh": {
        "deadline": "整改期限（YYYY-MM-DD）",
        "rectifier": "整改责任人",
        "note": "备注",
        "opinion": "复查意见",
        "reason": "理由",
        "description": "隐患描述",
        "location": "位置",
        "grade": "等级（general 一般 / major 重大）",
        "responsibility": "五落实：责任",
        "measures": "五落实：措施",
        "funds": "五落实：资金",
        "time_limit": "五落实：时限",
        "contingency_plan": "五落实：预案",
        "summary": "检查小结",
        "evidence": "佐证",
        "proposed_deadline": "申请期限（YYYY-MM-DD）",
    },
}

KEYS_ZH: dict[str, str] = {
    "Attach photo": "添加照片",
    "Photos": "照片",
    "Browse files": "浏览文件",
    "Attach": "添加",
    "Assessment": "考核",
    "Commands": "命令",
    "Conflicts": "冲突",
    "Dashboard": "总览",
    "Escalations": "升级",
    "Extensions": "延期",
    "Help": "帮助",
    "Inspections": "检查",
    "Listings": "挂牌",
    "Looking back": "回头看",
    "Quit": "退出",
    "Rejected": "被拒",
    "Sync": "同步",
    "Triage": "隐患",
    "Undo": "撤销",
    "Units": "单位",
    "Back": "返回",
    "No": "否",
    "Yes": "是",
    "Keep mine": "保留本机",
    "Keep theirs": "保留服务器",
    "Export HTML report": "导出报表",
    "Dismiss": "不升级",
    "Issue": "升级",
    "Approve": "批准",
    "Refuse": "不批准",
    "Cancel": "取消",
    "Save": "保存",
    "Edit": "修改",
    "Request extension": "申请延期",
    "Fail": "不合格",
    "Fix on spot": "立即整改",
    "Order": "责令整改",
    "Order document": "整改通知书",
    "Pass": "合格",
    "Submit": "提交整改",
    "Void": "作废",
    "Close help": "关闭帮助",
    "Back (resume later)": "返回（稍后继续）",
    "Finish": "结束检查",
    "Not applicable": "不适用",
    "Note": "备注",
    "Down": "下移",
    "First row": "第一行",
    "Last row": "最后一行",
    "Mark": "标记",
    "Open": "打开",
    "Page down": "下一页",
    "Page up": "上一页",
    "Up": "上移",
    "New review": "新建回头看",
    "Filter": "筛选",
    "Done (with evidence)": "完成（附佐证）",
    "New item": "新增事项",
    "Act on marked": "批量处理",
    "Clear filter": "清除筛选",
    "New hazard": "新隐患",
    "Awaiting verification": "待复查",
    "Major": "重大",
    "Mine": "我的",
    "All open": "全部未销号",
    "Overdue": "逾期",
    "Due this week": "本周到期",
    "Inspect here": "在此检查",
    "New hazard here": "在此报隐患",
    "Search": "搜索",
    "Sort": "排序",
    "Issue marked": "批量升级",
    "Dismiss marked": "批量不升级",
    "palette": "命令面板",
}
"""The Chinese of every key's description in the footer and in help, by its English."""


_AREAS: dict[str, tuple[str, str]] = {}
"""Area code -> (Chinese name, English name), as last read from the laptop's database."""


def load_areas(conn: sqlite3.Connection) -> None:
    """Read the areas' names (at start and after a sync: the office may add an area)."""
    rows = conn.execute("SELECT code, name_zh, name_en FROM area").fetchall()
    _AREAS.clear()
    _AREAS.update({code: (zh or code, en or code) for code, zh, en in rows})


def area_label(code: str | None) -> str:
    """An area as people call it (新河街道 / Xinhe), its code where the name is not known."""
    if not code:
        return "-"
    names = _AREAS.get(code)
    if names is None:
        return code
    return names[0] if language() == "zh" else names[1]


def key_label(description: str) -> str:
    """A key's description in the app's language."""
    return KEYS_ZH.get(description, description) if language() == "zh" else description


def field_label(name: str) -> str:
    """A form field's label in the app's language (the field's own name where none is written)."""
    labels = FIELDS[language()] if language() in FIELDS else FIELDS["en"]
    return labels.get(name) or FIELDS["en"].get(name) or name.replace("_", " ")


PHRASES_ZH = {
    # schema.rules.ACTION_WORDS and NEEDS: the words of "to void a hazard, give the reason"
    "order rectification": "责令整改",
    "record a fix on the spot": "记录立即整改",
    "submit the rectification": "提交整改",
    "pass the verification": "复查通过",
    "fail the verification": "复查不通过",
    "void a hazard": "作废隐患",
    "a note of what was done": "整改情况说明",
    "the verifier's opinion": "复查意见",
    "a new deadline": "新的整改期限",
    "the reason": "理由",
    # schema/authority.MATRIX: why a change is the office's
    "areas are the district's reference data": "区域是全区的基础数据",
    "checklists are published by the office": "检查表由区办公室发布",
    "checklist items are published by the office": "检查项由区办公室发布",
    "plans are the office's": "计划由区办公室制定",
    "escalation is the office's decision": "问责升级由区办公室决定",
    "the assessment is the office's": "考核由区办公室负责",
    "the holiday calendar is the office's": "节假日安排由区办公室维护",
    "the district's settings are the office's": "全区设置由区办公室决定",
    "moving a unit to another area is the office's decision": "单位调整区域由区办公室决定",
    "moving a look-back review to another area is the office's decision": "回头看调整区域由区办公室决定",
    "approving or refusing an extension is the office's decision": "批准或不批准延期由区办公室决定",
    "tasks are withdrawn by the office": "任务由区办公室撤销",
    "tasks are assigned by the office": "任务由区办公室分派",
    "a task's due date is set by the office": "任务期限由区办公室确定",
    "a task's unit is set by the office": "任务的单位由区办公室确定",
    "a task's plan is set by the office": "任务所属计划由区办公室确定",
    "a list": "列表",
    "an object": "对象",
    # sync/laptop/client.py: why the server could not be reached
    "connection refused or no network": "连接被拒绝或没有网络",
    "no answer in time": "服务器未及时应答",
    "the server's answer was cut short": "服务器的应答不完整",
}
"""Phrases the domain puts into its sentences, by their English."""


def _value_zh(value: str) -> str:
    """A code or phrase inside a sentence (`rectifying`, `major`, `pass`, `the reason`) in Chinese."""
    if " and " in value and all(part in PHRASES_ZH for part in value.split(" and ")):
        return "、".join(PHRASES_ZH[part] for part in value.split(" and "))
    if value in PHRASES_ZH:
        return PHRASES_ZH[value]
    for table in (STATUS_ZH, GRADE_ZH, ACTION_ZH):
        if value in table:
            return table[value]
    name = value.strip("'\"")
    if name in FIELDS["zh"]:
        return FIELDS["zh"][name].split("（")[0]
    return value


@cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    # The most specific template first: "{} must be a date ..." before "{}.{} must be {}; got {}".
    for english, chinese in sorted(ERRORS_ZH.items(), key=lambda item: -len(item[0].replace("{}", ""))):
        pieces = [re.escape(piece) for piece in english.split("{}")]
        patterns.append((re.compile("(.+?)".join(pieces) + r"\Z", re.DOTALL), chinese))
    return patterns


def user_message(err: Exception) -> str:
    """A domain refusal in the app's language."""
    text = str(err)
    if language() != "zh":
        return text
    for pattern, chinese in _patterns():
        found = pattern.match(text)
        if found:
            return chinese.format(*(_value_zh(v) for v in found.groups()))
    return text
