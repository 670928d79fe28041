"""File helpers every layer may use: `atomic` (the one atomic replace and temp-file sweep)."""
