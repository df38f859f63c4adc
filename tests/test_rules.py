"""The built-in rule table (mappings/*.yaml): it loads, its templates render safely, its matching
follows the documented precedence, and it covers the actions real workflows use.

Some tests run the generated step scripts with /bin/sh and python3 against a scratch folder, so a
rule that renders but does not work (an upload that loses files, a cache that restores nothing, a
checkout that lands on the wrong commit) fails here rather than in a cluster.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghtotekton.convert.jobs import SETUP_SCRIPT
from ghtotekton.convert.rules import (
    LoadedRule,
    RuleSet,
    TemplateContext,
    input_env_name,
    render,
    render_step,
)
from ghtotekton.errors import InputError
from ghtotekton.github.uses import UsesError, parse_uses
from ghtotekton.yamlsource import load_yaml_file
from tests.conftest import CORPUS, REPO, need_shared

MAPPINGS = REPO / "mappings"


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet.load()


def rule_by_id(rules: RuleSet, rule_id: str) -> LoadedRule:
    found = [r for r in rules.rules if r.id == rule_id]
    assert len(found) == 1, f"no single rule `{rule_id}`"
    return found[0]


def uses(raw: str) -> Any:
    return parse_uses(raw)


# --- the table loads and is well formed ---------------------------------------------------------


def test_builtin_table_loads_from_the_mappings_folder(rules: RuleSet) -> None:
    files = {Path(r.position.file).name for r in rules.rules}
    assert files == {p.name for p in MAPPINGS.glob("*.y*ml")}
    assert all(r.position.line >= 1 for r in rules.rules)


def test_ids_are_unique(rules: RuleSet) -> None:
    counts = Counter(r.id for r in rules.rules)
    assert [i for i, c in counts.items() if c > 1] == []


def test_every_rule_has_real_docs(rules: RuleSet) -> None:
    for r in rules.rules:
        text = " ".join(r.rule.docs.split())
        # Two sentences at least: what the Tekton form does and what it does not.
        assert len(text) >= 60, r.id
        assert text.count(". ") + text.endswith(".") >= 1, r.id


def test_at_least_45_distinct_actions_have_rules(rules: RuleSet) -> None:
    names = {r.rule.match.uses.lower() for r in rules.rules if r.rule.match.uses}
    assert len(names) >= 45, sorted(names)


def test_the_most_used_actions_all_have_rules(rules: RuleSet) -> None:
    for raw in [
        "actions/checkout@v4", "actions/setup-python@v5", "actions/upload-artifact@v4",
        "actions/download-artifact@v4", "astral-sh/setup-uv@v6", "actions/cache@v4",
        "actions/cache/restore@v4", "actions/cache/save@v4", "actions/github-script@v7",
        "step-security/harden-runner@v2", "codecov/codecov-action@v5", "actions/setup-go@v5",
        "Swatinem/rust-cache@v2", "PyO3/maturin-action@v1", "prefix-dev/setup-pixi@v0.8",
        "aws-actions/configure-aws-credentials@v4", "conda-incubator/setup-miniconda@v3",
        "docker/login-action@v3", "pypa/gh-action-pypi-publish@release/v1",
        "actions/setup-node@v4", "docker/setup-buildx-action@v3", "docker/build-push-action@v6",
        "slackapi/slack-github-action@v1.26.0", "re-actors/alls-green@v1.2.2",
        "github/codeql-action/init@v3", "dtolnay/rust-toolchain@stable", "pnpm/action-setup@v4",
        "golangci/golangci-lint-action@v8", "peter-evans/create-pull-request@v7",
        "dorny/paths-filter@v3", "marocchino/sticky-pull-request-comment@v2",
        "taiki-e/install-action@v2", "docker/setup-qemu-action@v3", "pypa/cibuildwheel@v2",
        "actions/setup-java@v4", "actions/labeler@v5", "actions/stale@v9",
        "dawidd6/action-send-mail@v3",
    ]:  # fmt: skip
        assert rules.match_uses(uses(raw)) is not None, raw


def test_images_are_pinned(rules: RuleSet) -> None:
    for r, rendered in _all_renderings(rules):
        for image in _images(r, rendered):
            name, _, tag = image.rpartition(":")
            assert name and tag and "/" not in tag, (r.id, image)
            assert tag != "latest", (r.id, image)


def test_gpu_runner_rules_request_gpus_where_a_gpu_is_promised(rules: RuleSet) -> None:
    for r in rules.rules:
        spec = r.rule.emit.runner
        if spec is None:
            continue
        if r.rule.resource_class == "gpu":
            assert spec.gpu_count >= 1, r.id
            assert spec.tolerations, r.id
            if spec.gpu_resource == "nvidia.com/gpu":
                assert spec.node_selector.get("nvidia.com/gpu.present") == "true", r.id
                assert {
                    "key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"
                } in spec.tolerations, r.id  # fmt: skip
        else:
            assert spec.gpu_count == 0, r.id
        # A product label pins one model: the rule must say which.
        if "nvidia.com/gpu.product" in spec.node_selector:
            assert spec.gpu_type, r.id


# --- templates render, never trip StrictUndefined, never splice secrets --------------------------

_INPUT_ENV = re.compile(r"INPUT_([A-Z0-9_]+)")
_INPUT_REF = re.compile(r"""inputs(?:\.get\(\s*|\[\s*)['"]([^'"]+)['"]""")
_GIVEN_REF = re.compile(r"""['"]([^'"]+)['"]\s+in\s+given""")


def _templates(r: LoadedRule) -> list[str]:
    emit = r.rule.emit
    if emit.step is not None:
        step = emit.step
        fields = [step.script, step.name or "", step.image or "", step.working_dir or ""]
        return [*fields, *step.env.values()]
    if emit.image is not None:
        return [emit.image]
    if emit.catalog is not None:
        return list(emit.catalog.params.values())
    return []


def _input_names(r: LoadedRule) -> set[str]:
    """Every input a rule's templates can read, in the spellings an action may use."""
    names = set(r.rule.secrets)
    for text in _templates(r):
        for env in _INPUT_ENV.findall(text):
            names |= {env.lower(), env.lower().replace("_", "-")}
        names |= set(_INPUT_REF.findall(text)) | set(_GIVEN_REF.findall(text))
    return names


def _context(inputs: dict[str, str], unknown: frozenset[str] = frozenset()) -> TemplateContext:
    given = set(inputs) | set(unknown)
    return TemplateContext(
        inputs=inputs,
        given=frozenset(given),
        input_env={k: input_env_name(k) for k in given},
        job={"id": "build", "image": "docker.io/library/ubuntu:24.04"},
    )


def _render(r: LoadedRule, context: TemplateContext) -> dict[str, Any]:
    emit = r.rule.emit
    if emit.step is not None:
        return render_step(r, context)
    if emit.image is not None:
        return {"image": render(emit.image, context)}
    if emit.catalog is not None:
        return {k: render(v, context) for k, v in emit.catalog.params.items()}
    return {}


def _sentinel(name: str) -> str:
    return f"ght-sentinel-{name}-value"


def _all_renderings(rules: RuleSet) -> Iterator[tuple[LoadedRule, dict[str, Any]]]:
    """Each templated rule rendered four ways: no inputs, every input known, every input known
    only at run time, and every input known with version-like values."""
    for r in rules.rules:
        if not _templates(r):
            continue
        names = _input_names(r)
        yield r, _render(r, _context({}))
        yield r, _render(r, _context({n: _sentinel(n) for n in names}))
        yield r, _render(r, _context({}, frozenset(names)))
        yield r, _render(r, _context({n: "3.11.2" for n in names}))


def _images(r: LoadedRule, rendered: dict[str, Any]) -> list[str]:
    image = rendered.get("image")
    return [image.strip()] if image else []


def test_every_template_renders_with_all_inputs_and_with_none(rules: RuleSet) -> None:
    rendered = list(_all_renderings(rules))
    templated = {r.id for r in rules.rules if _templates(r)}
    assert {r.id for r, _ in rendered} == templated
    assert any(r.rule.emit.step for r, _ in rendered)
    for r, out in rendered:
        if r.rule.emit.step is not None:
            assert out["script"].startswith("#!"), r.id
        if r.rule.emit.image is not None:
            assert out["image"].strip() and "\n" not in out["image"].strip(), r.id


def test_rendered_text_never_holds_an_expression(rules: RuleSet) -> None:
    for r, out in _all_renderings(rules):
        assert "${{" not in json.dumps(out), r.id


def test_secret_inputs_never_become_template_text(rules: RuleSet) -> None:
    checked = 0
    for r in rules.rules:
        if not r.rule.secrets or not _templates(r):
            continue
        names = _input_names(r)
        out = json.dumps(_render(r, _context({n: _sentinel(n) for n in names})))
        for secret in r.rule.secrets:
            assert _sentinel(secret) not in out, (r.id, secret)
            checked += 1
        # Not only with this table's values: the templates must not name them at all.
        for text in _templates(r):
            for secret in r.rule.secrets:
                assert f"inputs['{secret}']" not in text and f"inputs.get('{secret}'" not in text
    assert checked >= 5


def test_a_template_that_splices_a_secret_is_caught_by_the_check(tmp_path: Path) -> None:
    """The check above must be able to fail: a rule that does splice its token is seen."""
    (tmp_path / "bad.yaml").write_text(
        "rules:\n"
        "  - id: leaky\n"
        "    match: {uses: acme/leaky}\n"
        "    emit:\n"
        "      step:\n"
        "        script: \"#!/bin/sh\\necho {{ inputs.get('token', '') }}\\n\"\n"
        "    secrets: [token]\n"
        "    docs: A deliberately unsafe rule. It puts the token into the script text.\n"
    )
    leaky = RuleSet.load([tmp_path], builtin=False).rules[0]
    out = json.dumps(_render(leaky, _context({"token": _sentinel("token")})))
    assert _sentinel("token") in out


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_templates_render_for_any_known_input_values(rules: RuleSet, data: st.DataObject) -> None:
    templated = [r for r in rules.rules if _templates(r)]
    r = data.draw(st.sampled_from(templated))
    names = sorted(_input_names(r))
    chosen = data.draw(st.lists(st.sampled_from(names), unique=True)) if names else []
    text = st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
        max_size=30,
    )
    inputs = {n: data.draw(text) for n in chosen}
    secrets = {n: f"{v}-{_sentinel(n)}" for n, v in inputs.items() if n in r.rule.secrets}
    inputs.update(secrets)
    out = json.dumps(_render(r, _context(inputs)))
    for value in secrets.values():
        assert json.dumps(value)[1:-1] not in out, r.id


# --- matching -----------------------------------------------------------------------------------


def test_a_user_rule_overrides_the_builtin_one(tmp_path: Path) -> None:
    (tmp_path / "ours.yaml").write_text(
        "rules:\n"
        "  - id: our-checkout\n"
        "    match: {uses: actions/checkout}\n"
        "    emit: {manual: use our mirror}\n"
        "    docs: Our checkout goes through the internal mirror. Nothing else changes.\n"
    )
    combined = RuleSet.load([tmp_path])
    hit = combined.match_uses(uses("actions/checkout@v4"))
    assert hit is not None and hit.id == "our-checkout"
    assert hit.position.file.endswith("ours.yaml")
    # Everything the user folder does not cover still comes from the built-in table.
    other = combined.match_uses(uses("actions/setup-go@v5"))
    assert other is not None and other.id == "setup-go"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("actions/upload-artifact@v3", "upload-artifact-v3"),
        ("actions/upload-artifact@v3.1.3", "upload-artifact-v3"),
        ("actions/upload-artifact@v2", "upload-artifact-v3"),
        ("actions/upload-artifact@v4", "upload-artifact"),
        ("actions/upload-artifact@v4.6.2", "upload-artifact"),
        ("actions/upload-artifact@v6", "upload-artifact"),
        # A SHA pin says nothing about the version: the first rule for the action applies.
        ("actions/upload-artifact@043fb46d1a93c77aae656e7c1c64a875d1fc6a0a", "upload-artifact"),
        ("actions/upload-artifact/merge@v4", "upload-artifact-merge"),
        ("actions/cache@v4", "cache"),
        ("actions/cache/restore@v4", "cache-restore"),
        ("actions/cache/save@v4", "cache-save"),
        ("ACTIONS/Checkout@v4", "checkout"),
    ],
)
def test_version_constraints_and_names(rules: RuleSet, raw: str, expected: str) -> None:
    hit = rules.match_uses(uses(raw))
    assert hit is not None and hit.id == expected


@pytest.mark.parametrize("path", ["init", "analyze", "autobuild", "upload-sarif"])
def test_globs_match_action_paths(rules: RuleSet, path: str) -> None:
    hit = rules.match_uses(uses(f"github/codeql-action/{path}@v3"))
    assert hit is not None and hit.id == "codeql"
    assert hit.rule.match.uses == "github/codeql-action/*"
    assert hit.rule.emit.kind == "drop"


def test_an_unknown_action_matches_nothing(rules: RuleSet) -> None:
    assert rules.match_uses(uses("nobody/never-heard-of-it@v1")) is None
    assert rules.match_uses(uses("github/codeql@v3")) is None


@pytest.mark.parametrize(
    ("labels", "expected", "gpus"),
    [
        (["ubuntu-latest"], "runner-ubuntu", 0),
        (["ubuntu-24.04"], "runner-ubuntu", 0),
        (["ubuntu-slim"], "runner-ubuntu", 0),
        (["ubuntu-22.04"], "runner-ubuntu-2204", 0),
        (["ubuntu-24.04-arm"], "runner-ubuntu-arm", 0),
        (["linux-amd64-gpu-l4-latest-1"], "runner-nvidia-l4", 1),
        (["linux-arm64-gpu-a100-latest-1"], "runner-nvidia-model-1", 1),
        (["linux-amd64-gpu-${{ inputs.gpu }}-latest-1"], "runner-nvidia-model-1", 1),
        (["linux-x86-a3-8g-h100-8gpu"], "runner-nvidia-h100-8gpu", 8),
        (["linux.g5.12xlarge.nvidia.gpu"], "runner-aws-g5-12xlarge", 4),
        (["mt-l-x86iamx-88-900-h100-4"], "runner-nvidia-h100-4", 4),
        (["self-hosted", "nvidia", "cu124", "v100"], "runner-self-hosted-v100", 1),
        (["self-hosted", "gpu"], "runner-self-hosted-gpu-list", 1),
        (["2-gpu-runner"], "runner-gpu-2", 2),
        (["single-gpu-x64"], "runner-gpu-any", 1),
        (["windows-latest"], "runner-windows", 0),
        (["self-hosted", "Windows", "X64", "Intel"], "runner-windows-labelled", 0),
        (["runs-on=1", "runner=windows-gpu", "tag=x"], "runner-windows-third-party", 0),
        (["macos-14"], "runner-macos", 0),
        (["self-hosted"], "runner-self-hosted", 0),
        (["self-hosted", "Linux", "X64"], "runner-self-hosted", 0),
    ],
)
def test_runner_label_sets(rules: RuleSet, labels: list[str], expected: str, gpus: int) -> None:
    hit = rules.match_runner(labels)
    assert hit is not None and hit.id == expected
    spec = hit.rule.emit.runner
    assert (spec.gpu_count if spec else 0) == gpus
    if hit.rule.emit.manual is not None:
        assert "rule" in hit.rule.emit.manual or "Kubernetes" in hit.rule.emit.manual


def _corpus_documents() -> Iterator[tuple[Path, dict[str, Any]]]:
    need_shared(CORPUS)
    for path in sorted(CORPUS.rglob("*.y*ml")):
        try:
            data = load_yaml_file(path).data
        except InputError:
            continue
        if isinstance(data, dict):
            yield path, data


def _corpus_runner_labels() -> list[list[str]]:
    out = []
    for _path, doc in _corpus_documents():
        for job in (doc.get("jobs") or {}).values() if isinstance(doc.get("jobs"), dict) else []:
            runs_on = job.get("runs-on") if isinstance(job, dict) else None
            if isinstance(runs_on, str):
                out.append([runs_on])
            elif isinstance(runs_on, list):
                out.append([str(x) for x in runs_on])
            elif isinstance(runs_on, dict) and isinstance(runs_on.get("labels"), list):
                out.append([str(x) for x in runs_on["labels"]])
    return out


_GPU_WORDS = re.compile(r"gpu|nvidia|a100|h100|v100|a6000|p40", re.IGNORECASE)
_NOT_GPU = re.compile(r"windows|macos|tpu|xpu|gaudi|rocm|amd\b|^mi\d", re.IGNORECASE)


@pytest.mark.corpus
def test_gpu_labels_of_the_corpus_get_gpus(rules: RuleSet) -> None:
    label_sets = [
        labels
        for labels in _corpus_runner_labels()
        if any(_GPU_WORDS.search(x) for x in labels)
        and not any(_NOT_GPU.search(x) for x in labels)
        and not any(x.strip().startswith("${{") and x.strip().endswith("}}") for x in labels)
    ]
    assert len(label_sets) >= 20
    for labels in label_sets:
        hit = rules.match_runner(labels)
        assert hit is not None, labels
        assert hit.rule.resource_class == "gpu", (labels, hit.id)
        assert hit.rule.emit.runner is not None and hit.rule.emit.runner.gpu_count >= 1


@pytest.mark.corpus
def test_hosted_ubuntu_labels_of_the_corpus_get_no_gpu(rules: RuleSet) -> None:
    label_sets = [ls for ls in _corpus_runner_labels() if ls and ls[0].startswith("ubuntu-")]
    assert len(label_sets) >= 100
    for labels in label_sets:
        hit = rules.match_runner(labels)
        assert hit is not None and hit.rule.resource_class == "cpu", labels


def _step_uses(doc: dict[str, Any]) -> Iterator[str]:
    steps: list[Any] = []
    jobs = doc.get("jobs")
    if isinstance(jobs, dict):
        for job in jobs.values():
            if isinstance(job, dict) and isinstance(job.get("steps"), list):
                steps.extend(job["steps"])
    runs = doc.get("runs")
    if isinstance(runs, dict) and isinstance(runs.get("steps"), list):
        steps.extend(runs["steps"])
    for step in steps:
        if isinstance(step, dict) and isinstance(step.get("uses"), str):
            yield step["uses"]


@pytest.mark.corpus
def test_corpus_uses_steps_are_covered(rules: RuleSet) -> None:
    total = matched = 0
    missed: Counter[str] = Counter()
    for _path, doc in _corpus_documents():
        for raw in _step_uses(doc):
            try:
                ref = parse_uses(raw)
            except UsesError:
                continue
            if ref.kind == "local":
                continue
            total += 1
            if ref.kind == "remote" and rules.match_uses(ref) is not None:
                matched += 1
            else:
                missed[ref.name.lower()] += 1
    assert total >= 2000
    share = matched / total
    print(f"\nrule coverage of corpus `uses:` steps: {matched}/{total} = {share:.1%}")
    print("most used unmatched:", missed.most_common(10))
    assert share >= 0.85, missed.most_common(20)


# --- broken user rule files give positioned errors ----------------------------------------------


def _load_error(tmp_path: Path, text: str) -> InputError:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        RuleSet.load([tmp_path])
    for diag in info.value.diagnostics:
        assert diag.position.file.endswith("broken.yaml"), diag.format()
    return info.value


_GOOD_HEAD = "rules:\n  - id: mine\n"


def test_unknown_key_is_positioned(tmp_path: Path) -> None:
    error = _load_error(
        tmp_path,
        _GOOD_HEAD + "    match: {uses: a/b}\n    emit: {drop: x}\n    docs: d\n    colour: red\n",
    )
    assert (error.first.position.line, error.first.position.col) == (6, 5)
    assert "colour" in error.first.message


def test_bad_regex_is_positioned(tmp_path: Path) -> None:
    error = _load_error(
        tmp_path,
        _GOOD_HEAD + "    match:\n      run: 'a(b'\n    emit: {manual: x}\n    docs: d\n",
    )
    # The `match` mapping that holds the regex starts on line 4, column 7.
    assert (error.first.position.line, error.first.position.col) == (4, 7)
    assert "regular expression" in error.first.message


def test_two_emits_are_positioned(tmp_path: Path) -> None:
    error = _load_error(
        tmp_path,
        _GOOD_HEAD + "    match: {uses: a/b}\n    emit:\n      drop: x\n      manual: y\n"
        "    docs: d\n",
    )
    # The `emit` mapping with the two kinds starts on line 5, column 7.
    assert (error.first.position.line, error.first.position.col) == (5, 7)
    assert "exactly one" in error.first.message


def test_bad_version_constraint_is_positioned(tmp_path: Path) -> None:
    error = _load_error(
        tmp_path,
        _GOOD_HEAD + "    match: {uses: a/b, versions: 'about 3'}\n    emit: {drop: x}\n"
        "    docs: d\n",
    )
    assert (error.first.position.line, error.first.position.col) == (3, 12)
    assert "about 3" in error.first.message


def test_a_broken_user_file_names_its_place_in_the_message(tmp_path: Path) -> None:
    error = _load_error(tmp_path, _GOOD_HEAD + "    match: {uses: a/b}\n    docs: d\n")
    text = error.first.format()
    assert re.search(r"broken\.yaml:\d+:\d+: error: ", text), text


# --- the step scripts work ----------------------------------------------------------------------


class Pod:
    """A scratch stand-in for a TaskRun's shared folders, running rule steps with /bin/sh."""

    def __init__(self, root: Path, rules: RuleSet) -> None:
        self.root, self.rules = root, rules
        self.ght = root / "ght"
        self.source = root / "source"
        self.source.mkdir(parents=True)
        self.base_env = dict(
            os.environ,
            GHT_DIR=str(self.ght),
            GITHUB_ENV=str(self.ght / "env"),
            GITHUB_PATH=str(self.ght / "path"),
        )
        self.ght.mkdir()
        subprocess.run(["sh", "-c", SETUP_SCRIPT], env=self.base_env, check=True)

    def subst(self, text: str) -> str:
        for name, value in {
            "$(workspaces.source.path)": str(self.source),
            "$(workspaces.artifacts.path)": str(self.root / "artifacts"),
            "$(workspaces.cache.path)": str(self.root / "cache"),
            "$(workspaces.cache.bound)": "true",
        }.items():
            text = text.replace(name, value)
        return text

    def run(
        self, rule_id: str, inputs: dict[str, str], env: dict[str, str] | None = None
    ) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
        r = rule_by_id(self.rules, rule_id)
        step = render_step(r, _context(inputs))
        output = self.ght / "outputs" / rule_id
        output.unlink(missing_ok=True)
        full = {**self.base_env, "GITHUB_OUTPUT": str(output), **(env or {})}
        full.update({k: self.subst(v) for k, v in step.get("env", {}).items()})
        full.update({input_env_name(k): v for k, v in inputs.items()})
        done = subprocess.run(
            ["sh", "-c", self.subst(step["script"])],
            env=full,
            cwd=self.source,
            capture_output=True,
            text=True,
            timeout=120,
        )
        outputs = {}
        if output.exists():
            for line in output.read_text().splitlines():
                key, _, value = line.partition("=")
                outputs[key] = value
        return done, outputs


needs_sh = pytest.mark.skipif(
    shutil.which("sh") is None or shutil.which("python3") is None, reason="needs sh and python3"
)


@pytest.fixture
def pod(tmp_path: Path, rules: RuleSet) -> Pod:
    return Pod(tmp_path, rules)


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


@needs_sh
def test_artifacts_round_trip_between_jobs(pod: Pod) -> None:
    (pod.source / "dist" / "sub").mkdir(parents=True)
    (pod.source / "dist" / "pkg.whl").write_text("wheel")
    (pod.source / "dist" / "sub" / "notes.txt").write_text("notes")
    (pod.source / "dist" / ".secret").write_text("hidden")
    done, out = pod.run("upload-artifact", {"name": "wheels", "path": "dist"})
    assert done.returncode == 0, done.stderr
    assert out["artifact-id"] == "wheels"
    # Stored relative to the search root, hidden files left out (v4.4+ default).
    assert _tree(pod.root / "artifacts" / "wheels") == {"pkg.whl", "sub/notes.txt"}
    # v4: a name is written once.
    again, _ = pod.run("upload-artifact", {"name": "wheels", "path": "dist"})
    assert again.returncode != 0 and "already exists" in again.stderr
    done, _ = pod.run("upload-artifact", {"name": "wheels", "path": "dist", "overwrite": "true"})
    assert done.returncode == 0, done.stderr
    # Another job downloads it into a folder of its checkout.
    shutil.rmtree(pod.source / "dist")
    done, out = pod.run("download-artifact", {"name": "wheels", "path": "dist"})
    assert done.returncode == 0, done.stderr
    assert _tree(pod.source / "dist") == {"pkg.whl", "sub/notes.txt"}
    assert out["download-path"] == str(pod.source / "dist")
    missing, _ = pod.run("download-artifact", {"name": "nope"})
    assert missing.returncode != 0 and "not found" in missing.stderr


@needs_sh
def test_upload_of_several_paths_keeps_their_common_root(pod: Pod) -> None:
    (pod.source / "a").mkdir()
    (pod.source / "a" / "x.txt").write_text("x")
    (pod.source / "a" / "skip.log").write_text("s")
    (pod.source / "b.txt").write_text("b")
    done, _ = pod.run("upload-artifact", {"name": "mixed", "path": "a/*\nb.txt\n!a/*.log"})
    assert done.returncode == 0, done.stderr
    assert _tree(pod.root / "artifacts" / "mixed") == {"a/x.txt", "b.txt"}
    empty, _ = pod.run(
        "upload-artifact", {"name": "none", "path": "nothing/*", "if-no-files-found": "error"}
    )
    assert empty.returncode != 0


@needs_sh
def test_v3_uploads_under_one_name_merge(pod: Pod) -> None:
    (pod.source / "one.txt").write_text("1")
    (pod.source / "two.txt").write_text("2")
    assert pod.run("upload-artifact-v3", {"path": "one.txt"})[0].returncode == 0
    assert pod.run("upload-artifact-v3", {"path": "two.txt"})[0].returncode == 0
    assert _tree(pod.root / "artifacts" / "artifact") == {"one.txt", "two.txt"}


@needs_sh
def test_download_all_by_pattern_and_merged(pod: Pod) -> None:
    for name in ("cov-1", "cov-2", "docs"):
        (pod.root / "artifacts" / name).mkdir(parents=True)
        (pod.root / "artifacts" / name / f"{name}.xml").write_text(name)
    done, _ = pod.run("download-artifact", {"pattern": "cov-*", "path": "each"})
    assert done.returncode == 0, done.stderr
    assert _tree(pod.source / "each") == {"cov-1/cov-1.xml", "cov-2/cov-2.xml"}
    done, _ = pod.run(
        "download-artifact", {"pattern": "cov-*", "path": "flat", "merge-multiple": "true"}
    )
    assert done.returncode == 0, done.stderr
    assert _tree(pod.source / "flat") == {"cov-1.xml", "cov-2.xml"}
    other_run, _ = pod.run("download-artifact", {"name": "docs", "run-id": "42"})
    assert other_run.returncode != 0


@needs_sh
def test_cache_save_then_restore_by_key_and_prefix(pod: Pod) -> None:
    cache_dir = pod.source / ".ccache"
    (cache_dir / "obj").mkdir(parents=True)
    (cache_dir / "obj" / "a.o").write_text("object")
    (cache_dir / "tmp.lock").write_text("lock")
    paths = ".ccache\n!.ccache/*.lock"
    done, _ = pod.run("cache-save", {"key": "ccache-linux-abc", "path": paths})
    assert done.returncode == 0, done.stderr
    shutil.rmtree(cache_dir)
    done, out = pod.run("cache-restore", {"key": "ccache-linux-abc", "path": paths})
    assert done.returncode == 0, done.stderr
    assert out["cache-hit"] == "true"
    assert _tree(cache_dir) == {"obj/a.o"}
    shutil.rmtree(cache_dir)
    done, out = pod.run(
        "cache",
        {"key": "ccache-linux-new", "path": paths, "restore-keys": "nothing-\nccache-linux-"},
    )
    assert done.returncode == 0, done.stderr
    assert (out["cache-hit"], out["cache-matched-key"]) == ("false", "ccache-linux-abc")
    assert _tree(cache_dir) == {"obj/a.o"}
    # Another set of paths is another cache, as on GitHub.
    done, out = pod.run("cache-restore", {"key": "ccache-linux-abc", "path": ".other"})
    assert out["cache-hit"] == "false" and out["cache-matched-key"] == ""
    miss, _ = pod.run("cache-restore", {"key": "zzz", "path": paths, "fail-on-cache-miss": "true"})
    assert miss.returncode != 0


@needs_sh
def test_regex_match_writes_groups(pod: Pod) -> None:
    done, out = pod.run("regex-match", {"text": "release v1.22.3 today", "regex": r"v(\d+)\.(\d+)"})
    assert done.returncode == 0, done.stderr
    assert (out["match"], out["group1"], out["group2"], out["group3"]) == ("v1.22", "1", "22", "")


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


@pytest.mark.skipif(shutil.which("git") is None or shutil.which("sh") is None, reason="needs git")
def test_checkout_clones_the_event_commit_and_honours_inputs(pod: Pod, tmp_path: Path) -> None:
    server = tmp_path / "server"
    bare = server / "acme" / "app"
    bare.mkdir(parents=True)
    _git("init", "-q", "--bare", str(bare), cwd=tmp_path)
    _git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=bare)
    work = tmp_path / "work"
    work.mkdir()
    _git("init", "-q", cwd=work)
    (work / "a.txt").write_text("1")
    _git("add", ".", cwd=work)
    _git("commit", "-qm", "one", cwd=work)
    first = _git("rev-parse", "HEAD", cwd=work)
    (work / "b.txt").write_text("2")
    _git("add", ".", cwd=work)
    _git("commit", "-qm", "two", cwd=work)
    _git("push", "-q", str(bare), "HEAD:refs/heads/main", cwd=work)
    env = {
        "GITHUB_SERVER_URL": server.as_uri(),
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_SHA": first,
        "GITHUB_TOKEN": "t0ken",
    }
    done, out = pod.run("checkout", {"persist-credentials": "false"}, env)
    assert done.returncode == 0, done.stderr
    assert out["commit"] == first
    assert _tree(pod.source) >= {"a.txt"} and not (pod.source / "b.txt").exists()
    assert "extraheader" not in (pod.source / ".git" / "config").read_text()
    done, out = pod.run("checkout", {"ref": "main", "path": "sub", "fetch-depth": "0"}, env)
    assert done.returncode == 0, done.stderr
    assert out["commit"] != first and (pod.source / "sub" / "b.txt").exists()
    assert _git("rev-parse", "--abbrev-ref", "HEAD", cwd=pod.source / "sub") == "main"
    assert _git("rev-list", "--count", "HEAD", cwd=pod.source / "sub") == "2"
    # The token is kept for later git commands only when persist-credentials allows it, and
    # never in the remote URL.
    config = (pod.source / "sub" / ".git" / "config").read_text()
    assert "extraheader" in config and "t0ken" not in config
    escape, _ = pod.run("checkout", {"path": "../outside"}, env)
    assert escape.returncode != 0 and "inside the workspace" in escape.stderr


def test_a_checkout_without_token_uses_the_runs_token_optionally(tmp_path: Path) -> None:
    """As checkout's action.yml default (`token: ${{ github.token }}`): private repositories
    clone; the key is optional, so a public one clones without a token."""
    import yaml

    from ghtotekton.convert.engine import Options, convert_paths

    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - uses: actions/checkout@v4\n        with:\n          token: ${{ secrets.PAT }}\n"
    )
    task = yaml.safe_load(convert_paths([repo], Options()).files["tasks/ci-a.yaml"])
    refs = [
        next(e for e in s["env"] if e["name"] == "INPUT_TOKEN")["valueFrom"]["secretKeyRef"]
        for s in task["spec"]["steps"]
        if s["name"].startswith("checkout")
    ]
    assert refs == [
        {"name": "github-secrets", "optional": True, "key": "GITHUB_TOKEN"},
        {"name": "github-secrets", "optional": True, "key": "PAT"},
    ]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("make -j4", "cpu"),
        ("make install", "cpu"),
        ("cmake -B build && make", "cpu"),
        ("make test", None),  # a GPU job's tests keep the GPU
        ("make test_examples", None),
        ("source activate env\nmake check", None),
        ("poetry install --no-root", "cpu"),
        ("poetry run pytest", None),
        ("papermill a.ipynb b.ipynb", "gpu"),
    ],
)
def test_resource_classes_of_commands(rules: RuleSet, script: str, expected: str | None) -> None:
    assert rules.resource_class(script) == expected


def test_notebook_execution_is_the_gpu_work(rules: RuleSet) -> None:
    assert rules.is_gpu_work("docker compose exec -T nb papermill in.ipynb out.ipynb")
    assert rules.is_gpu_work("jupyter nbconvert --to notebook --execute a.ipynb")
    assert not rules.is_gpu_work("nvidia-smi")
    assert not rules.is_gpu_work("pytest tests/gpu")
