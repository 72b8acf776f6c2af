"""Production serves collected static files hashed, compressed and cached for a year; the test
settings (tests/conftest.py) swap in the plain storage, so this checks the real setup in a subprocess."""
from __future__ import annotations

import json
import subprocess
import sys

from settings_probe import REPO, clean_env, manage, settings_under

PROBE = """
import json, django
django.setup()
from django.templatetags.static import static
from django.test import Client
url = static("css/site.css")
response = Client().get(url, HTTP_ACCEPT_ENCODING="gzip")
print(json.dumps({"url": url, "status": response.status_code, "cache_control": response.get("Cache-Control"),
                  "encoding": response.get("Content-Encoding"), "vary": response.get("Vary")}))
"""


def test_production_uses_the_compressed_manifest_storage(tmp_path):
    storages = settings_under(tmp_path / "var", ["STORAGES", "WHITENOISE_USE_FINDERS"])
    assert storages["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert storages["WHITENOISE_USE_FINDERS"] is False


def test_collected_files_are_served_hashed_gzipped_and_cached_for_a_year(tmp_path):
    static_root = tmp_path / "static"
    collected = manage(tmp_path / "var", "collectstatic", "--noinput", "-v", "0", STATIC_ROOT=str(static_root))
    assert collected.returncode == 0, collected.stderr
    assert (static_root / "staticfiles.json").exists()
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, timeout=120,
                            env=clean_env(tmp_path / "var", STATIC_ROOT=str(static_root)))
    assert result.returncode == 0, result.stderr
    served = json.loads(result.stdout)
    assert served["url"].startswith("/static/css/site.") and served["url"] != "/static/css/site.css"
    assert served["status"] == 200 and served["encoding"] == "gzip"
    assert served["cache_control"] == "max-age=315360000, public, immutable"
    assert "Accept-Encoding" in served["vary"]
