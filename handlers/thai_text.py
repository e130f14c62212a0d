"""Repair what PDF text extraction breaks in Thai: split sara am, spaces before marks or inside words, wraps."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["join_wrapped", "repair_thai"]

_THAI = "\u0e01-\u0e5b"
_LETTER = "\u0e01-\u0e4e"  # Thai letters and marks, not Thai digits: a wrap beside a number keeps its space
_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"  # vowels above/below and tone marks: never start a word
_SARA_AM = re.compile("\u0e4d\u0e32|\u0e33\u0e32|\u0e33\u0e4d")  # nikhahit + sara aa, or ำ drawn as ำ + า
_SPACE_BEFORE_MARK = re.compile(rf"(?<=[{_THAI}])[ \u00a0]+(?=[{_MARKS}])")
_SPACED = re.compile(rf"([{_THAI}]+) ([{_THAI}]+)")
_LIST_START = re.compile(r"^(?:[0-9๐-๙]{1,2}[.)]|[-•*]|\([0-9๐-๙]{1,2}\))")


@lru_cache(maxsize=1)
def _tokenizer() -> object | None:
    """pythainlp's dictionary tokenizer (its word list ships in the wheel: nothing is downloaded), else None."""
    try:
        from pythainlp.tokenize import word_tokenize
    except Exception:  # not installed: the spaces stay as they are
        return None
    return word_tokenize


def _inside_word(left: str, right: str) -> bool:
    """True when the dictionary reads a word across the space ("ประชาสัมพัน ธ์" → one word)."""
    tokenize = _tokenizer()
    if tokenize is None:
        return False
    words = tokenize(left + right, engine="newmm")  # type: ignore[operator]
    at = 0
    for word in words:
        if at < len(left) < at + len(word):
            return len(word) > 1
        at += len(word)
    return False


def _join_spaced(match: re.Match[str]) -> str:
    left, right = match.group(1), match.group(2)
    if right[0] in "\u0e30\u0e32\u0e33\u0e45" or _inside_word(left[-12:], right[:12]):  # ะ า ำ ๅ never begin a word
        return left + right
    return match.group(0)


def repair_thai(text: str) -> str:
    """Sara am made one character again, no space before a mark, and spaces inside dictionary words removed."""
    text = _SARA_AM.sub("\u0e33", text)
    text = _SPACE_BEFORE_MARK.sub("", text)
    if " " in text and re.search(rf"[{_THAI}] [{_THAI}]", text):
        text = _SPACED.sub(_join_spaced, text)
    return text


def join_wrapped(lines: list[str]) -> str:
    """A cell's lines as the writer typed them: a list item starts a line, Thai wrapped mid-phrase joins up."""
    out = ""
    for line in (x.strip() for x in lines):
        if not line:
            continue
        if not out:
            out = line
        elif _LIST_START.match(line):
            out += "\n" + line
        elif re.match(rf"[{_LETTER}]", line) and re.search(rf"[{_LETTER}]$", out):
            out += line  # Thai has no spaces between words: a wrap inside a phrase adds none
        else:
            out += " " + line
    return out
