"""Pydantic models of the docker-compose spec subset a CI converter needs.

Compose accepts many spellings of one thing (``environment`` as a list or a map, volumes as
``src:dst:ro`` or a mapping, ``shm_size`` as ``"2gb"`` or a number). The models normalise each to
one shape while validating, so the converter never re-parses strings; the same normalisers serve
:mod:`ghtotekton.compose.merge`, which must compare entries of different spellings.

Compose itself is lenient about keys it does not know (and has many we do not model), so models
allow extra keys: the loader reports the ones that are not compose keys at all as warnings, and
quietly keeps the compose keys we do not model (``KNOWN``) for anyone who needs them.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, field_validator

from ghtotekton.errors import Position

PathKey = tuple[str | int, ...]
GpuRequest = int | Literal["all"] | None
"""How many GPUs a service asks for: a count, every GPU of the node, or none."""

# --- scalar normalisers -------------------------------------------------------------------------


def scalar_text(value: Any) -> str:
    """A YAML scalar as compose turns it into text (``true``, ``1``, ``1.5``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _to_str(value: Any) -> Any:
    """Numbers where compose wants text (``user: 1000``, ``image: 5``) are text to compose."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return scalar_text(value)
    return value


def _str_list(value: Any) -> Any:
    """Compose accepts one string wherever it accepts a list of strings."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [scalar_text(value)]
    if isinstance(value, list):
        return [_to_str(v) for v in value]
    return value


Str = Annotated[str, BeforeValidator(_to_str)]
StrList = Annotated[list[str], BeforeValidator(_str_list)]

_DURATION_PART = re.compile(r"([0-9]*\.?[0-9]+)(ns|us|µs|μs|ms|s|m|h)")
_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def parse_duration(text: str | int | float) -> float:
    """Seconds in a compose duration (Go syntax: ``1m30s``, ``500ms``, ``1.5h``).

    A bare number is read as seconds: compose's schema allows only strings, but a number is what a
    person means when they write ``interval: 10``.
    """
    if isinstance(text, bool):
        raise ValueError("expected a duration such as 10s or 1m30s, got a boolean")
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError("a duration cannot be negative")
        return float(text)
    raw = text.strip()
    if raw in ("0", "+0", "-0"):
        return 0.0
    body = raw[1:] if raw[:1] in "+-" else raw
    total = 0.0
    pos = 0
    for match in _DURATION_PART.finditer(body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if not body or pos != len(body):
        raise ValueError(f'"{text}" is not a duration (write it like 10s, 1m30s or 500ms)')
    if raw.startswith("-") and total:
        raise ValueError("a duration cannot be negative")
    return total


_BYTES = re.compile(r"^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$", re.IGNORECASE)
_BYTE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


def parse_bytes(value: str | int | float) -> int:
    """Bytes in a compose size (``2gb``, ``512m``, ``1.5g``, ``1024``).

    Docker reads these units as powers of 1024 whatever the spelling (``gb`` and ``gib`` alike).
    """
    if isinstance(value, bool):
        raise ValueError("expected a size such as 512m or 2gb, got a boolean")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a size cannot be negative")
        return int(value)
    match = _BYTES.match(value.strip())
    if match is None:
        raise ValueError(f'"{value}" is not a size (write it like 512m, 2gb or 1073741824)')
    return int(float(match.group(1)) * _BYTE_UNITS[(match.group(2) or "").lower()])


def _duration_value(value: Any) -> Any:
    return None if value is None else parse_duration(value)


def _bytes_value(value: Any) -> Any:
    return None if value is None else parse_bytes(value)


def _cpus_value(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise ValueError(
                f'"{value}" is not a number of CPUs (write it like 0.5 or 2)'
            ) from None
    return value


Duration = Annotated[float | None, BeforeValidator(_duration_value)]
"""Seconds."""
ByteSize = Annotated[int | None, BeforeValidator(_bytes_value)]
"""Bytes."""
Cpus = Annotated[float | None, BeforeValidator(_cpus_value)]


def key_value_dict(value: Any, what: str, *, empty: str | None = None) -> dict[str, str | None]:
    """``[K=V, K]`` or ``{K: V}`` as one mapping; a bare ``K`` maps to ``empty``.

    For ``environment`` a bare key means "take it from the shell" (``None``); for labels it
    means the empty string.
    """
    if value is None:
        return {}
    out: dict[str, str | None] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list):
                raise ValueError(f"{what} values must be strings, numbers or booleans ({key})")
            out[str(key)] = empty if item is None else scalar_text(item)
        return out
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list) or item is None:
                raise ValueError(f"{what} list entries must be strings like KEY=value")
            text = scalar_text(item)
            key, sep, rest = text.partition("=")
            out[key] = rest if sep else empty
        return out
    raise ValueError(f"{what} must be a list of KEY=value strings or a mapping")


def _environment(value: Any) -> Any:
    return key_value_dict(value, "environment")


def _labels(value: Any) -> Any:
    return key_value_dict(value, "labels", empty="")


Environment = Annotated[dict[str, str | None], BeforeValidator(_environment)]
"""Variables of a service; ``None`` means "the value of that variable in the shell", if any."""
Labels = Annotated[dict[str, str | None], BeforeValidator(_labels)]


# --- base ---------------------------------------------------------------------------------------


class ComposeModel(BaseModel):
    """Base: extra keys are kept (compose is lenient); ``KNOWN`` lists the unmodelled ones."""

    model_config = ConfigDict(extra="allow", populate_by_name=False)

    KNOWN: ClassVar[frozenset[str]] = frozenset()
    """Compose keys we accept but do not model: never reported as unknown."""

    def unknown_keys(self, path: PathKey = ()) -> Iterator[tuple[PathKey, str, type[ComposeModel]]]:
        """(path of the mapping, key, model) of every key that is neither modelled nor compose's.

        ``x-`` keys are compose's extension fields and allowed anywhere.
        """
        for key in self.model_extra or {}:
            if key not in self.KNOWN and not key.startswith("x-"):
                yield path, key, type(self)
        for name, field in type(self).model_fields.items():
            yield from _unknown_in(getattr(self, name), (*path, field.alias or name))

    @classmethod
    def known_keys(cls) -> list[str]:
        """Every key this mapping takes, modelled or not (for "did you mean")."""
        return sorted({f.alias or n for n, f in cls.model_fields.items()} | cls.KNOWN)


def _unknown_in(value: Any, path: PathKey) -> Iterator[tuple[PathKey, str, type[ComposeModel]]]:
    if isinstance(value, ComposeModel):
        yield from value.unknown_keys(path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _unknown_in(item, (*path, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unknown_in(item, (*path, key))


# --- build, healthcheck, dependencies -----------------------------------------------------------


class Build(ComposeModel):
    """``build:``; a plain string is the context."""

    KNOWN = frozenset(
        {"ssh", "cache_from", "cache_to", "additional_contexts", "entitlements", "extra_hosts",
         "isolation", "privileged", "labels", "no_cache", "pull", "network", "shm_size",
         "secrets", "tags", "ulimits", "platforms", "provenance", "sbom"}
    )  # fmt: skip

    context: Str = "."
    dockerfile: Str | None = None
    dockerfile_inline: Str | None = None
    args: Environment = Field(default_factory=dict)
    target: Str | None = None


def _build(value: Any) -> Any:
    return {"context": _to_str(value)} if isinstance(value, str | int | float) else value


class Healthcheck(ComposeModel):
    """``healthcheck:``; ``test`` as a string means ``CMD-SHELL`` (run by the image's shell)."""

    test: list[Str] | None = None
    interval: Duration = None
    timeout: Duration = None
    start_period: Duration = None
    start_interval: Duration = None
    retries: int | None = None
    disable: bool = False

    @field_validator("test", mode="before")
    @classmethod
    def _test(cls, value: Any) -> Any:
        if isinstance(value, str):
            return ["CMD-SHELL", value]
        return value

    @property
    def disabled(self) -> bool:
        return self.disable or (
            bool(self.test) and self.test is not None and self.test[0] == "NONE"
        )

    def probe(self) -> tuple[Literal["exec", "shell"], list[str]] | None:
        """What the check runs: ``("exec", argv)`` or ``("shell", [script])``; None if no test."""
        if self.disabled or not self.test:
            return None
        kind, rest = self.test[0], self.test[1:]
        if kind == "CMD-SHELL":
            return "shell", [" ".join(rest)]
        if kind == "CMD":
            return "exec", rest
        return "exec", list(self.test)  # compose requires CMD/CMD-SHELL/NONE; keep it verbatim


class DependsOn(ComposeModel):
    condition: Literal["service_started", "service_healthy", "service_completed_successfully"] = (
        "service_started"
    )
    restart: bool = False
    required: bool = True


def _depends_on(value: Any) -> Any:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise ValueError("depends_on list entries must be service names")
        return {v: {} for v in value}
    if isinstance(value, dict):
        return {k: ({} if v is None else v) for k, v in value.items()}
    return value


class EnvFile(ComposeModel):
    path: Str
    required: bool = True
    format: Str | None = None


def _env_files(value: Any) -> Any:
    if isinstance(value, str):
        return [{"path": value}]
    if isinstance(value, list):
        return [{"path": v} if isinstance(v, str) else v for v in value]
    return value


# --- volumes, ports, devices --------------------------------------------------------------------

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def _is_host_path(source: str) -> bool:
    """Compose's test: a source that looks like a path is a bind mount, anything else a volume."""
    return source.startswith((".", "/", "~", "\\\\")) or bool(_WINDOWS_DRIVE.match(source))


def parse_volume(value: Any) -> Any:
    """``[source:]target[:mode]`` as the long syntax mapping; mappings pass through."""
    if not isinstance(value, str):
        return value
    text = value
    drive = ""
    if _WINDOWS_DRIVE.match(text):
        drive, text = text[:2], text[2:]
    parts = text.split(":")
    parts[0] = drive + parts[0]
    if len(parts) > 3 or any(p == "" for p in parts):
        raise ValueError(f'"{value}" is not a volume (write it as [source:]target[:ro])')
    if len(parts) == 1:
        return {"type": "volume", "target": parts[0]}
    out: dict[str, Any] = {
        "type": "bind" if _is_host_path(parts[0]) else "volume",
        "source": parts[0],
        "target": parts[1],
    }
    if len(parts) == 3:
        out["mode"] = parts[2]
        out["read_only"] = "ro" in parts[2].split(",")
    return out


class TmpfsOptions(ComposeModel):
    size: ByteSize = None
    mode: int | None = None


class VolumeMount(ComposeModel):
    """One entry of a service's ``volumes:``, whichever syntax it was written in."""

    KNOWN = frozenset({"consistency"})

    type: Literal["bind", "volume", "tmpfs", "npipe", "cluster", "image"] = "volume"
    source: Str | None = None
    target: Str
    read_only: bool = False
    mode: Str | None = None
    """Access flags of the short syntax (``ro``, ``rw,z``), kept for what is not ``read_only``."""
    bind: dict[str, Any] | None = None
    volume: dict[str, Any] | None = None
    tmpfs: TmpfsOptions | None = None
    image: dict[str, Any] | None = None

    @property
    def named_volume(self) -> str | None:
        """The top-level volume this mounts, if it is a named one."""
        return self.source if self.type == "volume" and self.source else None


def parse_port(value: Any) -> Any:
    """``[[ip:]published:]target[/protocol]`` (or a number) as the long syntax mapping."""
    if isinstance(value, int) and not isinstance(value, bool):
        return {"target": str(value)}
    if not isinstance(value, str):
        return value
    text, _, protocol = value.partition("/")
    host_ip: str | None = None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(f'"{value}" is not a port (an IPv6 address needs a closing "]")')
        host_ip, text = text[1:end], text[end + 1 :].removeprefix(":")
    parts = text.split(":")
    if host_ip is None and len(parts) >= 3:
        host_ip, parts = ":".join(parts[:-2]), parts[-2:]
    if len(parts) > 2 or not parts[-1]:
        raise ValueError(f'"{value}" is not a port (write it as [ip:][published:]target)')
    out: dict[str, Any] = {"target": parts[-1]}
    if len(parts) == 2 and parts[0]:
        out["published"] = parts[0]
    if host_ip:
        out["host_ip"] = host_ip
    if protocol:
        out["protocol"] = protocol
    return out


class PortMapping(ComposeModel):
    """Targets and published ports stay text: both may be ranges (``3000-3005``)."""

    target: Str
    published: Str | None = None
    host_ip: Str | None = None
    protocol: Str = "tcp"
    mode: Str | None = None
    name: Str | None = None
    app_protocol: Str | None = None

    def key(self) -> tuple[str | None, str, str | None, str]:
        """Compose's identity of a port when files are merged."""
        return (self.host_ip, self.target, self.published, self.protocol)


def parse_device(value: Any) -> Any:
    """``source[:target[:permissions]]`` as a mapping; CDI names (``vendor/class=x``) stay whole."""
    if not isinstance(value, str):
        return value
    if "=" in value and not value.startswith("/"):
        return {"source": value}
    parts = value.split(":")
    out: dict[str, Any] = {"source": parts[0], "target": parts[1] if len(parts) > 1 else parts[0]}
    if len(parts) > 2:
        out["permissions"] = parts[2]
    return out


class DeviceMapping(ComposeModel):
    source: Str
    target: Str | None = None
    permissions: Str | None = None

    def cdi_gpus(self) -> GpuRequest:
        """The GPUs a CDI device name such as ``nvidia.com/gpu=all`` asks for."""
        kind, sep, which = self.source.partition("=")
        if not sep or not kind.endswith("/gpu"):
            return None
        return "all" if which == "all" else len([w for w in which.split(",") if w])


# --- deploy -------------------------------------------------------------------------------------


def _count(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() == "all":
        return "all"
    if value == -1 or value == "-1":
        return "all"  # Docker's own spelling of "every device"
    return value


class DeviceRequest(ComposeModel):
    """A device reservation (``deploy.resources.reservations.devices[]`` or ``gpus[]``)."""

    driver: Str | None = None
    count: Annotated[int | Literal["all"] | None, BeforeValidator(_count)] = None
    device_ids: StrList | None = None
    capabilities: StrList = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_gpu(self) -> bool:
        return "gpu" in self.capabilities or self.driver == "nvidia"

    def amount(self) -> int | Literal["all"]:
        """How many devices: ids counted, else ``count``; neither means all, as in Docker."""
        if self.device_ids:
            return len(self.device_ids)
        return "all" if self.count is None else self.count


class ResourceSpec(ComposeModel):
    KNOWN = frozenset({"generic_resources"})

    cpus: Cpus = None
    memory: ByteSize = None
    pids: int | None = None
    devices: list[DeviceRequest] = Field(default_factory=list)


class Resources(ComposeModel):
    limits: ResourceSpec | None = None
    reservations: ResourceSpec | None = None


class Deploy(ComposeModel):
    KNOWN = frozenset(
        {"mode", "labels", "placement", "update_config", "rollback_config", "restart_policy",
         "endpoint_mode"}
    )  # fmt: skip

    resources: Resources | None = None
    replicas: int | None = None


class ServiceNetwork(ComposeModel):
    KNOWN = frozenset(
        {"link_local_ips", "mac_address", "driver_opts", "gw_priority", "interface_name"}
    )

    aliases: StrList = Field(default_factory=list)
    ipv4_address: Str | None = None
    ipv6_address: Str | None = None
    priority: int | None = None


def _service_networks(value: Any) -> Any:
    if isinstance(value, list):
        return {_to_str(v): {} for v in value}
    if isinstance(value, dict):
        return {k: ({} if v is None else v) for k, v in value.items()}
    return value


def _list_of(parse: Any) -> Any:
    def inner(value: Any) -> Any:
        return [parse(v) for v in value] if isinstance(value, list) else value

    return inner


def _argv(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return scalar_text(value)
    if isinstance(value, list):
        return [_to_str(v) for v in value]
    return value


Argv = Annotated[str | list[str] | None, BeforeValidator(_argv)]


def split_command(value: str | list[str] | None) -> list[str] | None:
    """A command as argv: compose splits a string with shell word rules, but runs no shell."""
    if value is None or isinstance(value, list):
        return value
    try:
        return shlex.split(value)
    except ValueError:
        return value.split()


def _gpus(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() == "all":
        return "all"
    return value


# --- service ------------------------------------------------------------------------------------


class Service(ComposeModel):
    """One service; fields are normalised (see the module docstring)."""

    KNOWN = frozenset(
        {"annotations", "attach", "blkio_config", "cgroup", "cgroup_parent", "configs",
         "cpu_count", "cpu_percent", "cpu_shares", "cpu_quota", "cpu_period", "cpu_rt_period",
         "cpu_rt_runtime", "cpuset", "credential_spec", "develop", "device_cgroup_rules",
         "dns_opt", "dns_search", "domainname", "driver_opts", "external_links", "extra_hosts",
         "group_add", "isolation", "label_file", "links", "logging", "mac_address",
         "mem_reservation", "mem_swappiness", "memswap_limit", "models", "oom_kill_disable",
         "oom_score_adj", "pid", "pids_limit", "post_start", "pre_stop", "provider", "read_only",
         "scale", "secrets", "security_opt", "stop_signal", "storage_opt", "sysctls", "ulimits",
         "use_api_socket", "userns_mode", "uts", "volumes_from", "extends", "expose"}
    )  # fmt: skip

    image: Str | None = None
    build: Annotated[Build | None, BeforeValidator(_build)] = None
    command: Argv = None
    entrypoint: Argv = None
    environment: Environment = Field(default_factory=dict)
    env_file: Annotated[list[EnvFile], BeforeValidator(_env_files)] = Field(default_factory=list)
    volumes: Annotated[list[VolumeMount], BeforeValidator(_list_of(parse_volume))] = Field(
        default_factory=list
    )
    working_dir: Str | None = None
    user: Str | None = None
    depends_on: Annotated[dict[str, DependsOn], BeforeValidator(_depends_on)] = Field(
        default_factory=dict
    )
    healthcheck: Healthcheck | None = None
    profiles: StrList = Field(default_factory=list)
    shm_size: ByteSize = None
    """Bytes."""
    ipc: Str | None = None
    runtime: Str | None = None
    gpus: Annotated[Literal["all"] | list[DeviceRequest] | None, BeforeValidator(_gpus)] = None
    ports: Annotated[list[PortMapping], BeforeValidator(_list_of(parse_port))] = Field(
        default_factory=list
    )
    networks: Annotated[dict[str, ServiceNetwork], BeforeValidator(_service_networks)] = Field(
        default_factory=dict
    )
    network_mode: Str | None = None
    restart: Str | None = None
    privileged: bool = False
    cap_add: StrList = Field(default_factory=list)
    cap_drop: StrList = Field(default_factory=list)
    devices: Annotated[list[DeviceMapping], BeforeValidator(_list_of(parse_device))] = Field(
        default_factory=list
    )
    deploy: Deploy | None = None
    labels: Labels = Field(default_factory=dict)
    dns: StrList = Field(default_factory=list)
    tmpfs: StrList = Field(default_factory=list)
    container_name: Str | None = None
    hostname: Str | None = None
    platform: Str | None = None
    pull_policy: Str | None = None
    init: bool | None = None
    tty: bool = False
    stdin_open: bool = False
    stop_grace_period: Duration = None
    mem_limit: ByteSize = None
    cpus: Cpus = None

    _name: str = PrivateAttr("")
    _pos: Position | None = PrivateAttr(None)

    @property
    def name(self) -> str:
        return self._name

    @property
    def pos(self) -> Position | None:
        """Where the service is defined (its key in the first file that defines it)."""
        return self._pos

    def stamp(self, name: str, pos: Position | None) -> None:
        self._name, self._pos = name, pos

    def command_argv(self) -> list[str] | None:
        return split_command(self.command)

    def entrypoint_argv(self) -> list[str] | None:
        return split_command(self.entrypoint)

    def resolved_environment(self, shell: Mapping[str, str]) -> dict[str, str]:
        """The container's variables: bare names take the shell's value, or are left out."""
        out: dict[str, str] = {}
        for key, value in self.environment.items():
            if value is not None:
                out[key] = value
            elif key in shell:
                out[key] = shell[key]
        return out

    def enabled(self, active_profiles: set[str] | frozenset[str] = frozenset()) -> bool:
        """Whether compose starts the service by default under these ``--profile`` values."""
        return not self.profiles or bool(set(self.profiles) & set(active_profiles))

    def gpu_request(self) -> GpuRequest:
        """The GPUs the service asks for, in whichever of compose's ways it asks.

        Sources: GPU device reservations under ``deploy``, ``gpus:``, CDI ``devices`` and the
        older ``runtime: nvidia`` (whose GPUs come from ``NVIDIA_VISIBLE_DEVICES``; when that is
        unset the runtime exposes every GPU, which is what such files rely on).
        """
        requests: list[int | Literal["all"]] = []
        resources = self.deploy.resources if self.deploy else None
        reservations = resources.reservations if resources else None
        if reservations is not None:
            requests += [d.amount() for d in reservations.devices if d.is_gpu]
        if self.gpus == "all":
            requests.append("all")
        elif self.gpus:
            requests += [d.amount() for d in self.gpus]
        requests += [n for d in self.devices if (n := d.cdi_gpus()) is not None]
        if not requests and self.runtime == "nvidia":
            visible = (self.environment.get("NVIDIA_VISIBLE_DEVICES") or "all").strip()
            if visible in ("none", "void", ""):
                return None
            if visible == "all":
                return "all"
            return len([v for v in visible.split(",") if v.strip()])
        if not requests:
            return None
        if "all" in requests:
            return "all"
        total = sum(r for r in requests if isinstance(r, int))
        return total or None


# --- top level ----------------------------------------------------------------------------------


class TopVolume(ComposeModel):
    driver: Str | None = None
    driver_opts: dict[str, Any] = Field(default_factory=dict)
    external: bool | dict[str, Any] = False
    labels: Labels = Field(default_factory=dict)
    name: Str | None = None


class TopNetwork(ComposeModel):
    driver: Str | None = None
    driver_opts: dict[str, Any] = Field(default_factory=dict)
    attachable: bool = False
    enable_ipv6: bool | None = None
    external: bool | dict[str, Any] = False
    internal: bool = False
    ipam: dict[str, Any] | None = None
    labels: Labels = Field(default_factory=dict)
    name: Str | None = None


class TopResource(ComposeModel):
    """A top-level secret or config: from a file, the environment or inline content."""

    file: Str | None = None
    environment: Str | None = None
    content: Str | None = None
    external: bool | dict[str, Any] = False
    name: Str | None = None
    labels: Labels = Field(default_factory=dict)
    driver: Str | None = None
    driver_opts: dict[str, Any] = Field(default_factory=dict)
    template_driver: Str | None = None


def _nullable_values(value: Any) -> Any:
    """``volumes: {data: }``: an empty entry means "all defaults"."""
    if isinstance(value, dict):
        return {k: ({} if v is None else v) for k, v in value.items()}
    return {} if value is None else value


class ComposeFile(ComposeModel):
    """A compose file, or several merged into one model."""

    KNOWN = frozenset({"version", "include", "models"})

    name: Str | None = None
    services: Annotated[dict[str, Service], BeforeValidator(_nullable_values)] = Field(
        default_factory=dict
    )
    volumes: Annotated[dict[str, TopVolume], BeforeValidator(_nullable_values)] = Field(
        default_factory=dict
    )
    networks: Annotated[dict[str, TopNetwork], BeforeValidator(_nullable_values)] = Field(
        default_factory=dict
    )
    secrets: Annotated[dict[str, TopResource], BeforeValidator(_nullable_values)] = Field(
        default_factory=dict
    )
    configs: Annotated[dict[str, TopResource], BeforeValidator(_nullable_values)] = Field(
        default_factory=dict
    )
