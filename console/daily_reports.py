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

from campaign.model import Campaign
from console import bp, present
from console.auth import address, context, db, requires, visible_campaign_ids, visible_or_404
from console.pages import translated
from db import audit, deliveries
from reports.chart import render_chart
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
from reports.render import report_rows

DAYS_LISTED = 14


def _campaign(campaign_id: str) -> Campaign:
    campaign = context().campaigns.by_id.get(campaign_id)
    if campaign is None or not is_scheduled(campaign):
        abort(404)
    visible_or_404(campaign.id)
    return campaign


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


def _label(campaign: Campaign, figure: str, key: str) -> str:
    """A row's label in the console's language; campaign labels from the campaign file."""
    if figure == "outcome":
        return translated(f"out_{key}")
    if figure == "follow_up":
        return translated(f"fu_{key}")
    if figure in ("category", "subject"):
        return present.label(campaign, figure, key, g.get("lang", "zh"))
    return translated(f"f_{figure}_{key}" if key else f"f_{figure}")


@bp.get("/daily-reports", endpoint="daily_reports")
@requires("stats")
def daily_reports_page() -> Any:
    """Each scheduled campaign's recent days, newest first, with their delivery state."""
    now = context().clock()
    listed = []
    for campaign in context().campaigns:
        if not is_scheduled(campaign) or campaign.id not in visible_campaign_ids():
            continue
        today = now.astimezone(campaign.timezone).date()
        last = min(today, last_report_day(campaign))
        days = [last - timedelta(days=n) for n in range(DAYS_LISTED)]
        days = [d for d in days if campaign.opens is None or d >= campaign.opens]
        rows = deliveries.rows_of_days(db(), campaign.id, days)
        listed.append((campaign, [(day, rows.get(day)) for day in days]))
    return render_template("daily_reports/list.html", listed=listed,
                           title=translated("daily_reports"),
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
    if current:
        figures = campaign_figures(db(), campaign, day, now)
    else:
        assert stored is not None
        category_labels, subject_labels = report_labels(campaign)
        figures = DailyFigures.from_json(json.loads(stored), category_labels=category_labels,
                                         subject_labels=subject_labels)
    chart = "data:image/png;base64," + base64.b64encode(render_chart(figures)).decode()
    rows = [(figure, _label(campaign, figure, key), day_value, so_far)
            for figure, key, _english, day_value, so_far in report_rows(figures)]
    moment = figures.generated_at.astimezone(campaign.timezone).strftime("%Y-%m-%d %H:%M")
    return render_template("daily_reports/day.html", campaign=campaign, day=day,
                           figures=figures, rows=rows, chart=chart, delivery=delivery,
                           as_of=moment, title=f"{translated('daily_reports')} {day}",
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
