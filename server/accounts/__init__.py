"""Accounts and authentication: email OTP, Google login, rotating refresh tokens, access tokens.

controller          the sign-in routes (`/auth/...`)
profile_controller  the profile routes (`/me`) and role changes
service             the login flows that compose the modules below into a token answer
schemas             request and response bodies
tokens              access-token JWTs (HS256, pinned): issue and verify, no I/O
refresh_families    refresh-token families: start, rotate with a grace window, revoke
ratelimit           fixed-window counters in Redis (one Lua step)
otp                 one-time codes: issue, store as HMAC, verify with attempt counting
mailer              code delivery over SMTP, or the development log
google              Google ID-token verification against a cached JWKS
users               user rows: find or create at login, profile view and update, roles
guards              who is calling: HTTP dependency, role guards, WebSocket authentication
"""
