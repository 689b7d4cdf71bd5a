"""Writes the demo brand's logo, ``src/entryway/web/static/logo.png`` (120x32).

A green tile with a white doorway and the word ACME in a square pixel type, drawn point
by point and written as a PNG with the standard library alone (zlib, struct), so the
demo needs no image library. Run it again after changing the drawing:
``python scripts/make_logo.py``."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

WIDTH, HEIGHT = 120, 32
BRAND = (0x0B, 0x6E, 0x4F, 255)  # the demo sites' brand_color, #0b6e4f
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)
OUT = Path(__file__).resolve().parent.parent / "src" / "entryway" / "web" / "static" / "logo.png"

GLYPHS = {
    "A": [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
    "C": [".####", "#....", "#....", "#....", "#....", "#....", ".####"],
    "M": ["#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"],
    "E": ["#####", "#....", "#....", "####.", "#....", "#....", "#####"],
}
SCALE = 3  # each glyph point is a 3x3 square: 15x21 letters


def _in_tile(x: int, y: int) -> bool:
    """Inside the 28x28 tile at (2, 2) with corners rounded to a radius of 6."""
    left, top, size, radius = 2, 2, 28, 6
    if not (left <= x < left + size and top <= y < top + size):
        return False
    cx = min(max(x, left + radius), left + size - 1 - radius)
    cy = min(max(y, top + radius), top + size - 1 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def _in_door(x: int, y: int) -> bool:
    """The doorway: 12 wide, from y 8 to the tile's foot, its top an arch."""
    if not (10 <= x <= 21 and 8 <= y <= 27):
        return False
    if y >= 14:
        return True
    return (x - 15.5) ** 2 + (y - 14) ** 2 <= 6.2**2


def pixels() -> list[list[tuple[int, int, int, int]]]:
    """The logo, row by row."""
    rows = [[CLEAR] * WIDTH for _ in range(HEIGHT)]
    for y in range(HEIGHT):
        for x in range(WIDTH):
            if _in_tile(x, y):
                rows[y][x] = WHITE if _in_door(x, y) else BRAND
    rows[19][19] = rows[19][18] = BRAND  # the door's handle
    left, top = 38, 5
    for glyph in "ACME":
        for gy, line in enumerate(GLYPHS[glyph]):
            for gx, mark in enumerate(line):
                if mark == "#":
                    for dy in range(SCALE):
                        for dx in range(SCALE):
                            rows[top + gy * SCALE + dy][left + gx * SCALE + dx] = BRAND
        left += 5 * SCALE + 3
    return rows


def png(rows: list[list[tuple[int, int, int, int]]]) -> bytes:
    """An 8-bit RGBA PNG of ``rows`` (filter 0 on every line)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(v for px in row for v in px) for row in rows)
    header = struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    OUT.write_bytes(png(pixels()))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
