"""Superset settings for the project's dashboards (read by Superset through SUPERSET_CONFIG_PATH).

`motcua bi` (motcua/bi.py) sets the environment this file reads: the secret key from the local
secrets file (never from the repository), the metadata database (SQLite under the state folder).
Everything else is fixed here: no example data, no telemetry, nothing uploaded, read-only SQL.
"""
import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = os.environ["SUPERSET_METADATA_URI"]

APP_NAME = "Một cửa · KPI"
# One machine, one process: SQLite metadata and in-memory caches and rate limits are enough.
SQLALCHEMY_TRACK_MODIFICATIONS = False
RATELIMIT_STORAGE_URI = "memory://"
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}   # the figures change at publication: never serve stale ones
# The marts are read through the read-only motcua_bi role; Superset itself offers no write path.
PREVENT_UNSAFE_DB_CONNECTIONS = True
SQLLAB_CTAS_NO_LIMIT = False
ALLOWED_USER_CSV_SCHEMA_FUNC = lambda database, user: []  # noqa: E731 - no uploads into the warehouse
FEATURE_FLAGS = {"ALERT_REPORTS": False, "EMBEDDED_SUPERSET": False}
# Served on 127.0.0.1 only, over HTTP: the session cookie cannot be Secure there.
SESSION_COOKIE_SECURE = False
SESSION_COOKIE_SAMESITE = "Lax"
WTF_CSRF_ENABLED = True
SHOW_STACKTRACE = False
# Nothing leaves the machine from the browser either: Superset's default policy lets pages load
# an anonymous usage pixel, map tiles and web fonts from the internet; this one allows only the
# server itself (charts are ECharts and tables, drawn from the bundled assets).
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}
ROW_LIMIT = 10000
