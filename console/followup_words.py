"""The console's words for follow-up calls and the team's reply (Chinese, English)."""
# ruff: noqa: E501  (sentences read better whole)

from __future__ import annotations

from console.i18n import CATALOGUE

WORDS: dict[str, tuple[str, str]] = {
    "new_info": ("有新补充", "new information"),
    "additions": ("来电人补充留言", "Added by the caller"),
    "addition_at": ("{when} 补充，{length}", "added {when}, {length}"),
    "addition_waiting": ("录音尚未确认", "recording not yet confirmed"),
    "reply_title": ("给来电人的回复", "Message for the caller"),
    "reply_warning": ("任何持有受理编号的人拨打热线都会听到这段回复。请勿写入姓名或可识别身份的内容。",
                      "Anyone who calls with this reference will hear this message. "
                      "Write nothing that names or identifies anyone."),
    "reply_language": ("朗读语言", "Read in"),
    "reply_save": ("保存回复", "Save the message"),
    "reply_replace": ("替换回复", "Replace the message"),
    "reply_by": ("{name} 于 {when} 写", "written by {name}, {when}"),
    "reply_heard": ("来电人已于 {when} 听取", "heard by the caller {when}"),
    "reply_not_heard": ("来电人尚未听取", "not heard yet"),
    "reply_saved": ("回复已保存，来电人下次查询时会听到。", "Saved: the caller hears it next time they call."),
    "reply_chars": ("最多 {n} 个字符", "at most {n} characters"),
    "fu_err_empty_reply": ("回复不能为空。", "The message needs some text."),
    "fu_err_bad_language": ("请选择热线的一种语言。", "Choose one of the line's languages."),
    "unmatched_title": ("编号不符的补充留言", "Messages with an unknown reference"),
    "unmatched_intro": ("数据库暂时不可用时，来电人输入的编号无法核对；这些留言的编号没有对应的举报，保留在此供核查。",
                        "These messages were left while the database could not be read, "
                        "and the reference the caller typed matches no report. They are "
                        "kept here for you to check."),
    "unmatched_note": ("有 {n} 条补充留言的编号没有对应的举报，请核查。",
                       "{n} added message(s) name a reference that matches no report: check them."),
    "unmatched_none": ("没有编号不符的留言。", "No such messages."),
    "typed_reference": ("来电人输入的编号", "Reference typed"),
    "ev_followup": ("按#键，查询受理编号", "pressed #: has a reference number"),
    "ev_followup_found": ("查到举报（编号 {report}），已读出办理情况",
                          "reached report #{report}: heard its state"),
    "ev_followup_not_found": ("编号未找到", "number not found"),
    "ev_followup_unreadable": ("数据库暂不可读，可补充留言", "state unreadable just now: may add a message"),
    "ev_followup_limit": ("该号码今日错误次数已满，返回主菜单",
                          "this number's wrong references today are used up: main menu"),
    "ev_add": ("选择补充留言", "chose to add a message"),
    "ev_added": ("补充留言已录音", "message added"),
    "act_reply_written": ("写给来电人的回复", "reply for the caller"),
    "act_followup_limited": ("查询编号错误次数已满", "follow-up limit reached"),
    "out_followed_up": ("查询跟进", "followed up"),
}
CATALOGUE.update(WORDS)
