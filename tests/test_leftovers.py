"""No GitHub expression is left as text where Tekton or a shell acts on it."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ghtotekton.convert.engine import Options, convert_paths
from ghtotekton.tekton.leftovers import expressions_left


def test_functional_fields_are_found_and_comments_are_not() -> None:
    doc = {
        "metadata": {"name": "x", "annotations": {"a": "${{ kept }}"}},
        "spec": {
            "description": "${{ prose }}",
            "steps": [
                {
                    "name": "s",
                    "image": "r/${{ matrix.img }}",
                    "args": ["--x", "${{ inputs.a }}"],
                    "env": [{"name": "A", "value": "${{ env.B }}"}],
                    "script": "#!/bin/sh\n# was ${{ inputs.a }}\necho ${{ inputs.b }}\n",
                }
            ],
        },
    }
    assert expressions_left(doc) == [
        (".spec.steps.0.image", "r/${{ matrix.img }}"),
        (".spec.steps.0.args.1", "${{ inputs.a }}"),
        (".spec.steps.0.env.0.value", "${{ env.B }}"),
        (".spec.steps.0.script", "echo ${{ inputs.b }}"),
    ]


def test_a_job_env_with_no_form_fails_the_job_before_its_steps(tmp_path: Path) -> None:
    flows = tmp_path / "repo" / ".github" / "workflows"
    flows.mkdir(parents=True)
    (flows / "ci.yml").write_text(
        textwrap.dedent(
            """\
            on:
              workflow_dispatch:
                inputs:
                  plan: {default: '{}'}
            jobs:
              publish:
                runs-on: ubuntu-latest
                env:
                  TAG: ${{ fromJson(inputs.plan).tag }}
                steps:
                  - shell: pwsh
                    run: Write-Output $env:TAG
            """
        )
    )
    result = convert_paths([tmp_path / "repo"], Options())
    task = result.conversions[0].tasks[0]
    assert expressions_left(task) == []
    setup = task["spec"]["steps"][0]
    assert setup["script"].rstrip().endswith("exit 1")
    job = result.report["workflows"][0]["jobs"][0]
    assert any(f["status"] == "manual" and "`TAG:" in f["message"] for f in job["findings"])
