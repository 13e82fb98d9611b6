"""URLs of the backoffice pages (mounted at /backoffice/)."""

from django.urls import path

from slotwise.backoffice.views import auth, bookings, calendar, dashboard, ratings, settings, wizard

app_name = "backoffice"
urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("switch/", auth.switch_business, name="switch"),
    # passwords and invitations (the token is the link's secret: logs redact the segment
    # after "join/" and "new-password/")
    path("password/", auth.password_change, name="password_change"),
    path("password/reset/", auth.password_reset, name="password_reset"),
    path("password/reset/sent/", auth.password_reset_done, name="password_reset_done"),
    path(
        "new-password/<str:token>/<str:uidb64>/",
        auth.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password/reset/done/", auth.password_reset_complete, name="password_reset_complete"),
    path("join/<str:token>/", auth.invitation, name="invitation"),
    # bookings
    path("bookings/", bookings.booking_list, name="booking_list"),
    path("bookings/new/", wizard.wizard_start, name="wizard_start"),
    path("bookings/new/<slug:step>/", wizard.wizard_step, name="wizard_step"),
    path("bookings/<str:reference>/", bookings.booking_detail, name="booking_detail"),
    path(
        "bookings/<str:reference>/reschedule/",
        bookings.booking_reschedule,
        name="booking_reschedule",
    ),
    path("bookings/<str:reference>/cancel/", bookings.booking_cancel, name="booking_cancel"),
    path("bookings/<str:reference>/complete/", bookings.booking_complete, name="booking_complete"),
    path("bookings/<str:reference>/no-show/", bookings.booking_no_show, name="booking_no_show"),
    path(
        "bookings/<str:reference>/undo-close/",
        bookings.booking_close_undo,
        name="booking_close_undo",
    ),
    path("bookings/<str:reference>/payments/", bookings.payment_add, name="payment_add"),
    path("bookings/<str:reference>/clone/", wizard.wizard_clone, name="booking_clone"),
    path("calendar/", calendar.calendar, name="calendar"),
    path("ratings/", ratings.ratings, name="ratings"),
    # settings (owners and admins)
    path("settings/", settings.settings_index, name="settings"),
    path("settings/pages/", settings.page_list, name="settings_pages"),
    path("settings/pages/new/", settings.page_edit, name="settings_page_new"),
    path("settings/pages/<int:pk>/", settings.page_edit, name="settings_page_edit"),
    path("settings/services/", settings.service_list, name="settings_services"),
    path("settings/services/new/", settings.service_edit, name="settings_service_new"),
    path("settings/services/<int:pk>/", settings.service_edit, name="settings_service_edit"),
    path("settings/providers/", settings.provider_list, name="settings_providers"),
    path("settings/providers/new/", settings.provider_edit, name="settings_provider_new"),
    path("settings/providers/<int:pk>/", settings.provider_edit, name="settings_provider_edit"),
    path(
        "settings/providers/<int:pk>/hours/",
        settings.provider_hours,
        name="settings_provider_hours",
    ),
    path(
        "settings/providers/<int:pk>/time-off/",
        settings.provider_time_off,
        name="settings_provider_time_off",
    ),
    path(
        "settings/providers/<int:pk>/time-off/<int:time_off_id>/delete/",
        settings.provider_time_off_delete,
        name="settings_time_off_delete",
    ),
    path("settings/notifications/", settings.notification_settings, name="settings_notifications"),
    path("settings/reminders/", settings.reminder_rules, name="settings_reminders"),
    path(
        "settings/reminders/<int:pk>/delete/",
        settings.reminder_rule_delete,
        name="settings_reminder_delete",
    ),
    path("settings/api-keys/", settings.api_keys, name="settings_api_keys"),
    path(
        "settings/api-keys/<int:pk>/revoke/",
        settings.api_key_revoke,
        name="settings_api_key_revoke",
    ),
    path("settings/team/", settings.team, name="settings_team"),
    path("settings/team/<int:pk>/role/", settings.member_role, name="settings_member_role"),
    path("settings/team/<int:pk>/remove/", settings.member_remove, name="settings_member_remove"),
    path(
        "settings/team/invitations/<int:pk>/resend/",
        settings.invitation_resend,
        name="settings_invitation_resend",
    ),
    path(
        "settings/team/invitations/<int:pk>/revoke/",
        settings.invitation_revoke,
        name="settings_invitation_revoke",
    ),
    path("settings/business/", settings.business_profile, name="settings_business"),
]
