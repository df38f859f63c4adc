"""The HTML handler: two renderings of equivalent runs read the same; a changed result does not.

Hand-written pages pin each rule (dropped run metadata, images by size, structure, tolerance,
heading context, malformed input); notebooks executed for real and rendered with nbconvert check
the defaults on the real thing; a 10+ MB page checks that the work stays linear.
"""

from __future__ import annotations

import base64
import json
import random
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from ghtotekton.compare.handlers.base import Difference, HandlerOptions, Tolerance
from ghtotekton.compare.handlers.html import (
    HANDLER,
    describe_data_uri,
    image_dimensions,
    read_page,
    visible_text,
)
from tests.test_handlers_notebook import (  # noqa: F401  (session fixtures shared with notebooks)
    kernel_env,
    png,
    shadow_runs,
)

OPTS = HandlerOptions()


def compare(tmp: Path, a: str, b: str, options: HandlerOptions = OPTS) -> list[Difference]:
    pa, pb = tmp / "a.html", tmp / "b.html"
    pa.write_text(a, encoding="utf-8")
    pb.write_text(b, encoding="utf-8")
    return HANDLER.compare("report.html", pa, pb, options)


def pytest_html_report(
    *, generated: str, durations: tuple[str, str], outcome: str, platform: str, seed: int
) -> str:
    """A page shaped like a pytest-html 3 report (written for this test, not copied)."""
    rng = random.Random(seed)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"/><title>report.html</title>
<style>body {{ font-family: sans-serif; }} .passed {{ color: green; }}</style>
<script>var token = "{rng.getrandbits(64):x}"; function sort() {{ return 1 < 2; }}</script>
</head><body onLoad="init()">
<h1>report.html</h1>
<p>Report generated on {generated} by <a href="https://example.invalid">pytest-html</a> v3.2.0</p>
<h2>Environment</h2>
<table id="environment"><tr><td>Platform</td><td>{platform}</td></tr>
<tr><td>Python</td><td>3.11.{rng.randint(0, 9)}</td></tr></table>
<h2>Summary</h2>
<p>2 tests ran in {durations[0]} seconds. </p>
<h2>Results</h2>
<table id="results-table">
<thead id="results-table-head"><tr><th class="sortable">Result</th><th>Test</th>
<th class="sortable numeric">Duration</th></tr></thead>
<tbody class="passed results-table-row"><tr>
<td class="col-result">Passed</td><td class="col-name">test_math.py::test_add</td>
<td class="col-duration">{durations[0]}</td></tr></tbody>
<tbody class="results-table-row"><tr>
<td class="col-result">{outcome}</td><td class="col-name">test_math.py::test_div</td>
<td class="col-duration">{durations[1]}
</tbody></table></body></html>
"""


# --------------------------------------------------------------------------------------------
# reading a page


def test_visible_text_drops_what_a_reader_never_sees() -> None:
    html = """<html><head><title>T</title><meta name="x" content="y"><style>p{}</style></head>
    <body><h1 id="Intro-abc">Intro<a class="anchor-link" href="#Intro-abc">¶</a></h1>
    <script>var secret = 1;</script><noscript>enable js</noscript>
    <div class="jp-InputPrompt jp-InputArea-prompt">In&nbsp;[3]:</div>
    <p>Hello   <b>world</b> &amp; friends</p><template>hidden</template></body></html>"""
    assert visible_text(html) == "Intro\nHello world & friends"


def test_blocks_carry_their_heading() -> None:
    page = read_page("<h1>A</h1><p>one</p><h2>B</h2><ul><li>two</li><li>three</li></ul>")
    pairs = [
        (page.headings[h], text) for h, text in zip(page.block_heading, page.blocks, strict=True)
    ]
    assert pairs == [("A", "A"), ("A", "one"), ("B", "B"), ("B", "two"), ("B", "three")]
    assert page.structure == ["h1", "p", "h2", "ul", "li", "li"]


def test_pre_keeps_its_lines() -> None:
    assert read_page("<pre>a  b\n  c\n</pre>").blocks == ["a  b\n  c"]


def test_unclosed_dropped_cell_does_not_swallow_the_page() -> None:
    html = "<table><tr><td class='col-duration'>0.5<td>kept</tr><tr><td>also</table><p>after</p>"
    assert read_page(html).blocks == ["kept", "also", "after"]


def test_images_become_their_pixel_size() -> None:
    uri = "data:image/png;base64," + png(12, 7, seed=1)
    assert describe_data_uri(uri) == "image/png 12x7"
    gif = base64.b64encode(b"GIF89a" + (3).to_bytes(2, "little") + (2).to_bytes(2, "little"))
    assert describe_data_uri("data:image/gif;base64," + gif.decode()).startswith("image/gif 3x2")
    assert image_dimensions(b"not an image") is None
    assert describe_data_uri("data:image/webp;base64,AAAA") == "image/webp 3 bytes"
    svg = "data:image/svg+xml,%3Csvg%20width%3D%2210pt%22%20height%3D%225pt%22%3E%3C/svg%3E"
    assert describe_data_uri(svg) == "image/svg+xml 10ptx5pt"


def test_nbval_markers_hold_in_nbconvert_pages() -> None:
    def cell(tags: str, source: str, output: str) -> str:
        return (
            f'<div class="jp-Cell jp-CodeCell {tags}"><div class="jp-Cell-inputWrapper">'
            f'<pre><span class="c1">{source}</span></pre></div>'
            f'<div class="jp-Cell-outputWrapper"><pre>{output}</pre></div></div>'
        )

    page = (
        cell("", "# NBVAL_IGNORE_OUTPUT", "0.123")
        + cell("celltag_nbval-ignore-output", "x", "0.456")
        + cell("celltag_nbval-skip", "y", "0.789")
        + cell("", "z", "kept")
    )
    assert read_page(page).blocks == ["# NBVAL_IGNORE_OUTPUT", "x", "z", "kept"]


def test_pytest_html_v4_embedded_results_are_read() -> None:
    def page(outcome: str, duration: str) -> str:
        blob = {
            "environment": {"Python": "3.11.7"},
            "tests": {
                "t.py::test_a": [{"result": "Passed", "duration": duration, "log": "x"}],
                "t.py::test_b": [{"result": outcome, "duration": duration}],
            },
        }
        attr = json.dumps(blob).replace("&", "&amp;").replace('"', "&quot;")
        return f'<h1>r</h1><div id="data-container" data-jsonblob="{attr}"></div><p>end</p>'

    assert read_page(page("Failed", "1 ms")).blocks == [
        "r",
        "t.py::test_a: Passed",
        "t.py::test_b: Failed",
        "end",
    ]


# --------------------------------------------------------------------------------------------
# comparing pages


def test_two_pytest_html_runs_compare_equal(tmp_path: Path) -> None:
    a = pytest_html_report(
        generated="08-Mar-2024 at 10:30:00",
        durations=("0.01", "0.52"),
        outcome="Passed",
        platform="Linux-6.5.0-1016-azure-x86_64",
        seed=1,
    )
    b = pytest_html_report(
        generated="09-Mar-2024 at 23:01:07",
        durations=("0.03", "0.61"),
        outcome="Passed",
        platform="Linux-5.15.0-tekton-x86_64",
        seed=2,
    )
    assert a != b
    assert compare(tmp_path, a, b) == []


def test_changed_outcome_is_found_under_its_heading(tmp_path: Path) -> None:
    common: dict[str, Any] = {
        "generated": "08-Mar-2024 at 10:30:00",
        "durations": ("0.01", "0.52"),
        "platform": "Linux",
        "seed": 1,
    }
    a = pytest_html_report(outcome="Passed", **common)
    b = pytest_html_report(outcome="Failed", **common)
    [diff] = compare(tmp_path, a, b)
    assert diff.kind == "content-changed"
    assert diff.location.endswith('under "Results"')
    assert (diff.a, diff.b) == ("Passed", "Failed")


def test_numbers_under_tolerance(tmp_path: Path) -> None:
    page = "<h2>Metrics</h2><table><tr><td>loss</td><td>{}</td></tr></table>"
    assert compare(tmp_path, page.format("0.123456789"), page.format("0.123456790")) == []
    [diff] = compare(tmp_path, page.format("0.1234"), page.format("0.1299"))
    assert diff.kind == "value-beyond-tolerance"
    assert diff.location == 'block 2 under "Metrics"'
    loose = HandlerOptions(tolerance=Tolerance(rel=0.1))
    assert compare(tmp_path, page.format("0.1234"), page.format("0.1299"), loose) == []


def test_embedded_images_compare_by_size(tmp_path: Path) -> None:
    page = '<h1>Plot</h1><img src="data:image/png;base64,{}" alt="plot">'
    assert compare(tmp_path, page.format(png(4, 3, 1)), page.format(png(4, 3, 2))) == []
    [diff] = compare(tmp_path, page.format(png(4, 3, 1)), page.format(png(4, 4, 1)))
    assert "4x3" in (diff.a or "") and "4x4" in (diff.b or "")


def test_structure_and_block_changes(tmp_path: Path) -> None:
    a = "<h1>List</h1><ul><li>one</li><li>two</li></ul><p>end</p>"
    b = "<h1>List</h1><ul><li>one</li><li>two</li><li>three</li></ul><p>end</p>"
    structure, blocks = compare(tmp_path, a, b)
    assert structure.location == 'structure under "List"'
    assert "A has <p>, B has <li>" in structure.message
    assert blocks.location == 'block 3 under "List"'
    assert (blocks.a, blocks.b) == ("(nothing)", "three")


def test_ignore_drops_elements_by_id_or_class(tmp_path: Path) -> None:
    a = '<p>x</p><div id="build-info">built by runner 1</div><span class="stamp">a</span>'
    b = '<p>x</p><div id="build-info">built by pod 7</div><span class="stamp">b</span>'
    assert len(compare(tmp_path, a, b)) == 2
    assert compare(tmp_path, a, b, HandlerOptions(ignore=("#build-info", ".stamp"))) == []


def test_many_differences_are_capped(tmp_path: Path) -> None:
    a = "".join(f"<p>row {i} value {i}</p>" for i in range(60))
    b = "".join(f"<p>row {i} value {i + 1}</p>" for i in range(60))
    diffs = compare(tmp_path, a, b)
    assert len(diffs) == 21 and diffs[-1].location == "more"
    assert "40 more" in diffs[-1].message


def test_bad_input_never_raises(tmp_path: Path) -> None:
    garbage = "<<<div <p>unclosed <table><td>x</tr></svg>\x00\ufffd<script>never closed"
    assert compare(tmp_path, garbage, garbage) == []
    binary = tmp_path / "bin.html"
    binary.write_bytes(bytes(range(256)) * 10)
    good = tmp_path / "good.html"
    good.write_text("<p>hi</p>", encoding="utf-8")
    assert HANDLER.compare("x.html", good, binary, OPTS)  # different, but read
    [missing] = HANDLER.compare("x.html", good, tmp_path / "absent.html", OPTS)
    assert missing.kind == "unreadable" and missing.b is not None
    limited = HandlerOptions(extra={"max_bytes": 4})
    assert [d.kind for d in HANDLER.compare("x.html", good, good, limited)] == [
        "unreadable",
        "unreadable",
    ]


@pytest.mark.parametrize("unit", ["<a ", "<!--", "a<b", "<a b='", "<![CDATA[", "</"])
def test_hostile_markup_is_parsed_in_linear_time(tmp_path: Path, unit: str) -> None:
    # the stdlib parser alone needs about a minute for 60 KB of "<a " (it rescans to the end
    # for every tag it cannot close); 300 KB here must take about a second
    hostile = unit * 100_000
    start = time.perf_counter()
    [diff] = compare(tmp_path, "<p>x</p>" + hostile, "<p>y</p>" + hostile)
    assert (diff.a, diff.b) == ("x", "y")
    assert time.perf_counter() - start < 10


def test_defused_markup_reads_the_same() -> None:
    html = "<p title='a'>1 < 2 &amp; <b>bold</b></p><!-- note <b> --><p>x<y</p><!DOCTYPE html>"
    assert read_page(html).blocks == ["1 < 2 & bold", "x<y"]


@pytest.mark.slow
def test_large_page_is_linear(tmp_path: Path) -> None:
    noise = random.Random(3).randbytes(9000)  # incompressible, like a real plot's payload
    image = png(64, 48, seed=3)[:-20] + base64.b64encode(noise).decode()
    cell = (
        '<div class="jp-Cell"><div class="jp-InputPrompt">In [{n}]:</div>'
        '<div class="highlight"><pre><span class="n">x</span> = {n}</pre></div>'
        '<div class="jp-OutputArea"><pre>loss {v:.6f} at 0x7f3a2c1d{n:04x}</pre>'
        '<img src="data:image/png;base64,{img}"></div></div>'
    )
    rng = random.Random(7)
    values = [rng.random() for _ in range(1000)]
    body = "".join(cell.format(n=n, v=v, img=image) for n, v in enumerate(values))
    a = f"<html><head><style>{'.c{}' * 50000}</style></head><body><h1>Big</h1>{body}</body></html>"
    b = a.replace(f"loss {values[700]:.6f}", f"loss {values[700] + 0.5:.6f}")
    assert len(a) > 10 * 1024 * 1024 and a != b
    start = time.perf_counter()
    diffs = compare(tmp_path, a, b)
    elapsed = time.perf_counter() - start
    assert [d.kind for d in diffs] == ["value-beyond-tolerance"]
    assert diffs[0].location.endswith('under "Big"')
    assert elapsed < 15, f"{elapsed:.1f} s for a {len(a) >> 20} MB page"


# --------------------------------------------------------------------------------------------
# real runs rendered by nbconvert


def render(path: Path) -> str:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(str(path), as_version=4))
    return str(body)


@pytest.mark.slow
def test_nbconvert_renders_of_two_runs_compare_equal(
    shadow_runs: dict[str, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    html_a, html_b = render(shadow_runs["a"]), render(shadow_runs["b"])
    assert html_a != html_b
    assert compare(tmp_path, html_a, html_b) == []


@pytest.mark.slow
def test_nbconvert_render_with_changed_number(
    shadow_runs: dict[str, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    nb = nbformat.read(str(shadow_runs["b"]), as_version=4)
    target = next(c for c in nb.cells if c.source.startswith("total = "))
    [out] = [o for o in target.outputs if o.output_type == "stream"]
    out.text = out.text.replace("total 2475.0", "total 2475.1")
    changed = tmp_path / "b2.ipynb"
    nbformat.write(nb, str(changed))
    [diff] = compare(tmp_path, render(shadow_runs["a"]), render(changed))
    assert diff.kind == "value-beyond-tolerance"
    assert diff.location.endswith('under "Shadow run"')
    assert "2475.0 vs 2475.1" in diff.message


def test_a_stream_the_kernel_split_reads_the_same_once_joined() -> None:
    """Timing decides whether a kernel sends one stream output or two; the page must not care,
    while a stream next to a result (a different output) stays two blocks."""
    import nbformat
    from nbconvert import HTMLExporter

    from ghtotekton.compare.handlers.html import read_page

    def page(outputs: list[Any]) -> Any:
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("print(1)")
        cell.outputs = outputs
        nb.cells = [cell]
        return read_page(HTMLExporter().from_notebook_node(nb)[0])

    out = nbformat.v4.new_output
    one = page([out("stream", name="stdout", text="a 1\nb 2\n")])
    two = page(
        [out("stream", name="stdout", text="a 1\n"), out("stream", name="stdout", text="b 2\n")]
    )
    assert one.blocks == two.blocks and one.structure == two.structure
    mixed = page(
        [
            out("stream", name="stdout", text="a 1\n"),
            out("execute_result", data={"text/plain": "b 2"}, execution_count=1),
        ]
    )
    assert mixed.blocks[-2:] == ["a 1", "b 2"]
