"""What the CLI prints when a typed round, role or unit names none of the valid ones."""

from __future__ import annotations

from domain.words import WordError

__all__ = ["word_problem"]


def word_problem(what: str, error: WordError) -> str:
    """One Thai line: the value that was not understood, the closest match, and every valid choice."""
    hint = f" หมายถึง \"{error.suggestion}\" หรือไม่?" if error.suggestion else ""
    return f"ไม่รู้จัก{what} \"{error.word}\"{hint} ใช้ได้: {', '.join(error.choices)}"
