"""Hypothesis strategies for requests to every route the engine serves, valid or hostile.

Paths, query parameters and bodies mix what clients really send (existing names, the
create-body fields, Docker's filters) with what they should not: huge and negative
numbers, infinities, deep JSON, NUL bytes, unknown keys, garbage bodies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from tuibox.engine.services.containers.rules.fields import HONOURED, NOT_YET
from tuibox.engine.services.containers.rules.limits import UPDATABLE


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP request: method, path, query, and a body (raw bytes or JSON)."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    json_body: Any = None

    def __str__(self) -> str:
        shown = repr(self.body[:80]) if self.body is not None else json.dumps(self.json_body)[:200]
        return f"{self.method} {self.path} {self.query} {shown}"


NAMES = st.sampled_from(["busybox", "busybox:latest", "web", "x", "", "..", "%2e%2e",
                         "a" * 300, "sha256:" + "0" * 64, "nope/nope:tag", "UPPER"])  # fmt: skip
NUMBERS = st.sampled_from(["0", "1", "-1", "10", "inf", "-inf", "nan", "1e400", "9" * 400,
                           "1.5", "", " ", "abc", "0x10", "1_000", "\u0663", "\u00b2",
                           str(2**63), "(a+)+b"])  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([10**400, -(10**400), 2**63, 2**31]),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.sampled_from(["\x00", "a\x00b", "-1", "default", "none", "host", "bridge", "json-file"]),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


QUERY_VALUES = st.one_of(
    NUMBERS,
    st.text(max_size=30),
    st.sampled_from(["1", "true", "false", "yes", "all", "not-running", "next-exit", "removed",
                     "KILL", "SIGTERM", "99", "-", "linux/amd64", "windows/amd64", "a/b/c/d",
                     '{"os":"linux","architecture":"amd64"}', '{"os":"linux","architecture":1}',
                     '{"status": ["running"]}', '{"label": {"a=b": true}}', '{"bogus": ["x"]}',
                     '["status"]', "{", '{"name": ["["]}', '{"label": ' + _deep(1_000) + "}"]),
)  # fmt: skip

CREATE_KEYS = sorted({path.rpartition(".")[2] for path in [*HONOURED, *NOT_YET]})


@st.composite
def create_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """Create bodies: a real image and command, plus any create fields with any values."""
    body: dict[str, Any] = {"Image": draw(st.sampled_from(["busybox", "busybox", "nope", ""]))}
    if draw(st.booleans()):
        body["Cmd"] = draw(st.sampled_from([["true"], ["sleep", "5"], ["v"], [""], None]))
    for key in draw(st.lists(st.sampled_from(CREATE_KEYS), max_size=4)):
        body[key] = draw(JSON_VALUES)
    if draw(st.booleans()):
        host_config = {key: draw(JSON_VALUES) for key in draw(
            st.lists(st.sampled_from(CREATE_KEYS), max_size=3))}  # fmt: skip
        body["HostConfig"] = host_config if draw(st.booleans()) else draw(JSON_VALUES)
    return body


BODIES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"", b"{", b"[]", b"null", b'"x"', _deep(5_000).encode(),
                     b'{"Image": "busybox", "Labels": ' + _deep(1_000).encode() + b"}",
                     b'{"a": "\\ud800"}', b"\xff\xfe"]),
)  # fmt: skip

CONTAINER_VERBS = [
    ("GET", "json", ["size"]),
    ("POST", "start", ["detachKeys"]),
    ("POST", "stop", ["t", "signal"]),
    ("POST", "restart", ["t", "signal"]),
    ("POST", "kill", ["signal"]),
    ("POST", "wait", ["condition"]),
    ("GET", "logs", ["stdout", "stderr", "since", "until", "tail", "timestamps", "follow"]),
    ("POST", "attach", ["stdout", "stderr", "stream", "logs"]),
    ("DELETE", "", ["force", "v", "link"]),
    ("GET", "stats", ["stream", "one-shot"]),
    ("GET", "top", ["ps_args"]),
    ("POST", "pause", []),
    ("POST", "unpause", []),
    ("POST", "rename", ["name"]),
    ("GET", "changes", []),
    ("GET", "export", []),
]
UPDATE_KEYS = [*UPDATABLE, "RestartPolicy", "KernelMemory", "CpuRealtimePeriod", "Devices"]
FIXED_ROUTES = [
    ("GET", "/_ping", []),
    ("HEAD", "/_ping", []),
    ("GET", "/version", []),
    ("GET", "/info", []),
    ("GET", "/events", ["since", "until", "filters"]),
    ("GET", "/containers/json", ["all", "limit", "size", "filters"]),
    ("GET", "/images/json", ["all", "filters", "shared-size", "digests"]),
    ("GET", "/images/get", ["names", "platform"]),
    ("POST", "/images/prune", ["filters"]),
    ("GET", "/system/df", ["type"]),
    ("GET", "/volumes", ["filters"]),
    ("POST", "/volumes/prune", ["filters"]),
    ("POST", "/containers/prune", ["filters"]),
    ("GET", "/networks", ["filters"]),
    ("POST", "/networks/prune", ["filters"]),
    ("GET", "/tuibox/v1/registries", []),
    ("DELETE", "/tuibox/v1/auth/127.0.0.1:5000", []),
    ("POST", "/auth", []),
]
KINDS = ["fixed", "container", "image", "create", "pull", "import", "update", "volume", "exec",
         "archive", "commit", "network", "layers", "browse", "load", "distribution",
         "search"]  # fmt: skip
REGISTRY_HOSTS = st.sampled_from(["mirror:5000", "bad host", "a/b", "[zz", ":5000", "%2e%2e"])
REPOSITORIES = st.sampled_from(["library/busybox", "busybox", "busybox:latest", "UPPER", "..",
                                "a" * 300, "x/../y", "library/busybox@sha256:" + "0" * 64])
ARCHIVE_PATHS = st.sampled_from(["/", "/etc", "/etc/.", "/etc/passwd", "/bin/", "/nope", "",
                                 "../../..", "/a\x00b", "a" * 5000, "/proc/self"])  # fmt: skip
EXEC_KEYS = ["Cmd", "Tty", "AttachStdin", "AttachStdout", "Env", "User", "WorkingDir",
             "DetachKeys", "ConsoleSize", "Privileged", "Bogus"]
VOLUME_VERBS = [("GET", []), ("DELETE", ["force"])]
VOLUME_KEYS = ["Name", "Driver", "DriverOpts", "Labels", "ClusterVolumeSpec"]
NETWORK_VERBS = [("GET", ["verbose", "scope"]), ("DELETE", [])]
NETWORK_KEYS = ["Name", "Driver", "Scope", "EnableIPv4", "EnableIPv6", "IPAM", "Internal",
                "Attachable", "Ingress", "ConfigOnly", "ConfigFrom", "Options", "Labels",
                "CheckDuplicate", "Bogus"]  # fmt: skip
IPAM_CONFIGS = st.sampled_from([
    {"Subnet": "10.50.0.0/24"}, {"Subnet": "10.50.0.0/24", "IPRange": "10.50.0.128/25",
                                 "Gateway": "10.50.0.1"},
    {"Subnet": "10.1.2.3/16"}, {"Subnet": "172.17.0.0/16"}, {"Subnet": "fd00::/64"},
    {"Subnet": "x"}, {"Gateway": "10.0.0.1"}, {"Subnet": "10.60.0.0/30",
                                               "AuxiliaryAddresses": {"a": "10.60.0.1"}},
])  # fmt: skip
NETWORK_NAMES = st.sampled_from(["bridge", "host", "none", "web", "x", "", "a" * 300, "a/b"])
CONNECT_KEYS = {"connect": ["Container", "EndpointConfig", "Bogus"],
                "disconnect": ["Container", "Force", "Bogus"]}  # fmt: skip
ENDPOINT_CONFIGS: st.SearchStrategy[Any] = st.sampled_from([
    {}, None, [], {"Aliases": ["a", "a"]}, {"Aliases": "a"}, {"Aliases": [1]},
    {"IPAMConfig": {"IPv4Address": "10.50.0.9"}}, {"IPAMConfig": {"IPv4Address": "fd00::1"}},
    {"IPAMConfig": {"IPv4Address": "x" * 500}}, {"IPAMConfig": {"IPv6Address": "fd00::1"}},
    {"IPAMConfig": []}, {"IPAMConfig": {"Bogus": 1}}, {"MacAddress": "02:00:00:00:00:01"},
    {"Links": ["a:b"]}, {"IPAddress": "10.0.0.1"}, {"Bogus": None}, {"DNSNames": []},
])  # fmt: skip
IMAGE_VERBS = [
    ("GET", "json", []),
    ("GET", "history", ["platform"]),
    ("GET", "get", ["platform"]),
    ("POST", "tag", ["repo", "tag"]),
    ("POST", "push", ["tag"]),
    ("DELETE", "", ["force", "noprune"]),
]


def _query(keys: list[str]) -> st.SearchStrategy[dict[str, str]]:
    known = st.dictionaries(st.sampled_from(keys), QUERY_VALUES, max_size=4) if keys else st.just(
        {})  # fmt: skip
    unknown = st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=1)
    return st.builds(lambda a, b: {**b, **a}, known, unknown)


@st.composite
def api_requests(draw: st.DrawFn) -> ApiRequest:
    """Any request to any route, under an API version prefix or not."""
    prefix = draw(st.sampled_from(["", "", "/v1.44", "/v1.24", "/v1.12", "/v9.99"]))
    kind = draw(st.sampled_from(KINDS))
    if kind == "fixed":
        method, path, keys = draw(st.sampled_from(FIXED_ROUTES))
        query = draw(_query(keys))
        if path == "/events":
            query["until"] = query.get("until") or "1"  # an event stream must end
        return ApiRequest(method, prefix + path, query)
    if kind == "container":
        method, verb, keys = draw(st.sampled_from(CONTAINER_VERBS))
        name = draw(NAMES)
        query = draw(_query(keys))
        query.pop("follow", None)
        query["stream"] = "0"
        path = f"/containers/{name}/{verb}".rstrip("/")
        return ApiRequest(method, prefix + path, query)
    if kind == "exec":
        choice = draw(st.sampled_from(["create", "start", "json", "resize"]))
        if choice == "create":
            body = {key: draw(JSON_VALUES) for key in draw(
                st.lists(st.sampled_from(EXEC_KEYS), max_size=4))}  # fmt: skip
            body.setdefault("Cmd", draw(st.sampled_from([["true"], ["echo", "x"], [], None])))
            return ApiRequest("POST", f"{prefix}/containers/{draw(NAMES)}/exec", {},
                              json_body=body)  # fmt: skip
        exec_id = draw(st.sampled_from(["nope", "0" * 64, ""]))
        if choice == "start":
            return ApiRequest("POST", f"{prefix}/exec/{exec_id}/start", {},
                              json_body={"Detach": True, "Tty": draw(JSON_VALUES)})  # fmt: skip
        if choice == "json":
            return ApiRequest("GET", f"{prefix}/exec/{exec_id}/json", {})
        return ApiRequest("POST", f"{prefix}/exec/{exec_id}/resize", draw(_query(["h", "w"])))
    if kind == "volume":
        if draw(st.booleans()):
            method, keys = draw(st.sampled_from(VOLUME_VERBS))
            return ApiRequest(method, f"{prefix}/volumes/{draw(NAMES)}", draw(_query(keys)))
        body = {key: draw(JSON_VALUES) for key in draw(
            st.lists(st.sampled_from(VOLUME_KEYS), max_size=3))}  # fmt: skip
        return ApiRequest("POST", prefix + "/volumes/create", {}, json_body=body)
    if kind == "network":
        if draw(st.booleans()):
            method, keys = draw(st.sampled_from(NETWORK_VERBS))
            return ApiRequest(method, f"{prefix}/networks/{draw(NETWORK_NAMES)}",
                              draw(_query(keys)))  # fmt: skip
        if draw(st.booleans()):
            verb = draw(st.sampled_from(["connect", "disconnect"]))
            body = {key: draw(JSON_VALUES) for key in draw(
                st.lists(st.sampled_from(CONNECT_KEYS[verb]), max_size=3))}  # fmt: skip
            if draw(st.booleans()):
                body["Container"] = draw(NAMES)
            if verb == "connect" and draw(st.booleans()):
                body["EndpointConfig"] = draw(ENDPOINT_CONFIGS)
            return ApiRequest("POST", f"{prefix}/networks/{draw(NETWORK_NAMES)}/{verb}",
                              draw(_query([])), json_body=body)  # fmt: skip
        body = {key: draw(JSON_VALUES) for key in draw(
            st.lists(st.sampled_from(NETWORK_KEYS), max_size=3))}  # fmt: skip
        body["Name"] = draw(NETWORK_NAMES) if draw(st.booleans()) else body.get("Name")
        if draw(st.booleans()):
            body["IPAM"] = {"Config": draw(st.lists(IPAM_CONFIGS, max_size=2))}
        return ApiRequest("POST", prefix + "/networks/create", {}, json_body=body)
    if kind == "update":
        path = f"/containers/{draw(NAMES)}/update"
        if draw(st.booleans()):
            return ApiRequest("POST", prefix + path, {}, body=draw(BODIES))
        body = {key: draw(JSON_VALUES) for key in draw(
            st.lists(st.sampled_from(UPDATE_KEYS), max_size=4))}  # fmt: skip
        return ApiRequest("POST", prefix + path, {}, json_body=body)
    if kind == "image":
        method, verb, keys = draw(st.sampled_from(IMAGE_VERBS))
        path = f"/images/{draw(NAMES)}/{verb}".rstrip("/")
        return ApiRequest(method, prefix + path, draw(_query(keys)))
    if kind == "create":
        query = draw(_query(["name", "platform"]))
        if draw(st.booleans()):
            return ApiRequest("POST", prefix + "/containers/create", query, body=draw(BODIES))
        return ApiRequest("POST", prefix + "/containers/create", query, json_body=draw(
            create_bodies()))  # fmt: skip
    if kind == "archive":
        method = draw(st.sampled_from(["HEAD", "GET", "PUT"]))
        query = draw(_query(["noOverwriteDirNonDir", "copyUIDGID"] if method == "PUT" else []))
        query["path"] = draw(ARCHIVE_PATHS)
        return ApiRequest(method, f"{prefix}/containers/{draw(NAMES)}/archive", query,
                          body=draw(BODIES) if method == "PUT" else None)  # fmt: skip
    if kind == "commit":
        query = draw(_query(["repo", "tag", "comment", "author", "pause", "changes"]))
        query["container"] = draw(NAMES)
        if draw(st.booleans()):
            return ApiRequest("POST", prefix + "/commit", query, body=draw(BODIES))
        return ApiRequest("POST", prefix + "/commit", query, json_body=draw(JSON_VALUES))
    if kind == "browse":  # tuibox's own routes: never under a version prefix
        host = draw(REGISTRY_HOSTS)  # an unreachable registry is a fair 503: none is drawn
        query = draw(_query(["n", "last"]))
        if draw(st.booleans()):
            return ApiRequest("GET", f"/tuibox/v1/registries/{host}/catalog", query)
        return ApiRequest("GET", f"/tuibox/v1/registries/{host}/repositories/"
                                 f"{draw(REPOSITORIES)}/tags", query)  # fmt: skip
    if kind == "layers":  # tuibox's own route: never under a version prefix
        query = draw(_query(["limit", "path"]))
        if draw(st.booleans()):
            query["path"] = draw(ARCHIVE_PATHS)
        return ApiRequest("GET", f"/tuibox/v1/images/{draw(NAMES)}/layers", query)
    if kind == "search":  # on the fake registry: Docker Hub is out of reach here (a 503)
        query = draw(_query(["limit", "filters"]))
        query["term"] = "mirror:5000/" + draw(st.sampled_from(["busybox", "", "a" * 300, "x/y"]))
        return ApiRequest("GET", prefix + "/images/search", query)
    if kind == "distribution":
        return ApiRequest("GET", f"{prefix}/distribution/{draw(NAMES)}/json", draw(_query([])))
    if kind == "load":
        return ApiRequest("POST", prefix + "/images/load", draw(_query(["quiet", "platform"])),
                          body=draw(BODIES))  # fmt: skip
    if kind == "pull":
        query = draw(_query(["fromImage", "tag", "platform"]))
        query.setdefault("fromImage", draw(NAMES))
        return ApiRequest("POST", prefix + "/images/create", query)
    query = draw(_query(["repo", "tag", "message", "changes", "platform"]))
    query["fromSrc"] = draw(st.sampled_from(["-", "-", "http://127.0.0.1:9/x.tar", ""]))
    return ApiRequest("POST", prefix + "/images/create", query, body=draw(BODIES))
