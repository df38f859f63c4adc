"""The HTML report, rendered by a real browser: headless Chromium shows the summary and a diff.

String checks on the template (tests/test_compare_cli.py) cannot tell whether a browser lays the
page out as meant: a stray ``</div>`` or a CSS slip can hide the side-by-side view while every
class name is still in the source. So the report of a divergent comparison is opened in headless
Chromium twice: ``--dump-dom`` gives the DOM after parsing (the verdict and both sides of the
difference must be in it), and ``--screenshot`` gives the pixels. The PNG is decoded here with
zlib and struct only (no imaging library in the dependencies): the top of the page must hold the
red verdict badge, and the two marked values must sit side by side, A's mark in the left half,
B's in the right half, below the summary.

Needs Debian's ``chromium`` package; skipped with that name when no browser is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ghtotekton.compare.bundle import RunInfo, UnitRecord, open_bundle, write_bundle
from ghtotekton.compare.engine import compare
from ghtotekton.compare.report import render

WIDTH, HEIGHT = 1280, 2000
TOP_ROWS = 200
"""The summary box (verdict badge, counts) sits within the first 200 pixels of the page."""

# Colours of the light palette in report.html.j2 (the page is forced to the light scheme).
VERDICT_DIVERGENT = (0xCF, 0x22, 0x2E)  # --bad
# <mark> backgrounds are 40 % (0x66/0xff) translucent over the side's background:
# A: #ff8182 over #ffebe9 -> (255, 192.6, 191.8); B: #4fc662 over #dafbe1 -> (162.4, 229.8, 174.2)
MARK_A = (255, 193, 192)
MARK_B = (162, 230, 174)
COLOUR_SLACK = 3
"""Blending rounds differently between Skia versions; a few levels either way is the same colour."""

TIMEOUT_S = 120


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "headless Chromium is not installed: install the Debian package `chromium` "
        "(apt-get install chromium) to run the HTML report screenshot test"
    )


def _browser(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """One headless Chromium run with its own profile folder, so runs never share state."""
    return subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--force-color-profile=srgb",
            "--blink-settings=preferredColorScheme=1",  # light, whatever the host prefers
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
        env={**os.environ, "HOME": str(profile)},
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML report of a real divergent comparison: a changed number and a failed task."""
    root = tmp_path_factory.mktemp("report")

    def bundle(name: str, system: str, accuracy: str, status: str) -> Path:
        kind = "job" if system == "github-actions" else "task"
        info = RunInfo(
            system=system,  # type: ignore[arg-type]
            run_id=f"run-{name}",
            commit="4f2a9c0d1e7b" * 3,
            status=status,  # type: ignore[arg-type]
            units=[
                UnitRecord(name="train", kind=kind, status="succeeded"),
                UnitRecord(name="evaluate", kind=kind, status=status),  # type: ignore[arg-type]
            ],
        )
        text = f"epoch 3\naccuracy {accuracy}\nloss 0.25\n"
        return write_bundle(root / name, info, {"metrics/results.txt": text.encode()})

    a = bundle("a", "github-actions", "0.91", "succeeded")
    b = bundle("b", "tekton", "0.75", "failed")
    with open_bundle(a) as run_a, open_bundle(b) as run_b:
        comparison = compare(run_a, run_b)
    assert comparison.verdict == "divergent"
    page = root / "report.html"
    page.write_text(render(comparison, "html"), encoding="utf-8")
    return page


# --------------------------------------------------------------------------------------------
# the DOM after rendering


class _Dom(HTMLParser):
    """Collects the text of the verdict badge and of <mark> elements in each side of a diff."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[set[str]] = []
        self.verdict: list[str] = []
        self.marks: dict[str, list[str]] = {"a": [], "b": []}
        self.sbs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = set((dict(attrs).get("class") or "").split())
        if tag == "div" and "sbs" in classes:
            self.sbs += 1
        self.stack.append({f"{tag}.{c}" for c in classes} | {tag})

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if tag in self.stack.pop():
                break

    def handle_data(self, data: str) -> None:
        inside = set().union(*self.stack) if self.stack else set()
        if "div.verdict" in inside and "div.divergent" in inside:
            self.verdict.append(data.strip())
        if "mark" in inside and "div.sbs" in inside:
            for side in ("a", "b"):
                if f"div.{side}" in inside:
                    self.marks[side].append(data)


def test_rendered_dom_has_the_verdict_and_a_side_by_side_difference(
    report: Path, tmp_path: Path
) -> None:
    binary = chromium()
    proc = _browser(binary, tmp_path / "profile", "--dump-dom", report.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = _Dom()
    dom.feed(proc.stdout)
    assert [t for t in dom.verdict if t] == ["divergent"]
    assert dom.sbs == 1
    assert dom.marks == {"a": ["0.91"], "b": ["0.75"]}
    assert "metrics/results.txt" in proc.stdout and "line 2" in proc.stdout


# --------------------------------------------------------------------------------------------
# the pixels


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and unfiltered RGB rows of an 8-bit RGB or RGBA PNG (what Chromium writes).

    Only what a screenshot needs: no interlacing, no palettes, no 16-bit samples.
    """
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, bytearray()
    width = height = channels = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    assert len(raw) == height * (stride + 1), "truncated image data"
    rows: list[bytes] = []
    prev = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        line = bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(raw[start], line, prev, channels)
        prev = bytes(line)
        if channels == 4:  # drop alpha: a screenshot is opaque
            rgb = bytearray(width * 3)
            rgb[0::3], rgb[1::3], rgb[2::3] = line[0::4], line[1::4], line[2::4]
            rows.append(bytes(rgb))
        else:
            rows.append(prev)
    return width, height, rows


def _unfilter(kind: int, line: bytearray, prev: bytes, bpp: int) -> None:
    """Undo one row's PNG filter in place (PNG spec, section 9)."""
    n = len(line)
    if kind == 0:
        return
    if kind == 2:  # Up: add the row above byte-wise, all bytes at once on big integers
        line[:] = _add_bytes(bytes(line), prev)
        return
    for i in range(n):
        left = line[i - bpp] if i >= bpp else 0
        up = prev[i]
        if kind == 1:
            pred = left
        elif kind == 3:
            pred = (left + up) >> 1
        elif kind == 4:
            upleft = prev[i - bpp] if i >= bpp else 0
            p = left + up - upleft
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
            pred = left if pa <= pb and pa <= pc else (up if pb <= pc else upleft)
        else:
            raise AssertionError(f"unknown PNG filter {kind}")
        line[i] = (line[i] + pred) & 0xFF


def _add_bytes(a: bytes, b: bytes) -> bytes:
    """(a[i] + b[i]) mod 256 for every i, without a Python loop per byte.

    The low seven bits of each byte are added as one big integer (no carry can cross a byte),
    and the top bit of each byte is the XOR of both top bits and the carry into it.
    """
    n = len(a)
    low, high = int.from_bytes(b"\x7f" * n, "big"), int.from_bytes(b"\x80" * n, "big")
    x, y = int.from_bytes(a, "big"), int.from_bytes(b, "big")
    return (((x & low) + (y & low)) ^ ((x ^ y) & high)).to_bytes(n, "big")


def _where(rows: list[bytes], colour: tuple[int, int, int]) -> list[tuple[int, int]]:
    """(x, y) of every pixel within COLOUR_SLACK of ``colour``.

    A regex of three byte ranges finds candidates in C; a lookahead so that overlapping
    candidates are all seen, and only those that start on a pixel boundary count.
    """
    ranges = b"".join(
        b"[" + re.escape(bytes([max(0, c - COLOUR_SLACK)])) + b"-"
        + re.escape(bytes([min(255, c + COLOUR_SLACK)])) + b"]"
        for c in colour
    )  # fmt: skip
    pattern = re.compile(b"(?=" + ranges + b")", re.S)
    return [
        (m.start() // 3, y)
        for y, row in enumerate(rows)
        for m in pattern.finditer(row)
        if m.start() % 3 == 0
    ]


@pytest.mark.slow
def test_screenshot_shows_the_summary_and_a_side_by_side_difference(
    report: Path, tmp_path: Path
) -> None:
    binary = chromium()
    png = tmp_path / "report.png"
    proc = _browser(
        binary,
        tmp_path / "profile",
        f"--screenshot={png}",
        f"--window-size={WIDTH},{HEIGHT}",
        report.as_uri(),
    )
    assert proc.returncode == 0 and png.is_file(), proc.stderr[-2000:]
    data = png.read_bytes()
    # A blank 1280x2000 page compresses to a few KB; text, tables and colour make tens of KB.
    assert 20_000 < len(data) < 20_000_000, len(data)
    width, height, rows = decode_png(data)
    assert (width, height) == (WIDTH, HEIGHT)

    top = rows[:TOP_ROWS]
    distinct = {row[x : x + 3] for row in top for x in range(0, len(row), 3)}
    assert len(distinct) > 50, f"the top of the page is (nearly) blank: {len(distinct)} colours"
    badge = _where(top, VERDICT_DIVERGENT)
    assert len(badge) > 500, "no red DIVERGENT badge in the summary at the top of the page"
    assert max(x for x, _ in badge) < WIDTH // 2, "the verdict badge is not at the left"

    below = rows[TOP_ROWS:]
    mark_a, mark_b = _where(below, MARK_A), _where(below, MARK_B)
    assert len(mark_a) > 50 and len(mark_b) > 50, (len(mark_a), len(mark_b))
    # side by side: A's marked value in the left column, B's in the right, on the same line
    assert max(x for x, _ in mark_a) < WIDTH // 2 <= min(x for x, _ in mark_b)
    ys_a = {y for _, y in mark_a}
    ys_b = {y for _, y in mark_b}
    assert len(ys_a & ys_b) >= len(ys_a) // 2, "the two sides are not on the same line"


def test_png_decoder_reads_every_filter() -> None:
    """The decoder itself, on a PNG built here with each filter type: a wrong unfilter fails."""
    width, height, bpp = 5, 5, 3
    pixels = [bytes((x * 40 + y * 7) % 256 for x in range(width * bpp)) for y in range(height)]
    encoded = bytearray()
    prev = bytes(width * bpp)
    for kind, row in enumerate(pixels):  # row y uses filter y: None, Sub, Up, Average, Paeth
        out = bytearray([kind])
        for i, value in enumerate(row):
            left = row[i - bpp] if i >= bpp else 0
            up = prev[i]
            upleft = prev[i - bpp] if i >= bpp else 0
            p = left + up - upleft
            paeth = min(
                (abs(p - left), 0, left), (abs(p - up), 1, up), (abs(p - upleft), 2, upleft)
            )[2]
            pred = [0, left, up, (left + up) >> 1, paeth][kind]
            out.append((value - pred) & 0xFF)
        encoded += out
        prev = row

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(bytes(encoded)))
        + chunk(b"IEND", b"")
    )
    assert decode_png(png) == (width, height, pixels)
