"""The managers' daily report pages: each day's report, its delivery, and a re-send.

The pages are added to the console's blueprint (so they share its sign-in,
CSRF check, language choice and security headers) when console.init_app
imports this module. The figures, their sections and words are the e-mail's own
(reports.figures, reports.render.report_sections, the one set of catalogues), in the
console's language; the chart is the same PNG, inlined as a data: URI, which the
console's Content-Security-Policy allows for images. Any day of any campaign can be
read (a date picker); only a campaign with report_to and report_time is sent.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from campaign.model import Campaign
from console import bp
from console.auth import address, context, db, requires
from console.pages import translated
from console.present import LABEL_LANGUAGE
from db import audit, deliveries
from reports.chart import chart_data_uri
from reports.delivery import (
    DeliveryContext,
    DeliveryError,
    due_at,
    is_scheduled,
    last_report_day,
    needs_attention,
    reports_wanted,
    resend,
)
from reports.figures import DailyFigures, campaign_figures, report_labels
from reports.mail import MailConfigError, MailNotConfigured, mail_settings
from reports.render import headline, overdue_lines, report_sections
from reports.words import words

DAYS_LISTED = 14


def _campaign(campaign_id: str, *, scheduled: bool = False) -> Campaign:
    campaign = context().campaigns.by_id.get(campaign_id)
    if campaign is None or (scheduled and not is_scheduled(campaign)):
        abort(404)
    return campaign


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


@bp.get("/daily-reports", endpoint="daily_reports")
@requires("stats")
def daily_reports_page() -> Any:
    """Each campaign: a date picker for any day's report; a scheduled campaign's recent
    days with their delivery state; an unscheduled one, how to schedule it."""
    now = context().clock()
    picked = request.args.get("day", "")
    if picked and (campaign_id := request.args.get("campaign")):
        return redirect(url_for("console.daily_report", campaign_id=_campaign(campaign_id).id,
                                day_text=_day(picked).isoformat()))
    listed = []
    for campaign in context().campaigns:
        today = now.astimezone(campaign.timezone).date()
        days: list[date] = []
        if is_scheduled(campaign):
            last = min(today, last_report_day(campaign))
            days = [last - timedelta(days=n) for n in range(DAYS_LISTED)]
            days = [d for d in days if campaign.opens is None or d >= campaign.opens]
        rows = deliveries.rows_of_days(db(), campaign.id, days) if days else {}
        listed.append((campaign, today, [(day, rows.get(day)) for day in days]))
    return render_template("daily_reports/list.html", listed=listed,
                           title=translated("daily_reports"), scheduled=is_scheduled,
                           attention=lambda row: needs_attention(row, now))


@bp.get("/daily-reports/<campaign_id>/<day_text>", endpoint="daily_report")
@requires("stats")
def daily_report_page(campaign_id: str, day_text: str) -> Any:
    campaign, day = _campaign(campaign_id), _day(day_text)
    now = context().clock()
    delivery = deliveries.row_of_day(db(), campaign.id, day)
    # A sent report shows what was e-mailed; today's figures are a click away.
    stored = delivery.figures if delivery is not None and delivery.state == "sent" else None
    current = stored is None or request.args.get("current") == "1"
    category_labels, subject_labels = report_labels(campaign, _label_language())
    if current:
        figures = campaign_figures(db(), campaign, day, now)
        figures = replace(figures, category_labels=category_labels,
                          subject_labels=subject_labels)
    else:
        assert stored is not None
        figures = DailyFigures.from_json(json.loads(stored), category_labels=category_labels,
                                         subject_labels=subject_labels)
    say = words(g.lang)
    moment = figures.generated_at.astimezone(campaign.timezone).strftime("%Y-%m-%d %H:%M")
    return render_template(
        "daily_reports/day.html", campaign=campaign, day=day, figures=figures,
        sections=report_sections(figures, g.lang), chart=chart_data_uri(figures, g.lang),
        headline=headline(figures, say), overdue=overdue_lines(figures, say),
        delivery=delivery, as_of=moment, title=f"{translated('daily_reports')} {day}",
        stored=stored is not None, current=current, scheduled=is_scheduled(campaign),
        attention=delivery is not None and needs_attention(delivery, now))


def _label_language() -> str:
    """The campaign language of the console's: category labels as the console shows them."""
    return LABEL_LANGUAGE.get(g.get("lang", "zh"), "en")


@bp.post("/daily-reports/<campaign_id>/<day_text>/send", endpoint="daily_report_send")
@requires("stats")
def daily_report_send(campaign_id: str, day_text: str) -> Any:
    campaign, day = _campaign(campaign_id, scheduled=True), _day(day_text)
    back = redirect(url_for("console.daily_report", campaign_id=campaign.id,
                            day_text=day.isoformat()))
    now = context().clock()
    if day > now.astimezone(campaign.timezone).date() or not reports_wanted(campaign, day):
        abort(404)
    settings = current_app.extensions["hotline.settings"]
    try:
        smtp, mail_from = mail_settings(settings.smtp_url, settings.mail_from)
    except MailNotConfigured:
        flash(translated("no_mail"), "error")
        return back
    except MailConfigError as exc:
        flash(translated("not_sent", error=str(exc)), "error")
        return back
    delivery = DeliveryContext(sessions=context().sessions, campaigns=context().campaigns,
                               smtp=smtp, mail_from=mail_from, clock=context().clock,
                               worker=f"console:{current_user.name}"[:128])
    # End this request's read transaction: the send writes in transactions of its own,
    # and an SQLite snapshot older than those writes could not record the audit line.
    db().commit()
    try:
        attempt = resend(delivery, campaign.id, day)
    except DeliveryError as exc:
        flash(translated("not_sent", error=str(exc)), "error")
        return back
    audit.report_sent(db(), at=now, actor=current_user.name, campaign_id=campaign.id,
                      day=day, state=attempt.state, address=address())
    db().commit()
    if attempt.state == "sent" and attempt.early:
        scheduled = due_at(campaign, day)
        flash(translated("sent_early", until=now.astimezone(campaign.timezone).strftime("%H:%M"),
                 at=scheduled.strftime("%H:%M") if scheduled else ""), "ok")
    elif attempt.state == "sent":
        flash(translated("resent"), "ok")
    else:
        flash(translated("not_sent", error=attempt.error or attempt.state), "error")
    return back
