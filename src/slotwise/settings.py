"""Django settings for Slotwise, read from environment variables (see README, "Configuration")."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.utils.csp import CSP

from slotwise.config import (
    ConfigError,
    database_from_url,
    email_from_url,
    env_bool,
    json_object_from_env,
    rate_from_env,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("SLOTWISE_VAR_DIR", BASE_DIR / "var"))

DEBUG = env_bool(os.environ.get("DEBUG"), default=False)
SECRET_KEY = secret_key(os.environ.get("SECRET_KEY"), var_dir=VAR_DIR)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Outbound requests to URLs businesses enter (webhooks, calendars) go to public internet
# addresses only (core/outbound.py). True lets them reach loopback and private networks:
# for development and tests whose receivers listen on 127.0.0.1, never in production.
SLOTWISE_ALLOW_PRIVATE_URLS = env_bool(os.environ.get("SLOTWISE_ALLOW_PRIVATE_URLS"), default=False)
# Calendar passwords (docs/calendars.md): comma-separated keys, the first encrypts, all decrypt;
# empty derives a key from SECRET_KEY.
SLOTWISE_ENCRYPTION_KEY = os.environ.get("SLOTWISE_ENCRYPTION_KEY", "")
# Minutes between two syncs of a calendar connection.
SLOTWISE_CALENDAR_SYNC_MINUTES = int(os.environ.get("SLOTWISE_CALENDAR_SYNC_MINUTES", "5") or 5)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "slotwise.core",
    "slotwise.catalog",
    "slotwise.bookings",
    "slotwise.notifications",
    "slotwise.calendars",
    "slotwise.backoffice",
    "slotwise.site",
    "slotwise.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "slotwise.core.security.BodySizeLimitMiddleware",
    "slotwise.core.security.SecretUrlReferrerPolicyMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Whose language: the customer's on customer pages, the staff member's in the backoffice.
    "slotwise.site.language.ReaderLanguageMiddleware",
    "slotwise.backoffice.language.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "slotwise.core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "slotwise.urls"
WSGI_APPLICATION = "slotwise.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL", "sqlite:///var/slotwise.sqlite3"), base_dir=BASE_DIR
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/backoffice/login/"

LANGUAGE_CODE = "en"
# The shipped languages (docs/translating.md): each has src/slotwise/locale/<code>/, complete.
LANGUAGES = [
    ("en", "English"),
    ("de", "German"),
    ("fr", "French"),
    ("es", "Spanish"),
    ("nl", "Dutch"),
    ("fi", "Finnish"),
]
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"

# Uploaded files (logos, cover images, service and provider photos), stored through Django's
# "default" storage under random names (docs/deployment.md, "Uploaded images"). On the local
# disk by default; SLOTWISE_MEDIA_BACKEND names another storage class (e.g. an S3 one) and
# SLOTWISE_MEDIA_OPTIONS its options as JSON.
MEDIA_ROOT = Path(os.environ.get("SLOTWISE_MEDIA_ROOT", "") or VAR_DIR / "media")
MEDIA_URL = os.environ.get("SLOTWISE_MEDIA_URL", "") or "/media/"
STORAGES = {
    "default": {
        "BACKEND": os.environ.get("SLOTWISE_MEDIA_BACKEND", "")
        or "django.core.files.storage.FileSystemStorage",
        "OPTIONS": json_object_from_env(
            "SLOTWISE_MEDIA_OPTIONS", os.environ.get("SLOTWISE_MEDIA_OPTIONS")
        ),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The application itself answers MEDIA_URL (core/views.py, ``media``) unless the proxy in
# front serves MEDIA_ROOT, or the files live elsewhere: then set this to false.
SLOTWISE_SERVE_MEDIA = env_bool(os.environ.get("SLOTWISE_SERVE_MEDIA"), default=True)

# Security: cookies are secure and plain HTTP is redirected whenever the site is served over
# HTTPS. TLS ends at the load balancer or proxy in front, which must say so with
# X-Forwarded-Proto (and must strip that header from clients). Plain http://127.0.0.1 runs
# (development, tests) keep all of this off.
_https = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = [SITE_URL]
SECURE_CONTENT_TYPE_NOSNIFF = True
# Site-wide, and pinned on pages whose URL carries a customer's token (core/security.py), so
# a link token is never sent to another site. Not "no-referrer": browsers then post forms with
# "Origin: null", which the CSRF check refuses.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if _https:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool(os.environ.get("SECURE_SSL_REDIRECT"), default=True)
    # Load balancers probe over plain HTTP: the health check answers instead of redirecting.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    # HSTS from bookings.example.com covers *.bookings.example.com only, never the parent
    # domain; turn it off only if such subdomains must still be reachable over plain HTTP.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
        os.environ.get("SECURE_HSTS_INCLUDE_SUBDOMAINS"), default=True
    )
    # Preloading binds the whole registrable domain (and only an apex can be submitted):
    # the domain owner's decision, not this application's, so it is off unless asked for.
    SECURE_HSTS_PRELOAD = env_bool(os.environ.get("SECURE_HSTS_PRELOAD"), default=False)
    SILENCED_SYSTEM_CHECKS = [
        *(["security.W021"] if not SECURE_HSTS_PRELOAD else []),
        *(["security.W005"] if not SECURE_HSTS_INCLUDE_SUBDOMAINS else []),
        *(["security.W008"] if not SECURE_SSL_REDIRECT else []),
    ]

# The largest request body accepted (a form post or a JSON document); larger ones are answered
# 413 before any view runs (core/security.py). The biggest real request, a booking page with
# its intro text and hundreds of service ids, is a few KiB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    # Images from the media host too, when uploads are served from another origin (a CDN).
    "img-src": [
        CSP.SELF,
        "data:",
        *(
            [f"{urlsplit(MEDIA_URL).scheme}://{urlsplit(MEDIA_URL).netloc}"]
            if urlsplit(MEDIA_URL).netloc
            else []
        ),
    ],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

for _key, _value in email_from_url(os.environ.get("EMAIL_URL", "console:")).items():
    globals()[_key] = _value
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Slotwise <bookings@slotwise.localhost>")

# In the database, so that the staff login throttle's tickets are shared by every server
# process (gunicorn workers) without another service to run. (The public rate limits count in
# their own table, core_ratecounter: one upsert per count, core/ratelimit.py.)
CACHES: dict[str, dict[str, object]] = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "slotwise_cache",
        # Login tickets are rows: the default of 300 rows would drop live tickets as soon as
        # a few hundred sign-in attempts were counted (docs/deployment.md).
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
}

# With CACHE_URL (redis://host:6379/0) every web process shares one cache server: the
# availability answers (bookings/availability_cache.py, keyed by versions, so never stale)
# and the rate-limit counters, which move there from the database table (one round trip
# instead of a locked row). Without it, answers stay in each process (docs/deployment.md,
# "Availability cache").
SLOTWISE_AVAILABILITY_CACHE_SIZE = int(
    os.environ.get("SLOTWISE_AVAILABILITY_CACHE_SIZE", "") or 2048
)
_cache_url = os.environ.get("CACHE_URL", "").strip()
if _cache_url:
    if not _cache_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("CACHE_URL must be a redis://, rediss:// or unix:// URL")
    CACHES = {
        name: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
            "KEY_PREFIX": f"slotwise-{name}",
        }
        for name in ("default", "availability")
    }

# Abuse limits of the public pages and the public API (docs/deployment.md, "Rate limits and
# work caps"), counted per client address (REMOTE_ADDR) in the cache above, so every server
# process shares them. Each is COUNT/SECONDS, or "off".
SLOTWISE_RATE_LIMITS = {
    # Availability questions: the booking page's calendar and times, the API's availability.
    "availability": rate_from_env(os.environ.get("SLOTWISE_RATE_AVAILABILITY"), default=(120, 60)),
    # Booking attempts from one address (booking page confirm, public API booking).
    "booking": rate_from_env(os.environ.get("SLOTWISE_RATE_BOOKING"), default=(10, 600)),
    # Bookings to one email address (normalised), from anywhere.
    "booking_email": rate_from_env(
        os.environ.get("SLOTWISE_RATE_BOOKING_EMAIL"), default=(3, 3600)
    ),
    # Reads of one provider's calendar feed by one client (calendar apps poll it).
    "feed": rate_from_env(os.environ.get("SLOTWISE_RATE_FEED"), default=(60, 3600)),
}
# The most work one public availability question may ask for: providers x days x slots a day
# (scheduling/availability.py, estimate_work). Larger questions get 422 "too_much_work".
SLOTWISE_AVAILABILITY_MAX_WORK = int(
    os.environ.get("SLOTWISE_AVAILABILITY_MAX_WORK", "") or 500_000
)

# Every handler redacts link tokens, API keys and webhook secrets (core/logfilters.py). So do
# the loggers known to log request paths, so that whatever else receives their records (a
# test's log capture, a handler added later) sees only the redacted text; a logger's filter
# applies to what is logged on it by name, hence the full names. Django's own "django"
# handlers (console in DEBUG, mail to ADMINS) are replaced: its records go to the root logger.
_REDACTED_LOGGERS = (
    "django.request",
    "django.server",
    "django.template",
    "django.security.csrf",
    "django.security.DisallowedHost",
    "django.security.RequestDataTooBig",
    "django.security.SuspiciousOperation",
    "slotwise.unavailable",
    "slotwise.worker",
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "slotwise.core.logfilters.RedactSecrets"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        **{
            name: {"handlers": [], "filters": ["redact"], "propagate": True}
            for name in _REDACTED_LOGGERS
        },
    },
}
