"""The managers' daily report pages: each day's report, its delivery, and a re-send.

The pages are added to the console's blueprint (so they share its sign-in,
CSRF check, language choice and security headers) when console.init_app
imports this module. The figures are the e-mail's own (reports.figures and
reports.render.report_rows); the chart is the same PNG, inlined as a data: URI,
which the console's Content-Security-Policy allows for images.
"""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from campaign.model import Campaign
from console.auth import address, context, db, requires
from console.views import bp
from db import audit
from db.report_models import DailyReport
from reports.chart import render_chart
from reports.delivery import (
    DeliveryContext,
    DeliveryError,
    due_at,
    is_scheduled,
    needs_attention,
    reports_wanted,
    resend,
)
from reports.figures import DailyFigures, campaign_figures, report_language
from reports.mail import MailConfigError, SmtpSettings, parse_mail_from
from reports.render import report_rows

DAYS_LISTED = 14
# The words of these pages in Chinese and English (the console's catalogue has the rest).
WORDS: dict[str, tuple[str, str]] = {
    "daily_reports": ("每日报告", "Daily reports"),
    "day": ("日期", "Day"),
    "delivery": ("发送情况", "Delivery"),
    "so_far": ("活动至今", "Campaign so far"),
    "the_day": ("当日", "That day"),
    "state_sent": ("已发送", "sent"),
    "state_sending": ("发送中或中断", "sending, or interrupted"),
    "state_retrying": ("发送失败，将重试", "failed, will retry"),
    "state_failed": ("发送失败", "failed"),
    "state_none": ("尚未发送", "not sent"),
    "attention": ("发送中断已超过数分钟：请确认是否收到，必要时重新发送",
                  "stuck in sending for over a few minutes: check whether it arrived, "
                  "and send it again if not"),
    "attention_short": ("需要处理", "needs attention"),
    "as_sent": ("以下为 {moment} 发送的数字", "These are the figures as e-mailed at {moment}"),
    "show_current": ("查看当前数字", "show the current figures"),
    "showing_current": ("以下为当前数字", "These are the current figures"),
    "show_sent": ("查看已发送的数字", "show the figures as e-mailed"),
    "sent_early": ("已提前发送（截至 {until}）；{at} 的定时报告仍会发送。",
                   "Sent early (until {until}); the scheduled report still goes at {at}."),
    "attempts": ("尝试次数", "attempts"),
    "next_attempt": ("下次尝试", "next attempt"),
    "sent_at": ("发送时间", "sent at"),
    "last_error": ("错误", "error"),
    "resend": ("重新发送", "Send again"),
    "send": ("发送", "Send"),
    "recipients": ("收件人数", "recipients"),
    "resent": ("报告已发送。", "The report was sent."),
    "not_sent": ("报告未能发送：{error}", "The report was not sent: {error}"),
    "no_mail": ("未配置邮件服务器（HOTLINE_SMTP_URL、HOTLINE_MAIL_FROM）。",
                "No mail server is configured (HOTLINE_SMTP_URL, HOTLINE_MAIL_FROM)."),
    "no_campaigns": ("没有设置每日报告的热线活动。", "No campaign has a daily report set up."),
    "hourly": ("每小时来电（当地时间）", "Calls by hour (local time)"),
    "as_of": ("跟进情况截至 {moment}", "Follow-ups as of {moment}"),
    "chart": ("按小时来电及按类别举报", "Calls by hour and reports by category"),
    "f_calls": ("来电", "calls"),
    "f_answered": ("接听", "answered"),
    "f_turned_away": ("未接听（非接听时间等）", "turned away"),
    "f_gave_up_before_category": ("选择类别前挂断", "gave up before choosing a category"),
    "f_reports": ("举报", "reports"),
    "f_referred_reports": ("其中不属受理范围、待转交", "of which out of scope, to pass on"),
    "f_recordings_count": ("录音", "recordings"),
    "f_recordings_seconds_total": ("录音总秒数", "recorded seconds, total"),
    "f_recordings_seconds_median": ("录音秒数中位数", "recorded seconds, median"),
    "f_overdue_any": ("逾期（任一时限，只计一次）", "overdue (either clock, counted once)"),
    "f_overdue_acknowledgement": ("确认收悉已逾期", "acknowledgement overdue"),
    "f_overdue_feedback": ("反馈已逾期", "feedback overdue"),
}


def _t(key: str, **values: Any) -> str:
    pair = WORDS[key]
    text = pair[0] if g.get("lang", "zh") == "zh" else pair[1]
    return text.format(**values) if values else text


def _campaign(campaign_id: str) -> Campaign:
    campaign = context().campaigns.by_id.get(campaign_id)
    if campaign is None or not is_scheduled(campaign):
        abort(404)
    return campaign


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


def _label(campaign: Campaign, figure: str, key: str) -> str:
    """A row's label in the console's language; campaign labels from the campaign file."""
    language = "en" if g.get("lang") == "en" else campaign.default_language
    if figure == "outcome":
        return current_app.jinja_env.globals["_"](f"out_{key}")
    if figure == "follow_up":
        return current_app.jinja_env.globals["_"](f"fu_{key}")
    if figure == "category":
        found = campaign.category_by_id(key)
        return found.label.get(language, key) if found else key
    if figure == "subject":
        found_subject = campaign.subject_by_id(key)
        return found_subject.label.get(language, key) if found_subject else key
    return _t(f"f_{figure}_{key}" if key else f"f_{figure}")


@bp.get("/daily-reports", endpoint="daily_reports")
@requires("stats")
def daily_reports_page() -> Any:
    """Each scheduled campaign's recent days, newest first, with their delivery state."""
    now = context().clock()
    listed = []
    for campaign in context().campaigns:
        if not is_scheduled(campaign):
            continue
        today = now.astimezone(campaign.timezone).date()
        last = min(today, campaign.closes + timedelta(days=7))
        days = [last - timedelta(days=n) for n in range(DAYS_LISTED)]
        days = [d for d in days if campaign.opens is None or d >= campaign.opens]
        rows = {row.day: row for row in db().scalars(select(DailyReport).where(
            DailyReport.campaign_id == campaign.id, DailyReport.day.in_(days)))}
        listed.append((campaign, [(day, rows.get(day)) for day in days]))
    return render_template("daily_reports/list.html", listed=listed, t=_t,
                           title=_t("daily_reports"),
                           attention=lambda row: needs_attention(row, now))


@bp.get("/daily-reports/<campaign_id>/<day_text>", endpoint="daily_report")
@requires("stats")
def daily_report_page(campaign_id: str, day_text: str) -> Any:
    campaign, day = _campaign(campaign_id), _day(day_text)
    now = context().clock()
    delivery = db().scalar(select(DailyReport).where(DailyReport.campaign_id == campaign.id,
                                                     DailyReport.day == day))
    # A sent report shows what was e-mailed; today's figures are a click away.
    stored = delivery.figures if delivery is not None and delivery.state == "sent" else None
    current = stored is None or request.args.get("current") == "1"
    if current:
        figures = campaign_figures(db(), campaign, day, now)
    else:
        assert stored is not None
        language = report_language(campaign)
        figures = DailyFigures.from_json(
            json.loads(stored),
            category_labels={c.id: c.label.get(language, c.id) for c in campaign.categories},
            subject_labels={s.id: s.label.get(language, s.id) for s in campaign.subjects})
    chart = "data:image/png;base64," + base64.b64encode(render_chart(figures)).decode()
    rows = [(figure, _label(campaign, figure, key), day_value, so_far)
            for figure, key, _english, day_value, so_far in report_rows(figures)]
    moment = figures.generated_at.astimezone(campaign.timezone).strftime("%Y-%m-%d %H:%M")
    return render_template("daily_reports/day.html", campaign=campaign, day=day,
                           figures=figures, rows=rows, chart=chart, delivery=delivery,
                           as_of=moment, t=_t, title=f"{_t('daily_reports')} {day}",
                           stored=stored is not None, current=current,
                           attention=delivery is not None and needs_attention(delivery, now))


@bp.post("/daily-reports/<campaign_id>/<day_text>/send", endpoint="daily_report_send")
@requires("stats")
def daily_report_send(campaign_id: str, day_text: str) -> Any:
    campaign, day = _campaign(campaign_id), _day(day_text)
    back = redirect(url_for("console.daily_report", campaign_id=campaign.id,
                            day_text=day.isoformat()))
    now = context().clock()
    if day > now.astimezone(campaign.timezone).date() or not reports_wanted(campaign, day):
        abort(404)
    settings = current_app.extensions["hotline.settings"]
    try:
        smtp = SmtpSettings.from_url(settings.smtp_url) if settings.smtp_url else None
        if settings.mail_from:
            parse_mail_from(settings.mail_from)
    except MailConfigError as exc:
        flash(_t("not_sent", error=str(exc)), "error")
        return back
    if smtp is None or not settings.mail_from:
        flash(_t("no_mail"), "error")
        return back
    delivery = DeliveryContext(sessions=context().sessions, campaigns=context().campaigns,
                               smtp=smtp, mail_from=settings.mail_from, clock=context().clock,
                               worker=f"console:{current_user.name}"[:128])
    # End this request's read transaction: the send writes in transactions of its own,
    # and an SQLite snapshot older than those writes could not record the audit line.
    db().commit()
    try:
        attempt = resend(delivery, campaign.id, day)
    except DeliveryError as exc:
        flash(_t("not_sent", error=str(exc)), "error")
        return back
    audit.record(db(), at=now, actor=current_user.name, action="report_sent",
                 target=f"{campaign.id} {day.isoformat()}", detail=attempt.state,
                 address=address())
    db().commit()
    if attempt.state == "sent" and attempt.early:
        scheduled = due_at(campaign, day)
        flash(_t("sent_early", until=now.astimezone(campaign.timezone).strftime("%H:%M"),
                 at=scheduled.strftime("%H:%M") if scheduled else ""), "ok")
    elif attempt.state == "sent":
        flash(_t("resent"), "ok")
    else:
        flash(_t("not_sent", error=attempt.error or attempt.state), "error")
    return back
