"""The console's forms. Every one carries Flask-WTF's CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from db.followup import FOLLOW_UPS, MAX_NOTE, MAX_REASON
from db.user_models import ROLES


class SignInForm(FlaskForm):
    name = StringField(validators=[DataRequired(), Length(max=64)])
    password = PasswordField(validators=[DataRequired(), Length(max=1024)])
    next = HiddenField()


class CodeForm(FlaskForm):
    """A second-factor code: six digits, or a recovery code like abcde-fghjk."""

    code = StringField(validators=[DataRequired(), Length(max=32)])


class PasswordForm(FlaskForm):
    current = PasswordField(validators=[DataRequired(), Length(max=1024)])
    new = PasswordField(validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(validators=[DataRequired(), Length(max=1024)])


class StatusForm(FlaskForm):
    to = StringField(validators=[DataRequired(), AnyOf([s.value for s in FOLLOW_UPS])])
    expected = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(validators=[Length(max=MAX_REASON)])


class NoteForm(FlaskForm):
    body = TextAreaField(validators=[DataRequired(), Length(max=MAX_NOTE)])


class ReasonForm(FlaskForm):
    """Why a manager opens a caller's original voice, or holds a report from the purge."""

    reason = TextAreaField(validators=[DataRequired(), Length(max=MAX_REASON)])


class AssignForm(FlaskForm):
    assignee = StringField(validators=[Length(max=64)])  # a user name; empty: nobody


class WorkForm(FlaskForm):
    """The report page's one form: any of a new status, the assignee and a note."""

    to = StringField(validators=[Optional(), AnyOf([s.value for s in FOLLOW_UPS])])
    expected = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(validators=[Length(max=MAX_REASON)])
    assignee = StringField(validators=[Length(max=64)])  # a user name; empty: nobody
    note = TextAreaField(validators=[Length(max=MAX_NOTE)])


class UserForm(FlaskForm):
    name = StringField(validators=[DataRequired(), Length(max=64)])
    role = StringField(validators=[DataRequired(), AnyOf(ROLES)])
    password = PasswordField(validators=[DataRequired(), Length(max=1024)])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token is needed."""
