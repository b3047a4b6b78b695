"""Small real files of every kind evidence may (or may not) be, built in memory."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import openpyxl


def png() -> bytes:
    """A 1×1 red PNG, chunk by chunk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8 bits, RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # filter byte, then one red pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def jpeg() -> bytes:
    """The head of a JFIF file (start of image, APP0 segment) and its end; recognition reads the head."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\x00" * 64 + b"\xff\xd9"


def heic() -> bytes:
    """The ftyp box an iPhone photo starts with, then an empty meta box."""
    ftyp = b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", 8) + b"meta" + b"\x00" * 32


def pdf(text: str = "Evidence") -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/></Types>'
)


def ooxml(parts: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """An Office Open XML package: [Content_Types].xml first, then ``parts``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def docx(text: str = "整改已完成") -> bytes:
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
    ).encode()
    return ooxml({"_rels/.rels": b"<Relationships/>", "word/document.xml": document})


def pptx() -> bytes:
    return ooxml({"_rels/.rels": b"<Relationships/>", "ppt/presentation.xml": b"<p:presentation/>"})


def xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["指标", "完成值"])
    sheet.append(["PM2.5", 31])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def ole2() -> bytes:
    """An OLE2 compound file header that filetype cannot place (as WPS and older Office files can be)."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024


def exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"PE\x00\x00"


def html() -> bytes:
    return b"<!DOCTYPE html><html><body><script>fetch('/api/v1/people')</script></body></html>"


def svg() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><rect/></svg>'


def zip_bomb(megabytes: int = 50) -> bytes:
    """A docx-shaped package whose document part is ``megabytes`` of zeros, deflated to a few dozen KB."""
    return ooxml({"word/document.xml": b"\x00" * (megabytes * 1024 * 1024)})


def with_bad_checksum(package: bytes, part: str) -> bytes:
    """``package`` with the CRC that the central directory declares for ``part`` changed.

    Stands for an archive that lies about its contents: the part no longer inflates to what it claims.
    """
    data = bytearray(package)
    header = data.index(b"PK\x01\x02")
    while True:
        name_length = struct.unpack_from("<H", data, header + 28)[0]
        name = bytes(data[header + 46 : header + 46 + name_length]).decode()
        if name == part:
            break
        header = data.index(b"PK\x01\x02", header + 4)
    crc = struct.unpack_from("<I", data, header + 16)[0]
    struct.pack_into("<I", data, header + 16, crc ^ 0xFFFFFFFF)
    return bytes(data)


def with_corrupt_data(package: bytes, part: str) -> bytes:
    """``package`` with the start of ``part``'s compressed data overwritten by an invalid deflate block."""
    data = bytearray(package)
    header = data.index(b"PK\x03\x04")
    while True:
        name_length, extra_length = struct.unpack_from("<HH", data, header + 26)
        name = bytes(data[header + 30 : header + 30 + name_length]).decode()
        if name == part:
            break
        header = data.index(b"PK\x03\x04", header + 4)
    start = header + 30 + name_length + extra_length
    data[start : start + 4] = b"\xff\xff\xff\xff"
    return bytes(data)
