"""manage.py load_bank: human and JSON output, --strict exit status, and the real bank loading cleanly."""
from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from questions.bank_loader import DEFAULT_BANK_DIR, load_bank
from questions.models import Question

pytestmark = pytest.mark.django_db


def test_it_prints_a_summary(bank):
    bank.write("q1")
    out = StringIO()
    call_command("load_bank", "--path", str(bank.root), stdout=out, stderr=StringIO())
    assert "1 created" in out.getvalue()


def test_json_output_is_the_report(bank):
    bank.write("q1")
    out = StringIO()
    call_command("load_bank", "--path", str(bank.root), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["created"] == ["q1"] and data["ok"] is True


def test_strict_fails_only_when_a_file_is_bad(bank):
    bank.write("q1")
    call_command("load_bank", "--path", str(bank.root), "--strict", stdout=StringIO())
    bank.write_raw("kv-cache/bad.md", "no front matter\n")
    err = StringIO()
    with pytest.raises(CommandError, match="1 bank file"):
        call_command("load_bank", "--path", str(bank.root), "--strict", stdout=StringIO(), stderr=err)
    assert "bad.md:1:" in err.getvalue()
    # without --strict the same bank loads the good file and exits 0
    call_command("load_bank", "--path", str(bank.root), stdout=StringIO(), stderr=StringIO())


def test_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="--path: .* is not a folder"):
        call_command("load_bank", "--path", str(tmp_path / "nope"))


def test_the_real_bank_loads_without_errors():
    report = load_bank(DEFAULT_BANK_DIR)
    assert report.errors == []
    assert Question.objects.published().count() == len(report.created)
    assert load_bank(DEFAULT_BANK_DIR).unchanged == report.created  # idempotent on real content too
