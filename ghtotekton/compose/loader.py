"""Load one or more compose files into a :class:`ComposeProject`, the way ``docker compose`` does.

The order matters and is compose's: read the YAML (``<<`` merges and anchors allowed), interpolate
``${VAR}`` from the given environment and the ``.env`` file, check each file's shape (so errors
point into the file that has them), merge the files with compose's override rules, resolve
``extends``, then validate the merged result. Unknown keys are warnings, as compose is lenient
about keys it does not know; everything compose itself would refuse is an InputError with a
position.

The environment defaults to empty, not to this process's: a conversion must give the same result
on every machine, and in CI the variables come from the workflow, which the converter passes in.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ghtotekton.boundary import check_inside
from ghtotekton.compose.interpolate import Interpolation, parse_env_text, read_env_file
from ghtotekton.compose.merge import merge_files, merge_service
from ghtotekton.compose.model import ComposeFile, Service, parse_volume
from ghtotekton.errors import Diagnostic, InputError, Position
from ghtotekton.pydantic_errors import dotted, kind_of, order, validation_diagnostics
from ghtotekton.yamlsource import PathKey, YamlDocument, load_yaml_file, read_limited

COMPOSE_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
"""The names ``docker compose`` looks for without ``-f``, in its order of preference."""
OVERRIDE_FILE_NAMES = (
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)


OBSOLETE_RULE = "compose-obsolete"
"""Rule of a warning about a key compose reads no more (``version``): nothing is lost."""


@dataclass(frozen=True, slots=True)
class LocalValue:
    """A container variable whose value comes from a file on the developer's machine."""

    origin: Position
    """Where it is set (an ``env_file`` line, or the ``.env`` line of the variable it reads)."""
    names: frozenset[str]
    """The ``.env`` variables its value was built from (empty for an ``env_file`` value)."""


@dataclass(slots=True)
class ContainerEnv:
    """A service's environment as the converter writes it: values, and which are local."""

    values: dict[str, str] = field(default_factory=dict)
    local: dict[str, LocalValue] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)


@dataclass(slots=True)
class ComposeProject:
    """The merged, validated project, with where each part came from.

    ``data`` is the merged plain data after interpolation (rule matching reads it); ``env`` the
    variables interpolation used (the given mapping over the ``.env`` file).
    """

    files: list[Path]
    displays: list[str]
    project_dir: Path
    model: ComposeFile
    data: dict[str, Any]
    env: dict[str, str]
    referenced_variables: list[str] = field(default_factory=list)
    unset_variables: list[str] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    positions: dict[PathKey, Position] = field(default_factory=dict)
    local_uses: dict[PathKey, set[str]] = field(default_factory=dict)
    """Path of a string value -> the variables from ``.env`` (a local file) it was built from."""
    local_origin: dict[str, Position] = field(default_factory=dict)
    """Where each ``.env`` variable is set."""
    display_root: Path | None = None
    """File names in messages are relative to it (the repository root)."""

    @property
    def services(self) -> dict[str, Service]:
        return self.model.services

    @property
    def name(self) -> str:
        """The project name: ``name:`` or, as compose does, the folder name made safe."""
        if self.model.name:
            return self.model.name
        raw = self.project_dir.resolve().name.lower()
        safe = "".join(c for c in raw if c.isalnum() or c in "_-")
        return safe.lstrip("_-") or "default"

    def service(self, name: str) -> Service | None:
        return self.model.services.get(name)

    def pos(self, path: PathKey) -> Position:
        """Where the value at ``path`` of the merged data was written (the last file to set it)."""
        p = tuple(path)
        while p:
            hit = self.positions.get(p)
            if hit is not None:
                return hit
            p = p[:-1]
        return Position(self.displays[0], 1, 1)

    def environment_of(self, service: str, shell: Mapping[str, str]) -> ContainerEnv:
        """A service's container variables: its ``env_file``s, then ``environment`` over them,
        with the ones whose value comes from a file on the developer's machine marked.

        A missing ``env_file`` is a warning even when ``required``: in CI such files are often
        written by an earlier step, so the converter must keep going and say so. One outside the
        repository is a warning too, and is not read.
        """
        svc = self.model.services[service]
        out = ContainerEnv()
        for i, env_file in enumerate(svc.env_file):
            path = self.project_dir / env_file.path
            where = self.pos(("services", service, "env_file", i))
            shown = _display(path, self.display_root)
            try:
                check_inside(path, shown)
            except InputError as exc:
                out.warnings.append(replace(exc.diagnostics[0], position=where, severity="warning"))
                continue
            if not path.is_file():
                if env_file.required:
                    out.warnings.append(
                        Diagnostic(
                            where,
                            f'env_file "{env_file.path}" does not exist here',
                            "if a CI step writes it, the Tekton step must write it too",
                            severity="warning",
                            rule="compose",
                        )
                    )
                continue
            text = read_limited(path, shown).decode("utf-8", errors="replace")
            set_at: dict[str, Position] = {}
            values, more = parse_env_text(text, shown, self.env, set_at)
            for key, value in values.items():
                out.values[key] = value
                out.local[key] = LocalValue(set_at[key], frozenset())
            out.warnings += more
        for key, value in svc.resolved_environment(shell).items():
            out.values[key] = value
            out.local.pop(key, None)
            names = self._local_names(service, key)
            if names:
                first = sorted(names)[0]
                out.local[key] = LocalValue(self.local_origin[first], frozenset(names))
        for key, given in svc.environment.items():
            # A bare name takes its value from the shell or from the .env file (Compose's
            # "Set environment variables" page): here the file's value, which stays local.
            if given is None and key not in shell and key in self.local_origin:
                out.values[key] = self.env[key]
                out.local[key] = LocalValue(self.local_origin[key], frozenset({key}))
        return out

    def _local_names(self, service: str, key: str) -> set[str]:
        """The ``.env`` variables the value of ``environment.<key>`` was built from (both the
        mapping and the list form of ``environment``)."""
        names = set(self.local_uses.get(("services", service, "environment", key), set()))
        written = (self.data.get("services") or {}).get(service, {}).get("environment")
        if isinstance(written, list):
            for i, item in enumerate(written):
                if isinstance(item, str) and item.split("=", 1)[0] == key:
                    names |= self.local_uses.get(("services", service, "environment", i), set())
        return names


def find_compose_files(folder: Path, *, root: Path | None = None) -> list[Path]:
    """The files ``docker compose`` reads in ``folder`` without ``-f``: main file + override.

    Like compose, it looks in parent folders when ``folder`` has none, but never above ``root``
    (a repository's top), so a conversion cannot pick up files outside what it was given.
    """
    current = folder
    while True:
        main = next((current / n for n in COMPOSE_FILE_NAMES if (current / n).is_file()), None)
        if main is not None:
            override = next(
                (current / n for n in OVERRIDE_FILE_NAMES if (current / n).is_file()), None
            )
            return [main] if override is None else [main, override]
        if root is not None and current.resolve() == root.resolve():
            return []
        if current.resolve().parent == current.resolve():
            return []
        current = current.parent


def load_compose(
    paths: list[Path],
    env: Mapping[str, str] | None = None,
    *,
    env_files: list[Path] | None = None,
    project_dir: Path | None = None,
    display_root: Path | None = None,
    strict_required: bool = True,
) -> ComposeProject:
    """Load and merge compose files (in ``-f`` order) into one project.

    ``env_files`` replaces the default ``.env`` of the project folder (``--env-file``);
    ``display_root`` makes the file names in messages relative to it; ``strict_required=False``
    turns ``${VAR:?}`` without a value into a warning (for converting without CI's secrets).
    """
    if not paths:
        raise InputError(Diagnostic(Position("compose"), "no compose file given"))
    pdir = project_dir or paths[0].parent
    raw = _load_raw(
        paths, dict(env or {}), env_files, pdir, display_root, strict_required, frozenset()
    )
    try:
        model = ComposeFile.model_validate(raw.data)
    except ValidationError as exc:
        raise InputError(_merged_diagnostics(exc, raw)) from None
    for name, service in model.services.items():
        key = raw.key_positions.get(("services", name))
        service.stamp(name, key)
    project = ComposeProject(
        files=list(paths),
        displays=raw.displays,
        project_dir=pdir,
        model=model,
        data=raw.data,
        env=dict(raw.interp.env),
        referenced_variables=list(raw.interp.referenced),
        unset_variables=list(raw.interp.unset),
        warnings=raw.warnings,
        positions=raw.positions,
        local_uses=raw.interp.uses,
        local_origin=dict(raw.interp.local),
        display_root=display_root,
    )
    _check_dependencies(project)
    return project


@dataclass(slots=True)
class _Raw:
    """Merged plain data of some files, before the merged whole is validated."""

    displays: list[str]
    data: dict[str, Any]
    interp: Interpolation
    warnings: list[Diagnostic]
    positions: dict[PathKey, Position]
    key_positions: dict[PathKey, Position]


def _load_raw(
    paths: list[Path],
    shell: dict[str, str],
    env_files: list[Path] | None,
    pdir: Path,
    display_root: Path | None,
    strict_required: bool,
    seen: frozenset[Path],
) -> _Raw:
    displays = [_display(p, display_root) for p in paths]
    warnings: list[Diagnostic] = []
    dotenv: dict[str, str] = {}
    local: dict[str, Position] = {}
    candidates = env_files if env_files is not None else [pdir / ".env"]
    for env_path in candidates:
        if env_files is None and not env_path.is_file() and not env_path.is_symlink():
            continue
        shown = _display(env_path, display_root)
        where: dict[str, Position] = {}
        values, more = read_env_file(env_path, {**dotenv, **shell}, shown, where)
        local.update({k: where[k] for k in values if k not in shell})
        dotenv.update(values)
        warnings += more
    # The shell wins over .env; what .env alone sets is local, never copied into the output.
    interp = Interpolation({**dotenv, **shell}, strict_required, local=local)

    docs: list[YamlDocument] = []
    errors: list[Diagnostic] = []
    for path, display in zip(paths, displays, strict=True):
        doc = load_yaml_file(path, display, merge_keys=True)
        _check_top(doc)
        doc = YamlDocument(
            file=doc.file,
            data=interp.document(doc),
            positions=doc.positions,
            key_positions=doc.key_positions,
            raw_scalars=doc.raw_scalars,
        )
        docs.append(doc)
        try:
            single = ComposeFile.model_validate(doc.data)
        except ValidationError as exc:
            errors += validation_diagnostics(exc, doc)
            continue
        warnings += _unknown_key_warnings(single, doc)
    if errors:
        raise InputError(sorted(errors, key=lambda d: (d.position.file, *order(d))))
    warnings += interp.warnings

    merged: dict[str, Any] = docs[0].data
    for doc in docs[1:]:
        merged = merge_files(merged, doc.data)
    positions = _positions(docs)
    key_positions: dict[PathKey, Position] = {}
    for doc in reversed(docs):  # the first file that defines a key is where it is defined
        key_positions.update({k: Position(doc.file, *v) for k, v in doc.key_positions.items()})
    seen = seen | {p.resolve() for p in paths}
    for doc, path in zip(docs, paths, strict=True):
        for i, entry in enumerate(_include_entries(doc)):
            sub = _load_include(
                entry, doc, i, path.parent, shell, display_root, strict_required, seen
            )
            merged = _add_included(merged, sub, doc.pos(("include", i)))
            positions = {**sub.positions, **positions}
            key_positions = {**sub.key_positions, **key_positions}
            warnings += sub.warnings
            for name in sub.interp.referenced:
                interp.referenced.setdefault(name, None)
            for name in sub.interp.unset:
                interp.unset.setdefault(name, None)
            for path_key, names in sub.interp.uses.items():
                interp.uses.setdefault(path_key, set()).update(names)
            interp.local = {**sub.interp.local, **interp.local}
    merged.pop("include", None)
    merged = _resolve_extends(merged, positions, pdir, interp, display_root)
    return _Raw(displays, merged, interp, warnings, positions, key_positions)


# --- include --------------------------------------------------------------------------------------


def _include_entries(doc: YamlDocument) -> list[Any]:
    entries = doc.data.get("include") if isinstance(doc.data, dict) else None
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise doc.error(("include",), "`include` is a list of files")
    return entries


def _load_include(
    entry: Any,
    doc: YamlDocument,
    index: int,
    base_dir: Path,
    shell: dict[str, str],
    display_root: Path | None,
    strict_required: bool,
    seen: frozenset[Path],
) -> _Raw:
    """One ``include`` entry, loaded as its own project (own folder, own ``.env``)."""
    where: PathKey = ("include", index)
    if isinstance(entry, str):
        entry = {"path": entry}
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str | list):
        raise doc.error(where, "an `include` entry is a path, or a mapping with `path:`")
    rel = entry["path"] if isinstance(entry["path"], list) else [entry["path"]]
    files = [base_dir / str(p) for p in rel]
    for f in files:
        check_inside(f, _display(f, display_root))
        if not f.is_file():
            raise doc.error(where, f"included file {f} does not exist")
        if f.resolve() in seen:
            raise doc.error(where, f"`include` loops back to {f}")
    project_dir = entry.get("project_directory")
    sub_dir = base_dir / str(project_dir) if project_dir else files[0].parent
    env_file = entry.get("env_file")
    env_files = None
    if env_file is not None:
        names = env_file if isinstance(env_file, list) else [env_file]
        env_files = [base_dir / str(n) for n in names]
    sub = _load_raw(files, shell, env_files, sub_dir, display_root, strict_required, seen)
    sub.data = _rebase_paths(sub.data, sub_dir, base_dir)
    return sub


def _add_included(merged: dict[str, Any], sub: _Raw, where: Position) -> dict[str, Any]:
    """Resources of an included project join ours; the same name in both is an error."""
    out = dict(merged)
    for section in ("services", "volumes", "networks", "secrets", "configs"):
        theirs = sub.data.get(section)
        if not isinstance(theirs, dict) or not theirs:
            continue
        ours = dict(out.get(section) or {})
        for name, value in theirs.items():
            if name in ours:
                raise InputError(
                    Diagnostic(
                        where,
                        f"{section}.{name} is defined here and in the included file",
                        "compose refuses such conflicts; rename one or drop the include",
                        rule="compose",
                    )
                )
            ours[name] = value
        out[section] = ours
    return out


def _rebase_paths(data: dict[str, Any], sub_dir: Path, base_dir: Path) -> dict[str, Any]:
    """Relative paths of an included file are relative to its own folder; make them ours."""
    try:
        prefix = sub_dir.resolve().relative_to(base_dir.resolve())
    except ValueError:
        prefix = sub_dir.resolve()
    if str(prefix) == ".":
        return data

    def rebase(path: str) -> str:
        if path.startswith(("/", "~")) or "://" in path:
            return path
        return str(prefix / path)

    services = data.get("services")
    if not isinstance(services, dict):
        return data
    out = dict(data)
    new_services = {}
    for name, svc in services.items():
        if not isinstance(svc, dict):
            new_services[name] = svc
            continue
        svc = dict(svc)
        build = svc.get("build")
        if isinstance(build, str):
            svc["build"] = rebase(build)
        elif isinstance(build, dict) and isinstance(build.get("context", "."), str):
            svc["build"] = {**build, "context": rebase(build.get("context", "."))}
        if isinstance(svc.get("volumes"), list):
            svc["volumes"] = [_rebase_volume(v, rebase) for v in svc["volumes"]]
        env_file = svc.get("env_file")
        if isinstance(env_file, str):
            svc["env_file"] = rebase(env_file)
        elif isinstance(env_file, list):
            svc["env_file"] = [
                rebase(e) if isinstance(e, str)
                else ({**e, "path": rebase(e["path"])} if isinstance(e, dict)
                      and isinstance(e.get("path"), str) else e)
                for e in env_file
            ]  # fmt: skip
        new_services[name] = svc
    out["services"] = new_services
    return out


def _rebase_volume(volume: Any, rebase: Any) -> Any:
    try:
        long = parse_volume(volume)
    except ValueError:
        return volume
    if (
        isinstance(long, dict)
        and long.get("type") == "bind"
        and isinstance(long.get("source"), str)
    ) and str(long["source"]).startswith("."):
        return {**long, "source": rebase(long["source"])}
    return volume


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


def _check_top(doc: YamlDocument) -> None:
    if doc.data is None:
        raise InputError(
            Diagnostic(doc.pos(()), "empty compose file", "a compose file needs `services:`")
        )
    if not isinstance(doc.data, dict):
        raise InputError(
            Diagnostic(
                doc.pos(()),
                "a compose file is a mapping with `services:`, got "
                + kind_of(doc.data, quote=False),
                rule="compose",
            )
        )


def _unknown_key_warnings(model: ComposeFile, doc: YamlDocument) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    if "version" in (model.model_extra or {}):
        out.append(
            Diagnostic(
                doc.key_pos(("version",)),
                "`version` is obsolete; compose ignores it",
                "remove it",
                severity="warning",
                rule=OBSOLETE_RULE,
            )
        )
    for path, key, cls in model.unknown_keys():
        where = dotted(path) or "the top level"
        close = difflib.get_close_matches(key, cls.known_keys(), n=1, cutoff=0.75)
        out.append(
            Diagnostic(
                doc.key_pos((*path, key)),
                f'unknown key "{key}" in {where}; compose may reject it, ghtotekton ignores it',
                f"did you mean `{close[0]}`?" if close else "",
                severity="warning",
                rule="compose",
            )
        )
    return out


def _positions(docs: list[YamlDocument]) -> dict[PathKey, Position]:
    """Value positions across files; a later file that sets a path is where it comes from."""
    out: dict[PathKey, Position] = {}
    for doc in docs:
        for path, (line, col) in doc.positions.items():
            out[path] = Position(doc.file, line, col)
    return out


_FILE_STRIDE = 10**8


def _merged_diagnostics(exc: ValidationError, raw: _Raw) -> list[Diagnostic]:
    """Errors in the merged data, each placed in the file that wrote the value.

    The shared error wording works on one document with one file name; the file of each path is
    folded into its line number (file index times a stride) and unfolded afterwards.
    """
    files = sorted({p.file for p in raw.positions.values()})
    index = {f: i for i, f in enumerate(files)}
    doc = YamlDocument(file="", data=raw.data)
    doc.positions = {
        k: (index[v.file] * _FILE_STRIDE + v.line, v.col) for k, v in raw.positions.items()
    }
    out = []
    for d in validation_diagnostics(exc, doc):
        which, line = divmod(d.position.line, _FILE_STRIDE)
        where = Position(files[which], line, d.position.col) if files else Position("compose")
        out.append(Diagnostic(where, d.message, d.hint, d.severity, d.rule))
    return out


def _check_dependencies(project: ComposeProject) -> None:
    """``depends_on`` an undefined service: compose refuses to start such a project."""
    errors = []
    for name, service in project.services.items():
        for dep, spec in service.depends_on.items():
            if dep not in project.services and spec.required:
                errors.append(
                    Diagnostic(
                        project.pos(("services", name, "depends_on")),
                        f'service "{name}" depends on undefined service "{dep}"',
                        "define it, fix the name, or mark the dependency `required: false`",
                        rule="compose",
                    )
                )
    if errors:
        raise InputError(errors)


# --- extends ------------------------------------------------------------------------------------


def _resolve_extends(
    data: dict[str, Any],
    positions: dict[PathKey, Position],
    project_dir: Path,
    interp: Interpolation,
    display_root: Path | None,
) -> dict[str, Any]:
    """Replace each ``extends`` by the service it names, merged under the extending one."""
    services = data.get("services")
    if not isinstance(services, dict) or not any(
        isinstance(s, dict) and "extends" in s for s in services.values()
    ):
        return data
    out = dict(data)
    resolved: dict[str, Any] = {}
    cache: dict[Path, YamlDocument] = {}

    def resolve(name: str, chain: tuple[str, ...]) -> Any:
        if name in resolved:
            return resolved[name]
        service = services[name]
        if not isinstance(service, dict) or "extends" not in service:
            resolved[name] = service
            return service
        where = positions.get(("services", name, "extends"), Position("compose"))
        if name in chain:
            raise InputError(
                Diagnostic(where, f"`extends` loops: {' -> '.join((*chain, name))}", rule="compose")
            )
        spec = service["extends"]
        base_name, file = (spec, None) if isinstance(spec, str) else _extends_spec(spec, where)
        if file is None:
            if base_name not in services:
                raise InputError(
                    Diagnostic(where, f'`extends` names undefined service "{base_name}"')
                )
            base = resolve(base_name, (*chain, name))
            _inherit_positions(positions, positions, base_name, name)
        else:
            doc = _external_doc(project_dir / file, where, cache, interp, display_root)
            base = _external_service(doc, base_name, where)
            external = {k: Position(doc.file, *v) for k, v in doc.positions.items()}
            _inherit_positions(positions, external, base_name, name)
        own = {k: v for k, v in service.items() if k != "extends"}
        merged = merge_service(base, own) if isinstance(base, dict) else own
        resolved[name] = merged
        return merged

    out["services"] = {name: resolve(name, ()) for name in services}
    return out


def _extends_spec(spec: Any, where: Position) -> tuple[str, str | None]:
    if not isinstance(spec, dict) or not isinstance(spec.get("service"), str):
        raise InputError(
            Diagnostic(where, "`extends` needs a service name, or `service:` and `file:`")
        )
    file = spec.get("file")
    return spec["service"], file if isinstance(file, str) else None


def _inherit_positions(
    positions: dict[PathKey, Position], source: dict[PathKey, Position], base: str, name: str
) -> None:
    """Values a service inherits are placed where its base wrote them (unless it sets them)."""
    prefix = ("services", base)
    for path, pos in list(source.items()):
        if path[:2] == prefix and len(path) > 2:
            positions.setdefault(("services", name, *path[2:]), pos)


def _external_doc(
    path: Path,
    where: Position,
    cache: dict[Path, YamlDocument],
    interp: Interpolation,
    display_root: Path | None,
) -> YamlDocument:
    if path not in cache:
        if not path.is_file():
            raise InputError(Diagnostic(where, f"`extends` file {path} does not exist"))
        doc = load_yaml_file(path, _display(path, display_root), merge_keys=True)
        _check_top(doc)
        doc.data = interp.document(doc)
        cache[path] = doc
    return cache[path]


def _external_service(doc: YamlDocument, name: str, where: Position) -> Any:
    services = doc.data.get("services")
    if not isinstance(services, dict) or name not in services:
        raise InputError(Diagnostic(where, f'`extends`: no service "{name}" in {doc.file}'))
    base = services[name]
    if isinstance(base, dict) and "extends" in base:
        raise InputError(
            Diagnostic(
                where,
                "`extends` of a service that itself extends another file",
                "ghtotekton follows one level of `extends` across files",
            )
        )
    return base
