"""Signing in safely: the second factor (TOTP and recovery codes), the password policy, live sessions.

The pieces fit together in two middlewares (``luoshi.accounts.middleware``): one ends sessions that are
idle, too old or ended elsewhere; the other lets a signed-in session reach nothing but the second step,
enrolment and the password change until the person has passed them.
"""
