"""Names of what ``luoshi.accounts`` keeps in a signed-in session."""

# Unix time of the sign-in: the absolute lifetime counts from it.
LOGIN_AT = "luoshi_login_at"
# Unix time of the last request seen (refreshed at most once a minute): the idle timeout counts from it.
LAST_SEEN = "luoshi_last_seen"
# Whether the person had a confirmed authenticator app when they signed in.
ENROLLED = "luoshi_2fa_enrolled"
# Unix time the password was set, for the expiry check without a query per request.
PASSWORD_CHANGED_AT = "luoshi_password_changed_at"  # noqa: S105 - a session key name, not a password
# Set on the (anonymous) session left behind after the server ended one, for the sign-in page's notice.
ENDED_NOTICE = "luoshi_session_ended"
