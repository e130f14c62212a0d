"""matplotlib with the Agg backend: imported on the first chart, and preloaded by the bounded-work fork server."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede any pyplot import anywhere

import matplotlib.backends.backend_agg  # noqa: E402
import matplotlib.figure  # noqa: E402
import matplotlib.font_manager  # noqa: E402
import matplotlib.patches  # noqa: E402

__all__ = ["matplotlib"]
