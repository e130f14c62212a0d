"""itabot's entry points: CLI, composition root and the platform adapters."""
