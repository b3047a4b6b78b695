"""What an uploaded file really is, judged by its bytes, and whether evidence may be one.

The allowlist is deliberately tight: raster images (photos from phones included), PDF and Office
documents. Nothing a browser would run is accepted, whatever the file is called: no HTML, no SVG (it
carries script), no executables, no plain text. The name the browser sent is only used to correct the
extension shown on download, never to decide the type.

Office documents since 2007 are zip archives, so they are opened here (never extracted) and refused when
they look like an archive bomb: too many parts, too much data once inflated, or a part compressed
suspiciously well. The sizes declared in the archive are checked first, then every part is inflated and
its checksum verified, which also catches an archive that lies about its sizes.
"""

from __future__ import annotations

import lzma
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO

import filetype
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Read this much of the head of a file to recognise it (filetype looks at no more).
HEAD_BYTES = 8192
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A part this small cannot be a bomb whatever its compression ratio; tiny, repetitive XML parts of real
# documents (styles, empty sheets) routinely compress far better than any sensible ratio limit.
RATIO_FLOOR_BYTES = 1024 * 1024
INFLATE_CHUNK = 1024 * 1024
# What zipfile and the decompressors raise on damaged input (BadZipFile covers bad headers and CRCs).
BROKEN_ARCHIVE = (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error, lzma.LZMAError)


@dataclass(frozen=True)
class Kind:
    """An accepted type: what it is served as, its stored extension, and the extensions a name may keep."""

    content_type: str
    extension: str
    extensions: frozenset[str]
    # Shown in the browser rather than downloaded (see ``luoshi.evidence.responses``).
    inline: bool = False


def _kind(content_type: str, extension: str, *others: str, inline: bool = False) -> Kind:
    return Kind(content_type, extension, frozenset({extension, *others}), inline)


JPEG = _kind("image/jpeg", "jpg", "jpeg", "jpe", "jfif", inline=True)
PNG = _kind("image/png", "png", "apng", inline=True)
GIF = _kind("image/gif", "gif", inline=True)
WEBP = _kind("image/webp", "webp", inline=True)
BMP = _kind("image/bmp", "bmp", "dib", inline=True)
# iPhones save photos as HEIC by default; most browsers cannot show them, so they download, harmlessly.
HEIC = _kind("image/heic", "heic", "heif", inline=True)
# PDF downloads rather than opening inline: Chrome's PDF viewer refuses to run under the
# ``Content-Security-Policy: sandbox`` every download carries (chromium bug 413851).
PDF = _kind("application/pdf", "pdf")
DOCX = _kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
XLSX = _kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
PPTX = _kind("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx")
# Office 97–2003 and WPS Office (.wps, .et, .dps) files are OLE2 compound files.
DOC = _kind("application/msword", "doc", "dot", "wps")
XLS = _kind("application/vnd.ms-excel", "xls", "xlt", "et")
PPT = _kind("application/vnd.ms-powerpoint", "ppt", "pps", "pot", "dps")
# An OLE2 file filetype cannot place (it only knows a few layouts). OLE2 also holds installers (.msi) and
# mail (.msg), so such a file is accepted only under an Office name; it is always downloaded, never shown.
OLE2_EXTENSIONS = DOC.extensions | XLS.extensions | PPT.extensions | {"docx", "xlsx", "pptx"}
OLE2_CONTENT_TYPE = "application/x-ole-storage"

# filetype's names for the types it recognises by their head.
BY_FILETYPE = {
    "jpg": JPEG,
    "png": PNG,
    "apng": PNG,
    "gif": GIF,
    "webp": WEBP,
    "bmp": BMP,
    "heic": HEIC,
    "pdf": PDF,
    "doc": DOC,
    "xls": XLS,
    "ppt": PPT,
}
# The folder every Office Open XML package of each kind keeps its parts in.
OOXML_FOLDERS = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}

INLINE_CONTENT_TYPES = frozenset(k.content_type for k in BY_FILETYPE.values() if k.inline)
# Every type the checks above can give a file; nothing else is ever sent as what it claims to be.
SERVABLE_CONTENT_TYPES = frozenset(
    {k.content_type for k in (*BY_FILETYPE.values(), *OOXML_FOLDERS.values())} | {OLE2_CONTENT_TYPE}
)

_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,5})$")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$", re.IGNORECASE)
_UNSAFE_IN_NAMES = '<>:"/\\|?*'
MAX_NAME_LENGTH = 200


class Refused(Exception):
    """The file is not acceptable as evidence; ``message`` says why, naming the file."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def sniff(stream: IO[bytes], name: str) -> Kind:
    """The kind of the file in ``stream`` (read from its start), or ``Refused``.

    ``name`` is the sanitized client name, used in messages and to place unrecognised OLE2 files.
    """
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    if not head:
        raise Refused(_("“%(name)s” is empty.") % {"name": name})
    # A zip is recognised only by its first bytes: an archive appended to something else (a
    # self-extracting executable) is not an Office document.
    if head.startswith(ZIP_MAGIC):
        return _office_open_xml(stream, name)
    guessed = filetype.guess(head)
    kind = BY_FILETYPE.get(guessed.extension) if guessed is not None else None
    if kind is not None:
        return kind
    if head.startswith(OLE2_MAGIC) and extension_of(name) in OLE2_EXTENSIONS:
        ext = extension_of(name)
        return Kind(OLE2_CONTENT_TYPE, ext, frozenset({ext}))
    raise _not_accepted(name)


def _not_accepted(name: str) -> Refused:
    return Refused(_("“%(name)s” is not a PDF, image or Office document.") % {"name": name})


def _office_open_xml(stream: IO[bytes], name: str) -> Kind:
    try:
        archive = zipfile.ZipFile(stream)
    except BROKEN_ARCHIVE as exc:
        raise Refused(_("“%(name)s” is damaged or is not an Office document.") % {"name": name}) from exc
    with archive:
        entries = archive.infolist()
        check_archive(entries, name)
        names = [e.filename for e in entries]
        if "[Content_Types].xml" not in names:
            raise _not_accepted(name)
        kinds = {kind for folder, kind in OOXML_FOLDERS.items() if any(n.startswith(folder) for n in names)}
        if len(kinds) != 1:
            raise _not_accepted(name)
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            raise Refused(
                _(
                    "“%(name)s” contains macros. Save it without macros (as .docx, .xlsx or .pptx) and "
                    "upload it again."
                )
                % {"name": name}
            )
        _inflate_all(archive, entries, name)
    stream.seek(0)
    return kinds.pop()


def check_archive(entries: list[zipfile.ZipInfo], name: str) -> None:
    """Refuse an archive whose declared layout is a bomb, before inflating anything."""
    max_entries = settings.LUOSHI_EVIDENCE_ZIP_MAX_ENTRIES
    max_bytes = settings.LUOSHI_EVIDENCE_ZIP_MAX_BYTES
    max_ratio = settings.LUOSHI_EVIDENCE_ZIP_MAX_RATIO
    if len(entries) > max_entries:
        raise Refused(
            _("“%(name)s” has more than %(limit)d parts; it is refused as a possible archive bomb.")
            % {"name": name, "limit": max_entries}
        )
    if sum(e.file_size for e in entries) > max_bytes:
        raise _too_big_inflated(name, max_bytes)
    for entry in entries:
        if entry.file_size > RATIO_FLOOR_BYTES and entry.file_size > max_ratio * max(entry.compress_size, 1):
            raise Refused(
                _(
                    "“%(name)s” contains a part compressed more than %(ratio)d times; it is refused as a "
                    "possible archive bomb."
                )
                % {"name": name, "ratio": max_ratio}
            )


def _too_big_inflated(name: str, limit: int) -> Refused:
    return Refused(
        _("“%(name)s” expands to more than %(limit)s when opened; it is refused as a possible archive bomb.")
        % {"name": name, "limit": filesizeformat(limit)}
    )


def _inflate_all(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], name: str) -> None:
    """Inflate every part and check its CRC, discarding the data.

    zipfile stops each part at its declared size and then fails the CRC check if more was there, so the
    work done is bounded by the declared sizes that ``check_archive`` accepted.
    """
    total = 0
    limit = settings.LUOSHI_EVIDENCE_ZIP_MAX_BYTES
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise Refused(_("“%(name)s” is encrypted; upload it without a password.") % {"name": name})
        try:
            with archive.open(entry) as part:
                while chunk := part.read(INFLATE_CHUNK):
                    total += len(chunk)
                    if total > limit:
                        raise _too_big_inflated(name, limit)
        except (*BROKEN_ARCHIVE, NotImplementedError, RuntimeError) as exc:
            # NotImplementedError: a compression method zipfile does not know; RuntimeError: encryption.
            raise Refused(_("“%(name)s” is damaged or is not an Office document.") % {"name": name}) from exc


# --- names ----------------------------------------------------------------------------------------


def extension_of(name: str) -> str:
    """The name's extension in lower case, if it has a plausible one ("2024.03.01检查" has none)."""
    match = _EXTENSION.search(name)
    return match.group(1).lower() if match else ""


def clean_name(raw: str) -> str:
    """The client's file name made safe to keep, display and send back in a header.

    Only the last path component is kept; control and formatting characters are dropped (among them the
    right-to-left override that can disguise "gpj.exe" as "exe.jpg"); characters that Windows forbids in
    names become "_"; the result is cut to a sensible length, keeping the extension.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        "_" if ch in _UNSAFE_IN_NAMES else ch
        for ch in name
        if unicodedata.category(ch) not in {"Cc", "Cf", "Cs"}
    )
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_NAME_LENGTH:
        match = _EXTENSION.search(name)
        suffix = match.group(0) if match else ""
        name = name[: MAX_NAME_LENGTH - len(suffix)].rstrip(" .") + suffix
    if _WINDOWS_RESERVED.match(name):
        name = "_" + name
    return name or "evidence"


def name_for(name: str, kind: Kind) -> str:
    """``name`` with an extension that matches the content, so that a download opens with the right
    program: "scan.pdf" holding a photo becomes "scan.jpg"; a name without an extension gains one."""
    if extension_of(name) in kind.extensions:
        return name
    match = _EXTENSION.search(name)
    stem = name[: match.start()] if match else name
    return f"{stem or 'evidence'}.{kind.extension}"
