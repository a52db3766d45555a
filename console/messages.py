"""The console's message ids that are put together at run time (an outcome, a follow-up
state, an audit action, an error code …), named here so that `make translations` finds
them in the source like every other message. The words are in console/translations/."""

from __future__ import annotations


def N_(message_id: str) -> str:
    """Marks a message id for extraction; translated where it is shown."""
    return message_id


COMPOSED = (
    N_("acc_bad_name"), N_("acc_bad_role"), N_("acc_exists"), N_("acc_last_admin"),
    N_("acc_missing"), N_("acc_no_user"), N_("acc_password_is_name"), N_("acc_password_long"),
    N_("acc_password_same"), N_("acc_password_short"), N_("acc_throttled"),
    N_("acc_wrong_password"),
    N_("act_assigned"), N_("act_export"), N_("act_legal_hold_placed"),
    N_("act_legal_hold_released"), N_("act_note_added"), N_("act_original_opened"),
    N_("act_original_played"), N_("act_password_changed"), N_("act_password_reset"),
    N_("act_recording_played"), N_("act_recordings_rekeyed"), N_("act_report_sent"),
    N_("act_retention_purged"), N_("act_sign_in"), N_("act_sign_in_failed"),
    N_("act_sign_in_throttled"), N_("act_sign_out"), N_("act_status_changed"),
    N_("act_user_added"), N_("act_user_disabled"), N_("act_user_enabled"),
    N_("disguise_always"), N_("disguise_off"), N_("disguise_playback"),
    N_("err_403"), N_("err_403_title"), N_("err_404"), N_("err_404_title"), N_("err_405"),
    N_("err_405_title"), N_("err_bad_filter"), N_("err_campaign"), N_("err_date"),
    N_("err_date_order"), N_("err_search"), N_("err_search_gone"),
    N_("ev_after_cutoff"), N_("ev_another"), N_("ev_category"), N_("ev_closed_hours"),
    N_("ev_finish"), N_("ev_gave_up"), N_("ev_language"), N_("ev_language_menu"),
    N_("ev_menu"), N_("ev_no_input"), N_("ev_not_listed"), N_("ev_not_open_yet"),
    N_("ev_operator"), N_("ev_operator_unanswered"), N_("ev_record_empty"), N_("ev_recorded"),
    N_("ev_repeat"), N_("ev_subject"), N_("ev_transferred"), N_("ev_unknown_number"),
    N_("ev_wrong_key"),
    N_("f_answered"), N_("f_calls"), N_("f_gave_up_before_category"),
    N_("f_overdue_acknowledgement"), N_("f_overdue_any"), N_("f_overdue_feedback"),
    N_("f_recordings_count"), N_("f_recordings_seconds_median"),
    N_("f_recordings_seconds_total"), N_("f_referred_reports"), N_("f_reports"),
    N_("f_turned_away"),
    N_("fu_acknowledged"), N_("fu_closed"), N_("fu_err_bad_assignee"), N_("fu_err_empty_note"),
    N_("fu_err_not_allowed"), N_("fu_err_reason_required"), N_("fu_err_stale"),
    N_("fu_err_too_long"), N_("fu_err_unknown_status"), N_("fu_in_review"), N_("fu_invalid"),
    N_("fu_new"), N_("fu_referred"),
    N_("hold_placed"), N_("hold_released"),
    N_("key"),
    N_("lang_cmn"), N_("lang_en"), N_("lang_yue"),
    N_("media_bad_range"), N_("media_no_original"), N_("media_no_recording"),
    N_("media_not_found"), N_("media_preparing"), N_("media_purged"), N_("media_timeout"),
    N_("media_unauthorized"), N_("media_unreachable"), N_("media_unreadable"),
    N_("out_abandoned"), N_("out_after_cutoff"), N_("out_closed_hours"), N_("out_in_progress"),
    N_("out_not_open_yet"), N_("out_referred"), N_("out_reported"), N_("out_transferred"),
    N_("out_unknown_number"),
    N_("policy_local"), N_("policy_twilio"),
    N_("pw_mismatch"), N_("pw_missing"),
    N_("rec_at_twilio"), N_("rec_deleted"), N_("rec_downloaded"), N_("rec_kept_at_twilio"),
    N_("rec_purged"),
    N_("role_admin"), N_("role_manager"), N_("role_operator"),
    N_("state_failed"), N_("state_none"), N_("state_retrying"), N_("state_sending"),
    N_("state_sent"),
    N_("user_disabled"), N_("user_enabled"),
    N_("act_followup_limited"), N_("act_reply_written"), N_("ev_add"), N_("ev_added"),
    N_("ev_followup"), N_("ev_followup_found"), N_("ev_followup_limit"),
    N_("ev_followup_not_found"), N_("ev_followup_unreadable"), N_("fu_err_bad_language"),
    N_("fu_err_empty_reply"), N_("out_followed_up"), N_("reply_saved"),
    N_("queue_mine"), N_("queue_unassigned"), N_("queue_due_soon"), N_("queue_overdue"),
    N_("queue_new_info"), N_("queue_all"), N_("queue_empty_mine"), N_("queue_empty_unassigned"),
    N_("queue_empty_due_soon"), N_("queue_empty_overdue"), N_("queue_empty_new_info"),
    N_("queue_empty_all"), N_("bulk_done_acknowledge"), N_("bulk_done_assign"),
    N_("no_recording"), N_("media_not_configured"),
)
