"""The province-scale benchmark (``luoshi bench generate|load|run|drafting``); see docs/performance.md."""
