"""Accounts and authentication: email OTP, Google login, rotating sessions, access tokens.

tokens      access-token JWTs (HS256, pinned): issue and verify, no I/O
ratelimit   fixed-window counters in Redis (one Lua step)
otp         one-time codes: issue, store as HMAC, verify with attempt counting
mailer      code delivery over SMTP, or the development log
google      Google ID-token verification against a cached JWKS
accounts    user rows: find or create at login, profile view and update, roles
sessions    refresh-token families: start, rotate with a grace window, revoke
service     the login flows that compose the above into a token answer
principal   who is calling: HTTP dependency, role guards, WebSocket authentication
schemas     request and response bodies
"""
