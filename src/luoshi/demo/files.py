"""Small, valid evidence files for the demo, made without any imaging library: a PNG "site photo" (a sky,
the ground and a few buildings in plain colours) and a one-page PDF with a few lines of Chinese text.

Both are a pure function of their arguments, so two builds of the demo store the same bytes.
"""

from __future__ import annotations

import struct
import zlib
from random import Random

WIDTH, HEIGHT = 320, 200

SKIES = ((186, 214, 236), (205, 222, 235), (168, 196, 222), (222, 228, 232))
GROUNDS = ((118, 122, 118), (142, 132, 112), (104, 132, 92), (150, 150, 146))
WALLS = ((196, 180, 160), (170, 170, 176), (210, 196, 172), (150, 120, 100), (188, 196, 204))
WINDOW = (70, 92, 120)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def site_photo(seed: int) -> bytes:
    """A 320×200 RGB PNG of a street scene drawn in flat colours, different for every ``seed``."""
    rng = Random(seed)  # noqa: S311 -- a drawing, not a secret
    horizon = rng.randrange(120, 150)
    sky, ground = rng.choice(SKIES), rng.choice(GROUNDS)
    rows = [bytearray(bytes(sky) * WIDTH) for _ in range(horizon)]
    rows += [bytearray(bytes(ground) * WIDTH) for _ in range(HEIGHT - horizon)]

    def fill(x0: int, y0: int, x1: int, y1: int, colour: tuple[int, int, int]) -> None:
        x0, x1 = max(0, x0), min(WIDTH, x1)
        for y in range(max(0, y0), min(HEIGHT, y1)):
            rows[y][x0 * 3 : x1 * 3] = bytes(colour) * (x1 - x0)

    x = rng.randrange(0, 20)
    while x < WIDTH - 30:
        width, height = rng.randrange(40, 80), rng.randrange(50, horizon - 10)
        fill(x, horizon - height, x + width, horizon, rng.choice(WALLS))
        for wy in range(horizon - height + 8, horizon - 12, 14):
            for wx in range(x + 6, x + width - 10, 14):
                fill(wx, wy, wx + 7, wy + 8, WINDOW)
        x += width + rng.randrange(6, 24)
    # A road or a path across the ground.
    fill(0, horizon + 20, WIDTH, horizon + 32, (88, 88, 92))
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 6))
        + _chunk(b"IEND", b"")
    )


def _text(value: str) -> str:
    """A PDF hex string in UCS-2 (the UniGB-UCS2-H encoding of the standard STSong-Light font)."""
    return "<" + value.encode("utf-16-be").hex().upper() + ">"


def document(title: str, lines: list[str]) -> bytes:
    """A one-page A4 PDF: ``title`` and ``lines`` in STSong-Light, a font every PDF reader provides for
    Simplified Chinese, so nothing needs embedding."""
    content = ["BT", "/F1 20 Tf", "72 760 Td", f"{_text(title)} Tj", "/F1 12 Tf"]
    for line in lines:
        content += ["0 -28 Td", f"{_text(line)} Tj"]
    content.append("ET")
    stream = "\n".join(content).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
        b"/FontDescriptor 7 0 R /DW 1000 /W [1 95 500] >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode() + b"0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
