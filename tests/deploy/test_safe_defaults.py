"""What `make run` gets with no configuration at all: no debug pages, a private generated secret key,
cookies that work over plain http://127.0.0.1, and a plain 400 for unknown hosts."""
from __future__ import annotations

import socket
import stat

import pytest

from settings_probe import settings_under

COOKIE_AND_TLS = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
                  "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER"]


def test_debug_is_off_unless_asked_for(tmp_path):
    assert settings_under(tmp_path / "var", ["DEBUG"]) == {"DEBUG": False}
    assert settings_under(tmp_path / "var", ["DEBUG"], DEBUG="true") == {"DEBUG": True}


def test_a_mistyped_boolean_stops_start_up(tmp_path):
    with pytest.raises(AssertionError, match="DEBUG must be one of"):
        settings_under(tmp_path / "var", ["DEBUG"], DEBUG="ture")


def test_the_secret_key_is_generated_once_and_only_its_owner_can_read_it(tmp_path):
    var = tmp_path / "var"
    first = settings_under(var, ["SECRET_KEY"])["SECRET_KEY"]
    assert first == settings_under(var, ["SECRET_KEY"])["SECRET_KEY"]  # kept across restarts
    assert len(first) >= 50 and len(set(first)) >= 5  # what check --deploy calls strong
    assert stat.S_IMODE((var / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE(var.stat().st_mode) == 0o700  # the database and the key, both private
    assert settings_under(var, ["SECRET_KEY"], SECRET_KEY="from-the-environment")["SECRET_KEY"] == "from-the-environment"


def test_an_existing_var_folder_is_made_private(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    settings_under(var, ["DEBUG"])
    assert stat.S_IMODE(var.stat().st_mode) == 0o700


def test_without_https_cookies_work_over_plain_http(tmp_path):
    values = settings_under(tmp_path / "var", COOKIE_AND_TLS)
    assert values == {
        "SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False, "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0, "SECURE_HSTS_INCLUDE_SUBDOMAINS": False, "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": None,
    }


def test_https_turns_on_every_transport_protection_and_each_can_be_set_alone(tmp_path):
    values = settings_under(tmp_path / "var", COOKIE_AND_TLS, HTTPS="true")
    assert values == {
        "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True, "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }
    overrides = {"SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false", "SECURE_SSL_REDIRECT": "false",
                 "SECURE_HSTS_SECONDS": "60", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "false", "SECURE_HSTS_PRELOAD": "false",
                 "TRUST_X_FORWARDED_PROTO": "false"}
    values = settings_under(tmp_path / "var", COOKIE_AND_TLS, HTTPS="true", **overrides)
    assert values == {
        "SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False, "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 60, "SECURE_HSTS_INCLUDE_SUBDOMAINS": False, "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": None,
    }


def test_hosts_are_loopback_unless_served_on_every_interface(tmp_path):
    local = settings_under(tmp_path / "var", ["ALLOWED_HOSTS"])["ALLOWED_HOSTS"]
    assert local == ["127.0.0.1", "localhost", "[::1]"]
    lan = settings_under(tmp_path / "var", ["ALLOWED_HOSTS"], ALLOW_LAN_HOSTS="true")["ALLOWED_HOSTS"]
    assert set(local) < set(lan) and socket.gethostname() in lan and "*" not in lan
    # An operator's list keeps loopback too: the container health check asks for 127.0.0.1.
    public = settings_under(tmp_path / "var", ["ALLOWED_HOSTS"], ALLOWED_HOSTS="prep.example.com")["ALLOWED_HOSTS"]
    assert public == ["prep.example.com", "127.0.0.1", "localhost", "[::1]"]


@pytest.mark.django_db
def test_an_unknown_host_gets_a_plain_400_that_reveals_no_settings(client, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    client.raise_request_exception = False
    response = client.get("/", HTTP_HOST="192.0.2.7:8000")
    body = response.content.decode()
    assert response.status_code == 400
    assert "DATABASES" not in body and "Traceback" not in body and "ALLOWED_HOSTS" not in body
