"""Supervision bulletins (督查通报): weekly, monthly and quarterly reports generated from the record, kept
as frozen content snapshots and rendered as .docx in the official document layout, .xlsx and .pdf
(DESIGN §9)."""
