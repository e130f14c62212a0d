"""Report compilation and rendering (text, DOCX, XLSX, PNG) from one compiled round."""

from .compile import MeasureRow, RoundReport, UnitAnswer, compile_round

__all__ = ["MeasureRow", "RoundReport", "UnitAnswer", "compile_round"]
