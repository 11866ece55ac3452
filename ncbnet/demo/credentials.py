"""The demo network's shared credentials, printed by `make run` (no Django needed to read them).

Demo mode only: `ncbnet demo seed` is refused in production mode.
"""

DEMO_PASSWORD = "ncbnet-demo-pass"
# Every demo account shares this authenticator key (base32, RFC 6238).
DEMO_TOTP_SECRET = "NCBNETDEMOKEY234NCBNETDEMOKEY234"
# The secret of the demo's requests to the Commission (`/commission/follow/` with their reference).
DEMO_CCF_SECRET = "ncbnet-demo-ccf-secret"
