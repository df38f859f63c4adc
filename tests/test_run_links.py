"""Links to the GitHub run become links to the PipelineRun (ghtotekton/convert/expressions.py
``link_runs``): on Tekton the GitHub run a mail or a comment points to does not exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghtotekton.convert import expressions as cx
from tests.converted import convert_repo

LINK = "${{ github.{key} }}"


@pytest.mark.parametrize(
    "text",
    [
        "See ${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}",
        "See ${{github.server_url}}/${{ github.repository }}/actions/runs/${{github.run_id}}",
        "See https://github.com/${{ github.repository }}/actions/runs/${{ github.run_id }}",
        "See ${{ github.event.repository.html_url }}/actions/runs/${{ github.run_id }}",
        "See ${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}"
        "/attempts/${{ github.run_attempt }}",
    ],
)
def test_run_links_are_rewritten(text: str) -> None:
    assert cx.link_runs(text) == f"See ${{{{ github.{cx.RUN_URL_KEY} }}}}"


@pytest.mark.parametrize(
    "text",
    [
        "${{ github.server_url }}/${{ github.repository }}/commit/${{ github.sha }}",
        "${{ github.server_url }}/${{ github.repository }}/actions/runs/123",
        "run ${{ github.run_id }}",
    ],
)
def test_other_links_stay(text: str) -> None:
    assert cx.link_runs(text) == text


def test_a_mail_links_to_the_pipeline_run(tmp_path: Path) -> None:
    workflow = (
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: |\n"
        '          echo "failed: $URL ${{ github.server_url }}/${{ github.repository }}'
        '/actions/runs/${{ github.run_id }}"\n'
        "        env:\n"
        "          URL: ${{ github.server_url }}/${{ github.repository }}/actions/runs/"
        "${{ github.run_id }}\n"
    )
    done = convert_repo(tmp_path, {".github/workflows/ci.yml": workflow})
    result = done.result
    pipeline = done.pipeline("ci")
    assert {p["name"]: p["default"] for p in pipeline["spec"]["params"]}[
        cx.DASHBOARD_PARAM
    ] == cx.DASHBOARD_DEFAULT
    given = {p["name"]: p["value"] for p in pipeline["spec"]["tasks"][0]["params"]}
    assert given["ghtotekton-run-url"] == cx.RUN_URL_FEED
    task_text = result.files["tasks/ci-build.yaml"]
    assert "actions/runs" not in task_text
    assert "$(params.ghtotekton-run-url)" in task_text
