"""FakeNameServer: the embedded DNS server's interface, kept in memory (no sockets, no NAT).

`served` maps each container served to its namespace path, upstreams, ndots flag and, per
network name, the DnsEndpoint recorded there; `fail_next_add` makes the next add_container
raise RuntimeFailure as a failed bind would. Like EmbeddedDns, add_container refuses a
container served already and remove_container of one not served is no work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tuibox.engine.domain.errors import Conflict, NotFound, RuntimeFailure
from tuibox.engine.network.dns import DnsEndpoint, Upstream


@dataclass
class Served:
    netns: str
    upstreams: tuple[Upstream, ...]
    ndots_set: bool
    endpoints: dict[str, DnsEndpoint]


@dataclass
class FakeNameServer:
    served: dict[str, Served] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    fail_next_add: bool = False

    def serving(self, container_id: str) -> bool:
        return container_id in self.served

    async def add_container(
        self, container_id: str, netns_path: str, networks: Sequence[DnsEndpoint],
        upstreams: Sequence[Upstream], *, ndots_set: bool = False,
    ) -> None:  # fmt: skip
        if container_id in self.served:
            raise Conflict(f"the embedded DNS server already serves container {container_id}")
        if self.fail_next_add:
            self.fail_next_add = False
            raise RuntimeFailure(f"fake: cannot bind 127.0.0.11 in {netns_path}")
        self.served[container_id] = Served(netns_path, tuple(upstreams), ndots_set,
                                           {e.network: e for e in networks})  # fmt: skip

    def connect(self, container_id: str, endpoint: DnsEndpoint) -> None:
        self._served(container_id).endpoints[endpoint.network] = endpoint

    def disconnect(self, container_id: str, network: str) -> None:
        self._served(container_id).endpoints.pop(network, None)

    async def remove_container(self, container_id: str) -> None:
        if self.served.pop(container_id, None) is not None:
            self.removed.append(container_id)

    def _served(self, container_id: str) -> Served:
        try:
            return self.served[container_id]
        except KeyError:
            raise NotFound(f"the embedded DNS server does not serve {container_id}") from None
