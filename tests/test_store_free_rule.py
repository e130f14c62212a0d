"""The STORE_FREE rule (tests/conftest.py) is checked: a listed module that opens a store fails in the TinyDB pass."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

OPENS_A_STORE = '''
import os, subprocess, sys

from storage.tinydb_repo import TinyRepository


def test_opens_one():
    TinyRepository(None)


def test_a_subprocess_is_pointed_at_no_database():
    out = subprocess.run([sys.executable, "-c", "import os; print(os.environ['ITABOT_DATABASE_URL'])"],
                         capture_output=True, text=True, check=True).stdout
    assert "/nonexistent/store_free" in out


def test_opens_none():
    assert "a" in "abc"
'''


@pytest.mark.backend("tinydb")  # the rule is checked where the listed modules run
def test_a_listed_module_that_opens_a_store_fails(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    pytester.makepyfile(test_words=OPENS_A_STORE)  # test_words.py is in STORE_FREE
    result = pytester.runpytest_subprocess("-p", "tests.conftest", "-p", "no:cacheprovider", "-n", "0")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*test_opens_one*opened a store (TinyRepository)*STORE_FREE*"])
