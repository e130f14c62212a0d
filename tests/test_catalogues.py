"""Issue 14, languages: the side catalogues of single views are as complete as handlers/texts.py."""

from __future__ import annotations

import re
import string

import pytest

from handlers import office, status_view

THAI = re.compile(r"[\u0e00-\u0e7f]")
CATALOGUES = {"status_view.TEXTS": status_view.TEXTS, "office._PEOPLE_TEXTS": office._PEOPLE_TEXTS}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("name", sorted(CATALOGUES))
def test_every_key_in_both_languages_with_the_same_placeholders(name: str) -> None:
    th, en = CATALOGUES[name]["th"], CATALOGUES[name]["en"]
    assert th and set(th) == set(en), set(th) ^ set(en)
    for key in th:
        assert _fields(th[key]) == _fields(en[key]), key
        assert THAI.search(th[key]) and not THAI.search(en[key]), key
