"""Evaluation (考核): scoring schemes, per-period scores of units and people computed from the record,
league tables with rank movement, drill-downs to every point lost, and flags for suspicious patterns
(DESIGN §8)."""
