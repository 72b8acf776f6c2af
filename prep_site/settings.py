"""Settings for the interview-prep site.

Everything comes from the environment with defaults that work on a fresh
machine: SQLite next to the code and a filesystem Celery broker that needs no
server. Point DATABASE_URL at PostgreSQL and REDIS_URL (or CELERY_BROKER_URL)
at Redis and the same code runs the production topology (docker-compose.yml).
"""
from __future__ import annotations

from pathlib import Path

import dj_database_url

from prep_site.env import env_bool, env_int, env_list, env_str, machine_hosts, persistent_secret, private_dir

BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime state (SQLite file, secret key, broker folders, engine weight cache) lives here, never in the
# source tree; only its owner may read it.
VAR_DIR = private_dir(Path(env_str("PREP_VAR_DIR", str(BASE_DIR / "var"))))

# --- Security ------------------------------------------------------------------------------------
# Off unless asked for (`make dev`): the debug pages print settings, paths and the broker URL.
DEBUG = env_bool("DEBUG", False)
# SECRET_KEY (or SECRET_KEY_FILE) wins; otherwise one key is generated on first start and kept in var/.
SECRET_KEY = env_str("SECRET_KEY", "") or persistent_secret(VAR_DIR / "secret_key")
# Loopback names are always served: `make run` and the container health checks use them. With
# ALLOW_LAN_HOSTS (`make run` bound to every interface) the machine's own names and addresses are too.
# Any other Host header gets a plain 400, never a debug page.
ALLOWED_HOSTS = list(
    dict.fromkeys(
        env_list("ALLOWED_HOSTS", [])
        + ["127.0.0.1", "localhost", "[::1]"]
        + (machine_hosts() if env_bool("ALLOW_LAN_HOSTS", False) else [])
    )
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# HTTPS=true says visitors reach the site over HTTPS (directly or through a proxy that sets
# X-Forwarded-Proto). It turns on secure cookies, the redirect to https:// and HSTS; each can still be
# set on its own. Off by default so sign-in works on plain http://127.0.0.1 (`make run`).
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
# Container health checks call http://127.0.0.1:8000/healthz from inside, where there is no TLS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
# Trust X-Forwarded-Proto only behind a proxy that sets it itself; otherwise a client could claim HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUST_X_FORWARDED_PROTO", HTTPS) else None
SECURE_CONTENT_TYPE_NOSNIFF = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "questions",
    "questions.quizzes",
    "questions.exercises",
    "prep_site.accounts",
    "sandbox",
    # Last: its ready() connects receivers to the models of the apps above.
    "prep_site.apps.PrepSiteConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "prep_site.page_cache.HeadAsGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost, so a page served from the cache still gets the CSRF cookie and the security headers.
    "prep_site.page_cache.PageCacheMiddleware",
]

ROOT_URLCONF = "prep_site.urls"
WSGI_APPLICATION = "prep_site.wsgi.application"
ASGI_APPLICATION = "prep_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let many concurrent writers (quiz autosave, workers) queue instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "prep@localhost")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at start-up when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # collectstatic (make setup/run, the web container) writes content-hashed, gzip-compressed copies;
    # WhiteNoise serves those with a one-year immutable Cache-Control. Tests swap in the plain storage
    # (tests/conftest.py) so they need no collectstatic.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Under DEBUG, files come straight from static/ so edits show without collectstatic.
WHITENOISE_USE_FINDERS = DEBUG

REDIS_URL = env_str("REDIS_URL", "")


def _redis_or(fallback: dict[str, object], key_prefix: str = "") -> dict[str, object]:
    if REDIS_URL:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": key_prefix}
    return fallback


CACHES = {
    # Rate limits, rendered Markdown, the page-cache generation: shared by all gunicorn workers (a
    # database table without Redis), so limits hold across them and one bump reaches every worker.
    "default": _redis_or({"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "prep_cache"}),
    # Rendered anonymous pages (prep_site/page_cache.py), apart so they never evict the above. Without
    # Redis each worker keeps its own: a memory hit beats a database round trip, and a page is only
    # rendered once per worker per generation.
    "pages": _redis_or(
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages", "OPTIONS": {"MAX_ENTRIES": 1000}},
        key_prefix="pages",
    ),
}
# How long an anonymous page may be served from the cache; 0 turns the page cache off. Changes to the
# bank or to demo results drop cached pages at once, so this only bounds what a missed signal can cost.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 600)

# --- Celery -------------------------------------------------------------------------------------
# Broker: CELERY_BROKER_URL, else REDIS_URL, else a filesystem queue under var/ that needs no server.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_RESULT_BACKEND = None  # Run state lives in the database (sandbox.Run), not in a result backend.
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("in", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "in"),
        "data_folder_out": str(BROKER_DIR / "in"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # Broadcast (remote control) exchanges; kombu's default is ./control in the working directory.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Longer than the longest hard time limit, so Redis never redelivers a run that is still going.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- The sandbox (runnable demos and code) ---------------------------------------------------------
# Who may run answer code: "everyone" (local default) or "users" (signed-in only; the default once the
# site is public, i.e. served over HTTPS).
SANDBOX_CODE_RUNNERS = env_str("SANDBOX_CODE_RUNNERS", "users" if HTTPS else "everyone")
# Time limits (seconds). Soft: the task is told to stop and the run ends timed_out; hard: the worker
# process is killed and the sweep fails the run.
SANDBOX_DEMO_SOFT_TIME_LIMIT = env_int("SANDBOX_DEMO_SOFT_TIME_LIMIT", 300)
SANDBOX_DEMO_TIME_LIMIT = env_int("SANDBOX_DEMO_TIME_LIMIT", 330)
SANDBOX_CODE_TIMEOUT = env_int("SANDBOX_CODE_TIMEOUT", 30)  # wall clock of the sandboxed child
SANDBOX_CODE_CPU_SECONDS = env_int("SANDBOX_CODE_CPU_SECONDS", 30)
SANDBOX_CODE_MEMORY_MB = env_int("SANDBOX_CODE_MEMORY_MB", 4096)  # address space; torch needs a few GB
SANDBOX_CODE_OUTPUT_BYTES = env_int("SANDBOX_CODE_OUTPUT_BYTES", 64 * 1024)
SANDBOX_CODE_MAX_CHARS = env_int("SANDBOX_CODE_MAX_CHARS", 20_000)
SANDBOX_BACKEND = env_str("SANDBOX_BACKEND", "auto")  # auto | bubblewrap | rlimit
SANDBOX_CODE_PROCESSES = env_int("SANDBOX_CODE_PROCESSES", 64)  # tasks (threads too) per code run
# A delegated cgroup v2 directory for per-run memory.max / pids.max; empty tries the worker's own cgroup.
SANDBOX_CGROUP = env_str("SANDBOX_CGROUP", "")
# Root workers run each concurrent code run under its own uid from this range (no passwd entries needed).
SANDBOX_UID_BASE = env_int("SANDBOX_UID_BASE", 1_900_000)
SANDBOX_UID_COUNT = env_int("SANDBOX_UID_COUNT", 32)
SANDBOX_PARAM_MAX_CHARS = env_int("SANDBOX_PARAM_MAX_CHARS", 1000)  # every string demo parameter
# Queued + running runs at once, per visitor (account, or anonymous visitor) and per IP address.
SANDBOX_ACTIVE_RUNS_PER_VISITOR = env_int("SANDBOX_ACTIVE_RUNS_PER_VISITOR", 3)
SANDBOX_ACTIVE_RUNS_PER_IP = env_int("SANDBOX_ACTIVE_RUNS_PER_IP", 8)
# Per user (or IP for anonymous visitors) and per window of SANDBOX_RATE_WINDOW seconds.
SANDBOX_RATE_WINDOW = env_int("SANDBOX_RATE_WINDOW", 60)
SANDBOX_RATE_LIMIT_DEMO = env_int("SANDBOX_RATE_LIMIT_DEMO", 20)
SANDBOX_RATE_LIMIT_CODE = env_int("SANDBOX_RATE_LIMIT_CODE", 10)
# A running run's worker renews its lease every third of this; an expired lease means the worker died.
SANDBOX_LEASE_SECONDS = env_int("SANDBOX_LEASE_SECONDS", 60)
SANDBOX_MAX_ATTEMPTS = env_int("SANDBOX_MAX_ATTEMPTS", 2)
SANDBOX_QUEUED_RESEND_AFTER = env_int("SANDBOX_QUEUED_RESEND_AFTER", 60)
SANDBOX_QUEUED_DEADLINE = env_int("SANDBOX_QUEUED_DEADLINE", 15 * 60)
SANDBOX_PRELOAD_MODEL = env_bool("SANDBOX_PRELOAD_MODEL", True)
# Graded exercises: the most a submission may return through the result pipe (its outputs, MB).
EXERCISE_RESULT_MB = env_int("EXERCISE_RESULT_MB", 64)
# Graded exercises: the worker's own time per submission (inputs, oracle, comparison) on top of the
# sandboxed child's SANDBOX_CODE_TIMEOUT; a grade that takes longer is stopped and reported.
EXERCISE_GRADING_SECONDS = env_int("EXERCISE_GRADING_SECONDS", 60)
# Check + Submit per user (or IP for anonymous visitors) and per SANDBOX_RATE_WINDOW.
EXERCISE_RATE_LIMIT = env_int("EXERCISE_RATE_LIMIT", 20)
CELERY_TASK_ROUTES = {
    "sandbox.run_code": {"queue": "code"},
    "sandbox.run_exercise": {"queue": "exercises"},
    "sandbox.validate_exercise": {"queue": "exercises"},
    "sandbox.sweep_runs": {"queue": "cpu"},
}
CELERY_BEAT_SCHEDULE = {"sandbox-sweep-runs": {"task": "sandbox.sweep_runs", "schedule": env_int("SANDBOX_SWEEP_EVERY", 30)}}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Quizzes: close and grade attempts whose time ran out even when the taker never comes back.
CELERY_BEAT_SCHEDULE["quizzes-finalize-expired"] = {"task": "quizzes.finalize_expired_attempts", "schedule": 60}
# Seconds after a quiz deadline during which an answer already in flight is still accepted.
QUIZ_DEADLINE_GRACE_SECONDS = env_int("QUIZ_DEADLINE_GRACE_SECONDS", 5)
# Largest quiz (questions plus drills), longest time limit, longest free-text answer, and the time per
# question "retry my mistakes" allows.
QUIZ_MAX_QUESTIONS = env_int("QUIZ_MAX_QUESTIONS", 50)
QUIZ_MAX_TIME_LIMIT_MINUTES = env_int("QUIZ_MAX_TIME_LIMIT_MINUTES", 180)
QUIZ_MAX_FREE_TEXT_CHARS = env_int("QUIZ_MAX_FREE_TEXT_CHARS", 5000)
QUIZ_RETRY_SECONDS_PER_QUESTION = env_int("QUIZ_RETRY_SECONDS_PER_QUESTION", 90)
# JSON request bodies (every API): larger or more deeply nested bodies are a 400 naming the body.
WEB_JSON_MAX_BYTES = env_int("WEB_JSON_MAX_BYTES", 256 * 1024)
WEB_JSON_MAX_DEPTH = env_int("WEB_JSON_MAX_DEPTH", 32)
# Log-in: failures per (username, IP) before that pair is locked out, and for how long.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
# Sign-up: accounts one IP address may create per window (fresh accounts must not multiply per-account limits).
SIGNUP_MAX_PER_IP = env_int("SIGNUP_MAX_PER_IP", 5)
SIGNUP_WINDOW_SECONDS = env_int("SIGNUP_WINDOW_SECONDS", 60 * 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
