"""HTML reports (nbconvert notebooks, pytest-html): the same when a reader would see the same.

Two renderings of equivalent runs differ in everything a reader never looks at: generated ids and
anchors, inline CSS and scripts, ``<meta>`` tags, execution-count prompts, durations, the "Report
generated on" line, and the exact bytes of embedded images. So the page is reduced to what a
browser shows without JavaScript: the visible text, cut into blocks at block elements and
labelled with the heading above it, plus the sequence of structural tags (headings, paragraphs,
lists, table rows and cells). Text is sanitised (sanitize.py) and numbers compared under
tolerance; images become their mime type and pixel size.

nbconvert pages keep nbval's markers (a cell tagged or commented to ignore its output has its
output dropped, a skipped cell is dropped whole); pytest-html 4 reports, which draw their table
with JavaScript, are read from their embedded JSON. ``options.ignore`` drops more elements:
``#id`` by id, ``.part`` by a substring of the class attribute.

One pass of the stdlib parser and a linear block comparison keep a 10 MB nbconvert page around a
second; only blocks that differ byte-wise are sanitised; nothing is quadratic in the page size.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from ghtotekton.compare.handlers._readers import (
    capped,
    decode_text,
    load_pair,
    max_bytes,
    read_bytes,
    short,
)
from ghtotekton.compare.handlers.base import Difference, HandlerOptions
from ghtotekton.compare.handlers.sanitize import (
    compare_text,
    first_difference,
    sanitize,
    sanitize_pair,
)

NAME = "html"

# --------------------------------------------------------------------------------------------
# images


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG, GIF or JPEG header; None for anything else.

    Pixel size, not byte size, is what stays equal when a plot is redrawn from numbers that
    differ in the last bits: the compressed bytes change, the canvas does not.
    """
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        return _jpeg_dimensions(data)
    return None


_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        i += 2 + int(length)
    return None


_SVG_ATTR = re.compile(r"\b(width|height|viewBox)\s*=\s*[\"']([^\"']*)[\"']")


def svg_size(text: str) -> str:
    """``W x H`` from the root element's width/height (or viewBox); "" when it has none."""
    head = text[: 64 * 1024]
    start = head.find("<svg")
    if start < 0:
        return ""
    end = head.find(">", start)
    tag = head[start : end + 1 if end >= 0 else len(head)]
    found: dict[str, str] = {m.group(1): m.group(2) for m in _SVG_ATTR.finditer(tag)}
    if "width" in found and "height" in found:
        return f"{found['width']}x{found['height']}"
    return found.get("viewBox", "")


def describe_image(mime: str, data: bytes) -> str:
    """``image/png 640x480``, or the decoded byte count when the header cannot be read."""
    if mime == "image/svg+xml":
        size = svg_size(data.decode("utf-8", "replace"))
        return f"{mime} {size}".rstrip()
    dims = image_dimensions(data)
    if dims is not None:
        return f"{mime} {dims[0]}x{dims[1]}"
    return f"{mime} {len(data)} bytes"


def decode_base64_prefix(payload: str, want: int = 64 * 1024) -> tuple[bytes, int]:
    """The first ``want`` decoded bytes (enough for any image header) and the full decoded size.

    Decoding a whole multi-MB plot only to read 24 header bytes would dominate the time spent on
    a large page.
    """
    payload = "".join(payload.split()) if any(c.isspace() for c in payload[:200]) else payload
    padding = len(payload) - len(payload.rstrip("="))
    total = max(0, len(payload) * 3 // 4 - padding)
    chunk = payload[: ((want + 2) // 3) * 4]
    try:
        return base64.b64decode(chunk + "=" * (-len(chunk) % 4)), total
    except (binascii.Error, ValueError):
        return b"", total


def describe_data_uri(uri: str) -> str:
    """A ``data:`` URI as ``image/png 640x480``: its payload would differ on every render."""
    header, _, payload = uri.partition(",")
    mime = header[5:].split(";", 1)[0].strip().lower() or "text/plain"
    if header.endswith(";base64"):
        head, total = decode_base64_prefix(payload)
        if mime == "image/svg+xml":
            return describe_image(mime, base64.b64decode(payload + "=" * (-len(payload) % 4)))
        dims = image_dimensions(head)
        return f"{mime} {dims[0]}x{dims[1]}" if dims else f"{mime} {total} bytes"
    return describe_image(mime, unquote(payload).encode("utf-8", "replace"))


# --------------------------------------------------------------------------------------------
# parsing

_DROP_TAGS = frozenset(
    {"script", "style", "head", "title", "template", "noscript", "metadata", "iframe", "object"}
)
_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
STRUCTURE_TAGS = frozenset(
    {
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "p",
        "pre",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "table",
        "tr",
        "td",
        "th",
        "caption",
        "blockquote",
        "section",
        "article",
        "figure",
        "img",
        "svg",
        "hr",
        "details",
        "summary",
    }
)
"""Tags whose order is the page's shape; div and span are layout and change with templates."""
_BLOCK_TAGS = STRUCTURE_TAGS | frozenset(
    {
        "div",
        "br",
        "header",
        "footer",
        "nav",
        "aside",
        "main",
        "form",
        "fieldset",
        "legend",
        "figcaption",
        "thead",
        "tbody",
        "tfoot",
        "body",
        "html",
        "button",
        "option",
        "label",
    }
)
"""Tags that end a text block: text on both sides of one never runs together."""

_IMPLIED_END: dict[str, frozenset[str]] = {
    "td": frozenset({"td", "th", "tr", "/tr", "/table", "/tbody", "/thead", "/tfoot"}),
    "th": frozenset({"td", "th", "tr", "/tr", "/table", "/tbody", "/thead", "/tfoot"}),
    "tr": frozenset({"tr", "/table", "/tbody", "/thead", "/tfoot"}),
    "li": frozenset({"li", "/ul", "/ol"}),
    "dt": frozenset({"dt", "dd", "/dl"}),
    "dd": frozenset({"dt", "dd", "/dl"}),
    "p": frozenset({"p", "div", "table", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}),
}
"""Elements whose end tag HTML lets authors omit, and what ends them implicitly; without this a
dropped ``<td class="col-duration">`` with no ``</td>`` would drop the rest of the page."""

DEFAULT_DROP_IDS = frozenset({"environment"})
"""pytest-html's environment table: runner platform, plugin versions, CI variables."""
DEFAULT_DROP_CLASS_PARTS = (
    "prompt",
    "duration",
    "anchor-link",
    "celltag_nbval-skip",
    "celltag_ghtotekton-skip",
)
"""Class substrings of run metadata: nbconvert's ``In [3]:`` prompts (execution counts) and
pilcrow anchors, pytest-html duration cells; and nbconvert cells tagged to be skipped."""

_CELL_CLASSES = frozenset({"jp-Cell", "cell"})
_OUTPUT_CLASSES = frozenset({"jp-Cell-outputWrapper", "output_wrapper"})
_IGNORE_OUTPUT_CLASSES = frozenset(
    {"celltag_nbval-ignore-output", "celltag_ghtotekton-ignore-output"}
)
_IGNORE_OUTPUT_COMMENT = "# NBVAL_IGNORE_OUTPUT"

_GENERATED = re.compile(r"Report generated on .*")


@dataclass(slots=True)
class Page:
    """What a reader sees: text blocks with their heading, and the structural tag sequence."""

    blocks: list[str] = field(default_factory=list)
    block_heading: list[int] = field(default_factory=list)
    headings: list[str] = field(default_factory=lambda: [""])
    structure: list[str] = field(default_factory=list)
    structure_heading: list[int] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.blocks)


class _Reader(HTMLParser):
    """One pass over the document, dropping what a reader does not see."""

    def __init__(self, drop_ids: frozenset[str], drop_classes: Sequence[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._drop_ids = drop_ids
        self._drop_classes = tuple(c.lower() for c in drop_classes)
        self._buf: list[str] = []
        self._drop_tag = ""
        self._drop_depth = 0
        self._pre = 0
        self._heading_tag = ""
        self._ignore_cell_output = False
        """nbconvert page: the current notebook cell carries nbval's ignore-output marker."""
        self._text_output = ""
        """nbconvert page: mime of the text output being read ('' outside one)."""
        self._child_result = False
        self._last_text: tuple[int, int, str] | None = None
        """(block index, structure length, mime) of the last text output block: a kernel may
        split one cell's stream into several outputs, which read the same once joined."""
        self._merge = False

    # -- dropping ------------------------------------------------------------------------

    def _notebook_cell(self, attrs: list[tuple[str, str | None]]) -> bool:
        """Follow nbconvert's cell markup so nbval's markers hold in the rendered page too:
        returns True when this element is the output of a cell whose output is ignored."""
        classes = set(_attr(attrs, "class").split())
        if not classes:
            return False
        if classes & _CELL_CLASSES:
            self._ignore_cell_output = bool(classes & _IGNORE_OUTPUT_CLASSES)
            return False
        return self._ignore_cell_output and bool(classes & _OUTPUT_CLASSES)

    def _dropped(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        if tag in _DROP_TAGS:
            return True
        for name, value in attrs:
            if not value:
                continue
            if name == "id" and value in self._drop_ids:
                return True
            if name == "class":
                lowered = value.lower()
                if any(part in lowered for part in self._drop_classes):
                    return True
        return False

    def _implied_end_of_drop(self, token: str) -> bool:
        ends = _IMPLIED_END.get(self._drop_tag)
        return self._drop_depth == 1 and ends is not None and token in ends

    # -- parser callbacks ----------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._drop_depth:
            if self._implied_end_of_drop(tag):
                self._drop_depth = 0
            elif tag == self._drop_tag and tag not in _VOID:
                self._drop_depth += 1
                return
            else:
                return
        blob = _attr(attrs, "data-jsonblob")
        if blob:
            self._embedded_results(blob)
        if tag == "svg":
            self._flush()
            self._mark("svg")
            self._buf.append(f" [image/svg+xml {_svg_attr_size(attrs)}] ".replace(" ]", "]"))
            self._drop_tag, self._drop_depth = "svg", 1
            return
        if self._dropped(tag, attrs) or self._notebook_cell(attrs):
            if tag not in _VOID:
                self._drop_tag, self._drop_depth = tag, 1
            return
        if tag == "div":
            self._output_markup(attrs)
        if tag in _BLOCK_TAGS:
            self._flush()
            if tag in STRUCTURE_TAGS:
                self._mark(tag)
        if tag in _HEADINGS:
            self._heading_tag = tag
        elif tag == "pre":
            self._pre += 1
        elif tag == "img":
            self._buf.append(f" [{_img_text(attrs)}] ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._drop_depth:
            if tag == self._drop_tag:
                self._drop_depth -= 1
                return
            if not self._implied_end_of_drop("/" + tag):
                return
            self._drop_depth = 0  # e.g. </tr> closes a dropped <td>, and belongs to the page
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag == "pre" and self._pre:
            self._pre -= 1
        elif tag in _HEADINGS and tag == self._heading_tag:
            self._heading_tag = ""

    def handle_data(self, data: str) -> None:
        if not self._drop_depth:
            self._buf.append(data)
            if data.startswith(_IGNORE_OUTPUT_COMMENT):
                self._ignore_cell_output = True

    def _output_markup(self, attrs: list[tuple[str, str | None]]) -> None:
        """Follow nbconvert's output markup to join a stream the kernel split in two."""
        classes = set(_attr(attrs, "class").split())
        if classes & _CELL_CLASSES:
            self._last_text = None
        if "jp-OutputArea-child" in classes or "output_area" in classes:
            self._child_result = False
        if classes & {"jp-OutputArea-executeResult", "output_execute_result"}:
            self._child_result = True
        if classes & {"jp-RenderedText", "output_stream"} and not self._child_result:
            self._flush()
            mime = _attr(attrs, "data-mime-type") or " ".join(sorted(classes))
            last = self._last_text
            self._merge = (
                last is not None and last[0] == len(self.page.blocks) - 1 and (last[2] == mime)
            )
            if self._merge and last is not None:
                del self.page.structure[last[1] :]
                del self.page.structure_heading[last[1] :]
            self._text_output = mime

    # -- blocks --------------------------------------------------------------------------

    def _embedded_results(self, blob: str) -> None:
        """pytest-html 4 ships its results as JSON and draws the table with JavaScript; without
        reading it, a report with every test failing would read the same as one passing.

        One block per test, ``id: outcome``; durations and logs are run metadata and left out.
        """
        try:
            data = json.loads(blob)
        except ValueError:
            return
        tests = data.get("tests") if isinstance(data, dict) else None
        if not isinstance(tests, dict):
            return
        self._flush()
        page = self.page
        previous = page.headings[-1]
        page.headings.append("Results (embedded data)")
        for test_id in sorted(tests):
            runs = tests[test_id]
            for run in runs if isinstance(runs, list) else [runs]:
                result = run.get("result") if isinstance(run, dict) else None
                self._mark("tr")
                page.blocks.append(f"{test_id}: {result}")
                page.block_heading.append(len(page.headings) - 1)
        page.headings.append(previous)

    def _mark(self, tag: str) -> None:
        if self._merge:
            return  # the markup of a stream's continuation is not structure of the page
        self.page.structure.append(tag)
        self.page.structure_heading.append(len(self.page.headings) - 1)

    def _flush(self) -> None:
        if not self._buf:
            return
        raw = "".join(self._buf)
        self._buf.clear()
        if self._pre:
            text = "\n".join(line.rstrip() for line in raw.strip("\n").split("\n"))
        else:
            text = " ".join(raw.split())
        if not text.strip():
            return
        if self._heading_tag:
            heading = text.rstrip("¶ ").strip()
            self.page.headings.append(heading)
        if self._merge and self._pre and self.page.blocks:
            self.page.blocks[-1] += "\n" + text
            self._merge = False
        else:
            self.page.blocks.append(text)
            self.page.block_heading.append(len(self.page.headings) - 1)
        if self._text_output and self._pre:
            self._last_text = (
                len(self.page.blocks) - 1,
                len(self.page.structure),
                self._text_output,
            )
            self._text_output = ""

    def close(self) -> None:
        super().close()
        self._flush()


def _attr(attrs: list[tuple[str, str | None]], name: str) -> str:
    for key, value in attrs:
        if key == name and value is not None:
            return value
    return ""


def _img_text(attrs: list[tuple[str, str | None]]) -> str:
    src = _attr(attrs, "src").strip()
    if src.startswith("data:"):
        return describe_data_uri(src)
    alt = _attr(attrs, "alt").strip()
    name = src.rsplit("/", 1)[-1].split("?", 1)[0]
    return f"image {alt or name}".strip()


def _svg_attr_size(attrs: list[tuple[str, str | None]]) -> str:
    width, height = _attr(attrs, "width"), _attr(attrs, "height")
    if width and height:
        return f"{width}x{height}"
    return _attr(attrs, "viewbox")


_STRAY_LT = re.compile(
    r"""<(?!(?:/?[A-Za-z][^<>"']*+(?:(?:"[^"<]*+"|'[^'<]*+')[^<>"']*+)*+>|![^<>]*+>|\?[^<>]*+>))"""
)
"""A ``<`` that does not open a construct closed before the next ``<``. Possessive repeats and
the stop at every ``<`` keep each attempt local, so the whole pass is linear."""


def _strip_comments(html: str) -> str:
    """Comments removed in one linear pass; an unclosed one runs to the end, as in a browser."""
    if "<!--" not in html:
        return html
    parts: list[str] = []
    pos = 0
    while True:
        start = html.find("<!--", pos)
        if start < 0:
            parts.append(html[pos:])
            break
        parts.append(html[pos:start])
        end = html.find("-->", start + 4)
        if end < 0:
            break
        pos = end + 3
    return "".join(parts)


def defuse(html: str) -> str:
    """Markup the stdlib parser reads in linear time, showing the same text.

    ``html.parser`` rescans to the end of the buffer for every construct it cannot close, so a
    crafted artifact of ``<a <a <a ...`` or ``<!--<!--...`` takes minutes per 100 KB. Comments
    are removed first and every ``<`` that cannot open a closed tag becomes ``&lt;``, which
    the parser turns back into the same visible ``<``.
    """
    return _STRAY_LT.sub("&lt;", _strip_comments(html))


def read_page(
    html: str,
    drop_ids: frozenset[str] = DEFAULT_DROP_IDS,
    drop_classes: Sequence[str] = DEFAULT_DROP_CLASS_PARTS,
) -> Page:
    """Parse ``html`` into what a reader sees; never raises on malformed markup."""
    reader = _Reader(drop_ids, drop_classes)
    reader.feed(defuse(html))
    reader.close()
    return reader.page


def visible_text(html: str) -> str:
    """The text a browser would show without JavaScript, one block a line."""
    return read_page(html).text()


# --------------------------------------------------------------------------------------------
# comparing


def _drop_lists(options: HandlerOptions) -> tuple[frozenset[str], tuple[str, ...]]:
    """``options.ignore``: ``#id`` drops an element by id, ``.part`` by a class substring."""
    ids = set(DEFAULT_DROP_IDS)
    classes = list(DEFAULT_DROP_CLASS_PARTS)
    for item in options.ignore:
        if item.startswith("#"):
            ids.add(item[1:])
        elif item.startswith("."):
            classes.append(item[1:])
    return frozenset(ids), tuple(classes)


_SEP = "\n\x02\n"


def _rules(options: HandlerOptions) -> tuple[tuple[str, str], ...]:
    return ((_GENERATED.pattern, "Report generated on <…>"), *options.sanitizers)


def _sanitize_all(blocks: list[str], options: HandlerOptions) -> list[str]:
    """Sanitise blocks in one pass over the joined text (per-block calls cost ~20x more)."""
    rules = _rules(options)
    if not blocks:
        return []
    parts = sanitize(_SEP.join(blocks), rules).split(_SEP)
    if len(parts) == len(blocks):
        return parts
    return [sanitize(block, rules) for block in blocks]  # a user regex ate a separator


@dataclass(slots=True)
class _Side:
    page: Page
    blocks: list[str]

    def heading_of_block(self, index: int) -> str:
        if not self.page.block_heading:
            return ""
        index = min(index, len(self.page.block_heading) - 1)
        return self.page.headings[self.page.block_heading[index]]


def _where(heading: str, what: str) -> str:
    heading = sanitize(heading)
    if len(heading) > 60:
        heading = heading[:59] + "…"
    return f'{what} under "{heading}"' if heading else what


class HtmlHandler:
    """Visible text and structure of two HTML pages."""

    name = NAME

    def compare(self, path: str, a: Path, b: Path, options: HandlerOptions) -> list[Difference]:
        limit = max_bytes(options)
        html_a, html_b, bad = load_pair(
            NAME, path, a, b, lambda file: decode_text(read_bytes(file, limit))
        )
        if html_a is None or html_b is None:
            return bad
        return self.compare_text(path, html_a, html_b, options)

    def compare_text(
        self, path: str, html_a: str, html_b: str, options: HandlerOptions
    ) -> list[Difference]:
        """Compare two HTML documents already in memory (notebook outputs use this too)."""
        ids, classes = _drop_lists(options)
        page_a, page_b = read_page(html_a, ids, classes), read_page(html_b, ids, classes)
        found = _structure_difference(path, page_a, page_b)
        if len(page_a.blocks) == len(page_b.blocks):
            found.extend(_changed_blocks(path, page_a, page_b, options))
        else:
            side_a = _Side(page_a, _sanitize_all(page_a.blocks, options))
            side_b = _Side(page_b, _sanitize_all(page_b.blocks, options))
            found.append(_block_count_difference(path, side_a, side_b, options))
        return found


def _structure_difference(path: str, a: Page, b: Page) -> list[Difference]:
    if a.structure == b.structure:
        return []
    at = 0
    n = min(len(a.structure), len(b.structure))
    while at < n and a.structure[at] == b.structure[at]:
        at += 1
    tag_a = f"<{a.structure[at]}>" if at < len(a.structure) else "end of page"
    tag_b = f"<{b.structure[at]}>" if at < len(b.structure) else "end of page"
    heading = ""
    if a.structure:
        heading = a.headings[a.structure_heading[min(at, len(a.structure) - 1)]]
    return [
        Difference(
            handler=NAME,
            path=path,
            location=_where(heading, "structure"),
            kind="content-changed",
            message=(
                f"page structure differs at element {at}: A has {tag_a}, B has {tag_b} "
                f"({len(a.structure)} structural elements in A, {len(b.structure)} in B)"
            ),
            a=" ".join(a.structure[at : at + 8]),
            b=" ".join(b.structure[at : at + 8]),
        )
    ]


def _changed_blocks(path: str, a: Page, b: Page, options: HandlerOptions) -> list[Difference]:
    """Pages with as many blocks: only blocks that differ byte-wise are sanitised and compared,
    so two renders of one notebook cost one parse each and almost no regex work."""
    changed = [i for i, (x, y) in enumerate(zip(a.blocks, b.blocks, strict=True)) if x != y]
    if not changed:
        return []
    joined_a, joined_b = sanitize_pair(
        _SEP.join(a.blocks[i] for i in changed),
        _SEP.join(b.blocks[i] for i in changed),
        _rules(options),
    )
    if joined_a == joined_b:
        return []
    clean_a, clean_b = joined_a.split(_SEP), joined_b.split(_SEP)
    if not len(clean_a) == len(clean_b) == len(changed):  # a user regex ate a separator
        clean_a = _sanitize_all([a.blocks[i] for i in changed], options)
        clean_b = _sanitize_all([b.blocks[i] for i in changed], options)
    side_a = _Side(a, a.blocks)
    found: list[Difference] = []
    for index, x, y in zip(changed, clean_a, clean_b, strict=True):
        mismatch = compare_text(x, y, options.tolerance)
        if mismatch is None:
            continue
        found.append(
            Difference(
                handler=NAME,
                path=path,
                location=_where(side_a.heading_of_block(index), f"block {index}"),
                kind=mismatch.kind,
                message=mismatch.message.replace("at line", "in line"),
                a=short(mismatch.a),
                b=short(mismatch.b),
            )
        )
    return capped(found, options, NAME, path, "differing text blocks")


def _block_count_difference(path: str, a: _Side, b: _Side, options: HandlerOptions) -> Difference:
    """Blocks were added or removed: name the first place the pages part (linear, no diff)."""

    def same(x: str, y: str) -> bool:
        return x == y or compare_text(x, y, options.tolerance) is None

    n = min(len(a.blocks), len(b.blocks))
    head = 0
    while head < n and same(a.blocks[head], b.blocks[head]):
        head += 1
    tail = 0
    while tail < n - head and same(
        a.blocks[len(a.blocks) - 1 - tail], b.blocks[len(b.blocks) - 1 - tail]
    ):
        tail += 1
    only_a = a.blocks[head : len(a.blocks) - tail]
    only_b = b.blocks[head : len(b.blocks) - tail]
    first_a = only_a[0] if only_a else ""
    first_b = only_b[0] if only_b else ""
    if first_a and first_b:
        at = first_difference(first_a, first_b)
        first_a, first_b = first_a[max(0, at - 60) : at + 100], first_b[max(0, at - 60) : at + 100]
    return Difference(
        handler=NAME,
        path=path,
        location=_where(a.heading_of_block(head), f"block {head}"),
        kind="content-changed",
        message=(
            f"{len(a.blocks)} text blocks in A, {len(b.blocks)} in B; they part at block {head}: "
            f"{len(only_a)} blocks only in A, {len(only_b)} only in B"
        ),
        a=short(first_a) or "(nothing)",
        b=short(first_b) or "(nothing)",
    )


HANDLER = HtmlHandler()
