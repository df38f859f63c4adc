"""Run one Tekton Pod on this machine, for ``tekton-oracle run --kubelet``.

The oracle drives Tekton's real reconcilers; for each TaskRun they create, it hands this program
the Pod exactly as Tekton built it (JSON on stdin) and reads back what happened to each step
(JSON on stdout). This program plays the kubelet and Tekton's entrypoint on the host:

- every volume is a host folder: emptyDirs per Pod, a PersistentVolumeClaim per claim name (so the
  workspace persists from TaskRun to TaskRun, as a PVC does), Secrets written from ``--secrets``;
- each container sees its mounts under a folder of its own: every absolute path that starts with
  a mount path (in the scripts, args, env values and working dir) is rewritten to that folder,
  where the mount path is a symbolic link to the volume (nested mounts nest as links);
- init containers are Tekton's own (``prepare``, ``place-scripts``, ``working-dir-initializer``)
  and do what they do in a cluster: step folders, the decoded scripts, the working dirs;
- env is what the container declares, in its order, with ``$(VAR)`` expanded from earlier entries
  as Kubernetes does; a Secret key that is missing and not ``optional`` stops the Pod
  (CreateContainerConfigError) before any step;
- steps run in order through the entrypoint's rules: a failing step skips the rest unless its
  ``onError`` is ``continue``; exit-code files and results are written where the entrypoint
  writes them, and every step reports the results present when it ended.

Images are not pulled: the host's tools stand in for every image (``--path`` puts a Python
environment with papermill, nbconvert and pytest first). Sidecars and user init containers are
refused, not ignored, so a test cannot pass on a Pod this runner does not really run.

What it cannot show: containers here share the host's filesystem outside the volumes. On Tekton
each step is a fresh container of its image, so a package one step installs into the image's
own folders (``pip install`` as root) is gone in the next step; here it would still be there.
Tests that rely on this runner install nothing outside the volumes.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

TEKTON_INIT = {"prepare", "place-scripts", "working-dir-initializer"}
HOST_PATHS = ("/dev", "/proc", "/sys")  # mounts at these stay the host's own
SCRIPT = re.compile(
    r'scriptfile="(?P<file>[^"]+)"\n.*?<< \'_EOF_\'\n(?P<body>.*?)\n_EOF_\n'
    r'(?P<decode>/tekton/bin/entrypoint decode-script "\$\{scriptfile\}"\n)?',
    re.S,
)
K8S_VAR = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


class ConfigError(Exception):
    """A container cannot be created: the kubelet's CreateContainerConfigError."""


def expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes' expansion of ``$(VAR)`` from earlier env entries; ``$$`` is a ``$``."""

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env[name] if name in env else m.group(0)

    return K8S_VAR.sub(one, value)


class Container:
    """One container's view of the Pod's volumes: a folder whose mount paths link to them."""

    def __init__(self, root: Path, mounts: dict[str, Path]) -> None:
        self.root = root
        self.mounts = mounts
        for path in sorted(mounts, key=len):
            link = root / path.lstrip("/")
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.is_symlink():
                if link.resolve() == mounts[path].resolve():
                    continue
                link.unlink()  # a nested mount point another container mounts differently
            elif link.is_dir():
                if any(link.iterdir()):
                    raise SystemExit(f"host kubelet: mount point {path} already holds files")
                link.rmdir()  # an init container made it (a working dir); the mount hides it
            link.symlink_to(mounts[path], target_is_directory=True)
        paths = sorted(mounts, key=len, reverse=True)
        self._paths = (
            re.compile(
                r"(?<![\w./-])(" + "|".join(re.escape(p) for p in paths) + r")(?=$|[^\w.-])",
                re.M,
            )
            if paths
            else None
        )

    def host(self, text: str) -> str:
        """``text`` with every path under a mount rewritten to this container's folder."""
        if self._paths is None:
            return text
        return self._paths.sub(lambda m: str(self.root) + m.group(1), text)


class PodRunner:
    def __init__(
        self, request: dict[str, Any], root: Path, secrets: dict[str, dict[str, str]], path: str
    ) -> None:
        self.request = request
        self.pod = request["pod"]
        self.root = root
        self.secrets = secrets
        self.path = path
        self.pod_dir = root / "pods" / self.pod["name"]
        self.volumes = {v["name"]: self._volume(v) for v in self.pod["volumes"]}
        self.logs = root / "logs" / request["taskRun"]
        self.logs.mkdir(parents=True, exist_ok=True)

    def _volume(self, volume: dict[str, Any]) -> Path:
        name = volume["name"]
        if "emptyDir" in volume:
            target = self.pod_dir / "volumes" / name
        elif "persistentVolumeClaim" in volume:
            target = self.root / "claims" / volume["persistentVolumeClaim"]["claimName"]
        elif "secret" in volume:
            secret = volume["secret"]
            target = self.pod_dir / "volumes" / name
            target.mkdir(parents=True, exist_ok=True)
            data = self.secrets.get(secret["secretName"])
            if data is None and not secret.get("optional"):
                raise ConfigError(f'secret "{secret["secretName"]}" not found')
            for key, value in (data or {}).items():
                (target / key).write_text(value)
        elif "downwardAPI" in volume:
            target = self.pod_dir / "volumes" / name
            target.mkdir(parents=True, exist_ok=True)
            for item in volume["downwardAPI"].get("items", []):
                # Tekton's only use: the ready annotation the entrypoint waits for.
                (target / item["path"]).write_text("READY")
        else:
            raise SystemExit(f"host kubelet: volume {name} of a kind it cannot provide: {volume}")
        target.mkdir(parents=True, exist_ok=True)
        return target

    def container(self, spec: dict[str, Any]) -> Container:
        mounts: dict[str, Path] = {}
        for m in spec.get("volumeMounts") or []:
            if m["mountPath"].startswith(HOST_PATHS):
                continue
            target = self.volumes[m["name"]]
            if m.get("subPath"):
                target = target / m["subPath"]
                target.mkdir(parents=True, exist_ok=True)
            mounts[m["mountPath"]] = target
        return Container(self.pod_dir / "fs" / spec["name"], mounts)

    def env(self, spec: dict[str, Any], view: Container) -> dict[str, str]:
        env: dict[str, str] = {}
        for e in spec.get("env") or []:
            if "valueFrom" in e:
                ref = e["valueFrom"].get("secretKeyRef")
                if ref is None:
                    field = e["valueFrom"].get("fieldRef", {}).get("fieldPath")
                    env[e["name"]] = {
                        "metadata.name": self.pod["name"],
                        "metadata.namespace": "default",
                    }.get(field, "")
                    continue
                value = self.secrets.get(ref["name"], {}).get(ref["key"])
                if value is None:
                    if ref.get("optional"):
                        continue
                    raise ConfigError(
                        f"couldn't find key {ref['key']} in Secret default/{ref['name']}"
                    )
                env[e["name"]] = value
            else:
                env[e["name"]] = view.host(expand(e.get("value", ""), env))
        base = {"PATH": self.path, "HOSTNAME": self.pod["name"], "LANG": "C.UTF-8"}
        for name in ("JUPYTER_PATH", "TMPDIR"):
            if name in os.environ:
                base[name] = os.environ[name]
        return {**base, **env}

    def init(self) -> None:
        for spec in self.pod["initContainers"]:
            if spec["name"] not in TEKTON_INIT:
                raise SystemExit(f"host kubelet: init container {spec['name']} is not Tekton's own")
            view = self.container(spec)
            args = spec.get("args") or []
            argv = [*(spec.get("command") or []), *args]
            if spec["name"] == "prepare":
                # entrypoint init SRC DST STEP...: /tekton/steps/NAME and /tekton/steps/N link to
                # /tekton/run/N/status (cmd/entrypoint/subcommands/step_init.go).
                steps = argv[argv.index("init") + 3 :] if "init" in argv else []
                for i, step in enumerate(steps):
                    # Every container mounts volume tekton-internal-run-N at /tekton/run/N.
                    status = self.volumes[f"tekton-internal-run-{i}"] / "status"
                    status.mkdir(parents=True, exist_ok=True)
                    for link in (step, str(i)):
                        at = Path(view.host(f"/tekton/steps/{link}"))
                        if not at.is_symlink():
                            at.symlink_to(status)
            elif spec["name"] == "place-scripts":
                for m in SCRIPT.finditer(args[-1]):
                    body = m.group("body")
                    text = base64.b64decode(body).decode() if m.group("decode") else body
                    # As written: each step's own mounts are applied when it runs (_argv).
                    target = Path(view.host(m.group("file")))
                    target.write_text(text)
                    target.chmod(0o755)
            else:  # working-dir-initializer: make every step's working dir
                for folder in args:
                    Path(view.host(folder)).mkdir(parents=True, exist_ok=True)

    def run(self) -> dict[str, Any]:
        by_container = {c["name"]: c for c in self.pod["containers"]}
        steps = self.request["steps"]
        extra = set(by_container) - {s["container"] for s in steps}
        if extra:
            raise SystemExit(f"host kubelet: sidecars {sorted(extra)} cannot run on the host")
        try:
            self.init()
            envs = [
                self.env(by_container[s["container"]], self.container(by_container[s["container"]]))
                for s in steps
            ]
        except ConfigError as exc:
            return {"configError": str(exc), "steps": []}
        replies = []
        record = []
        for step, env in zip(steps, envs, strict=True):
            spec = by_container[step["container"]]
            view = self.container(spec)
            argv, metadata = self._argv(spec, view)
            workdir = Path(view.host(spec.get("workingDir") or "/"))
            workdir.mkdir(parents=True, exist_ok=True)
            log = self.logs / f"{step['name']}.log"
            with log.open("w") as out:
                proc = subprocess.run(
                    argv,
                    cwd=workdir,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    timeout=900,
                    check=False,
                )
            code = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
            status = Path(view.host(metadata))
            status.mkdir(parents=True, exist_ok=True)
            if code == 0 or step["onError"] == "continue":
                (status / "exitCode").write_text(str(code))
            replies.append(
                {
                    "exitCode": code,
                    "taskResults": _read(Path(view.host("/tekton/results"))),
                    "stepResults": _read(status / "results"),
                }
            )
            record.append(
                {
                    "step": step["name"],
                    "exitCode": code,
                    "log": str(log),
                    "gpu": (spec.get("resources") or {}).get("limits", {}).get("nvidia.com/gpu"),
                    "script": _script(argv),
                }
            )
            sys.stderr.write(
                f"host kubelet: {self.request['taskRun']} {step['name']} exit {code}\n"
            )
            if code != 0 and step["onError"] != "continue":
                break
        (self.logs / "record.json").write_text(
            json.dumps({"pipelineTask": self.request["pipelineTask"], "steps": record}, indent=1)
        )
        return {"configError": "", "steps": replies}

    def _argv(self, spec: dict[str, Any], view: Container) -> tuple[list[str], str]:
        """The command the entrypoint runs (its ``-entrypoint`` and what follows ``--``), and
        the step's metadata folder (``-step_metadata_dir``)."""
        args = list(spec.get("args") or [])
        if spec.get("command") != ["/tekton/bin/entrypoint"] or "--" not in args:
            raise SystemExit(
                f"host kubelet: {spec['name']} does not run through Tekton's entrypoint"
            )
        cut = args.index("--")
        flags, rest = args[:cut], args[cut + 1 :]
        if "-entrypoint" not in flags or "-step_metadata_dir" not in flags:
            raise SystemExit(f"host kubelet: {spec['name']} relies on its image's entrypoint")
        entry = Path(view.host(flags[flags.index("-entrypoint") + 1]))
        if entry.is_file() and "/tekton/scripts" in view.mounts:
            # A script: this container's mount paths rewritten, as its own copy.
            local = view.root / ".scripts" / entry.name
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_text(view.host(entry.read_text()))
            local.chmod(0o755)
            entry = local
        return [str(entry), *(view.host(a) for a in rest)], flags[
            flags.index("-step_metadata_dir") + 1
        ]


def _read(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {p.name: p.read_text() for p in sorted(folder.iterdir()) if p.is_file()}


def _script(argv: list[str]) -> str:
    first = Path(argv[0])
    try:
        return first.read_text() if first.is_file() else " ".join(argv)
    except UnicodeDecodeError:
        return " ".join(argv)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="folder for volumes and logs")
    parser.add_argument("--secrets", type=Path, help="JSON: {secret name: {key: value}}")
    parser.add_argument("--path", default=os.environ.get("PATH", ""), help="PATH of every step")
    args = parser.parse_args()
    secrets = json.loads(args.secrets.read_text()) if args.secrets else {}
    request = json.load(sys.stdin)
    reply = PodRunner(request, args.root.resolve(), secrets, args.path).run()
    json.dump(reply, sys.stdout)


if __name__ == "__main__":
    main()
