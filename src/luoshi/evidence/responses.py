"""The HTTP answer that hands out an evidence file, shared by the page view and the API.

Evidence comes from outside and is shown to officials signed in to Luoshi, so a download must never run
in the application's origin: the type is the one recognised from the bytes (``nosniff`` keeps the
browser from guessing another), everything but images is an attachment, and ``Content-Security-Policy:
sandbox`` takes away scripts, forms and the origin even if a browser did render the file.
"""

from __future__ import annotations

import logging
import unicodedata
from urllib.parse import quote

from django.http import FileResponse, Http404

from luoshi.evidence import filetypes
from luoshi.evidence.models import EvidenceFile
from luoshi.evidence.storage import evidence_storage

logger = logging.getLogger(__name__)


def download_response(evidence: EvidenceFile) -> FileResponse:
    """Stream ``evidence`` (the caller has checked that the user may see it)."""
    try:
        handle = evidence_storage().open(evidence.stored_name, "rb")
    except FileNotFoundError as exc:
        # A committed row always has its file (luoshi.evidence.services); if it is gone, someone removed
        # it behind the application's back.
        logger.error("Evidence file %s (row %s) is missing from the store", evidence.stored_name, evidence.pk)
        raise Http404 from exc
    content_type = served_type(evidence.content_type)
    response = FileResponse(handle, content_type=content_type)
    inline = content_type in filetypes.INLINE_CONTENT_TYPES
    response["Content-Disposition"] = content_disposition(
        "inline" if inline else "attachment", evidence.original_name, fallback=f"evidence-{evidence.pk}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    # Other sites may not embed it (with the visitor's session) in their own pages.
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # Access is checked on every request; no cache in between may keep a copy for someone else.
    response["Cache-Control"] = "private, no-store"
    return response


def served_type(recorded: str) -> str:
    """The type a file is sent as: the recorded one if it is on the allowlist, else opaque bytes.

    Every row written by the service has an allowed type; this guards against rows from elsewhere (an
    import, a restore of an older version, a hand-edited database) naming HTML, SVG or script.
    """
    return recorded if recorded in filetypes.SERVABLE_CONTENT_TYPES else "application/octet-stream"


def content_disposition(disposition: str, name: str, *, fallback: str) -> str:
    """A Content-Disposition header with the name in UTF-8 (RFC 5987/6266) and a plain-ASCII fallback for
    old clients, e.g. ``attachment; filename="evidence-7.pdf"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf`` for
    报告.pdf."""
    # Accents fold away ("résumé" → "resume"); a name with anything else outside ASCII (Chinese above all)
    # falls back to a neutral name rather than to a mangled fragment of itself.
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    if folded.isascii() and any(ch.isalnum() for ch in folded):
        ascii_name = "".join(ch for ch in folded if ch.isprintable() and ch not in '"\\')
    else:
        extension = filetypes.extension_of(name)
        ascii_name = f"{fallback}.{extension}" if extension else fallback
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
