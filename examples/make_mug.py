#!/usr/bin/env python3
"""Draws examples/mug.png: a mug seen from the side, a cut-out on transparency (256x256 RGBA).

Made for the README's pictures (scripts/readme-pictures.sh): an object with a thin part (the
handle) and a hole. Plain Python (zlib only), 4x4 samples a pixel for smooth edges, so the file
is the same on every machine:  python3 examples/make_mug.py examples/mug.png
"""
import struct
import sys
import zlib

SIZE = 256
SAMPLES = 4
BODY = (42, 140, 140)
STRIPE = (242, 230, 200)
RIM = (31, 102, 102)
HANDLE = (35, 119, 119)


def colour_at(x, y):
    """The colour of the point (x, y) in pixels, or None where the mug is not."""
    left, right, top, bottom, corner = 60.0, 170.0, 62.0, 212.0, 18.0
    if left <= x <= right and top <= y <= bottom:
        # Rounded bottom corners.
        cx = left + corner if x < left + corner else right - corner if x > right - corner else x
        cy = bottom - corner
        if y > cy and (x - cx) ** 2 + (y - cy) ** 2 > corner**2:
            return None
        if y < top + 8:
            return RIM
        if 112 <= y <= 136:
            return STRIPE
        return BODY
    # The handle: a half ring on the right, centre (170, 137), radii 27 to 45.
    d2 = (x - 170.0) ** 2 + (y - 137.0) ** 2
    if x > right and 27.0**2 <= d2 <= 45.0**2:
        return HANDLE
    return None


def pixel(px, py):
    total = [0.0, 0.0, 0.0]
    hits = 0
    for sy in range(SAMPLES):
        for sx in range(SAMPLES):
            c = colour_at(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES)
            if c is not None:
                hits += 1
                for k in range(3):
                    total[k] += c[k]
    if hits == 0:
        return (0, 0, 0, 0)
    return tuple(round(t / hits) for t in total) + (round(255 * hits / SAMPLES**2),)


def png(width, height, rows):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\0" + bytes(v for p in row for v in p) for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    rows = [[pixel(x, y) for x in range(SIZE)] for y in range(SIZE)]
    with open(sys.argv[1] if len(sys.argv) > 1 else "examples/mug.png", "wb") as out:
        out.write(png(SIZE, SIZE, rows))
