"""Provides NetworksPane: the network list with its connect, create, delete and prune keys."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import replace
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from tuibox.client.errors import EngineError
from tuibox.client.networks import NetworkSummary
from tuibox.client.protocol import EngineClientProtocol
from tuibox.messages import ActionFailed, EngineReached, PollFailed
from tuibox.panes.engine_pane import EnginePane
from tuibox.screens.choice import ChoiceModal
from tuibox.screens.confirm import ConfirmModal
from tuibox.screens.connect_dialog import ConnectDialog, ConnectOptions
from tuibox.screens.network_details import NetworkDetailsModal
from tuibox.screens.text_prompt import TextPrompt
from tuibox.widgets.network_table import NetworkTable

NO_CONNECT = {
    "host": "container cannot be disconnected from host network or connected to host network",
    "null": "container cannot be connected to multiple networks with one of the networks in "
            "private (none) mode",
}  # fmt: skip
"""dockerd's refusals of a connect to the host and none networks, said before asking."""

PRUNE_LISTED = 12
"""How many of the networks a prune would remove the question names one by one."""


def subnet_problem(text: str) -> str | None:
    """What the engine would refuse in a subnet, in Docker's words; None when it will do."""
    if "/" not in text:
        return f"invalid subnet {text}: a subnet is an address and a prefix, e.g. 10.5.0.0/24"
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return f"invalid subnet {text}: not an IPv4 or IPv6 address with a prefix length"
    if str(network) != text:
        return f"invalid subnet {text}: it should be {network}"
    return None


def network_details(network: NetworkSummary) -> str:
    """The text of a network's details: settings, address pools, labels, containers."""
    lines = [
        f"Name:        {network.name}{'  (predefined)' if network.predefined else ''}",
        f"ID:          {network.id}",
        f"Driver:      {network.driver}",
        f"Scope:       {network.scope}",
        f"Internal:    {'yes: no traffic leaves it' if network.internal else 'no'}",
        f"IPv6:        {'yes' if network.enable_ipv6 else 'no'}",
        f"Created:     {network.created or '-'}",
    ]
    for pool in network.pools:
        lines.append(f"Subnet:      {pool.subnet}   gateway {pool.gateway or '-'}"
                     + (f"   range {pool.ip_range}" if pool.ip_range else ""))  # fmt: skip
    if not network.pools:
        lines.append("Subnet:      none")
    labels = ", ".join(f"{key}={value}" for key, value in network.labels) or "none"
    lines.append(f"Labels:      {labels}")
    lines.extend(f"Option:      {key}={value}" for key, value in network.options)
    lines.append("")
    if not network.containers:
        lines.append("No container is attached.")
        return "\n".join(lines)
    lines.append(f"Containers ({len(network.containers)}):")
    width = max(len(endpoint.name) for endpoint in network.containers)
    for endpoint in network.containers:
        if not endpoint.running:
            lines.append(f"  {endpoint.name:<{width}}  stopped: no address until it starts")
            continue
        address = endpoint.ipv4_address or "-"
        extra = f"  {endpoint.ipv6_address}" if endpoint.ipv6_address else ""
        lines.append(f"  {endpoint.name:<{width}}  {address:<18}  {endpoint.mac_address or '-'}"
                     f"{extra}")  # fmt: skip
    return "\n".join(lines)


class NetworksPane(EnginePane):
    """Networks: the predefined ones (bridge, host, none) and the user's, with their use."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "connect_container", "Connect"),
        Binding("x", "disconnect_container", "Disconnect"),
        Binding("n", "create_network", "New network"),
        Binding("d", "delete_network", "Delete"),
        Binding("X", "prune_networks", "Prune"),
        Binding("enter", "show_network", "Details", key_display="Enter", show=False),
    ]
    """Actions on the networks (the table takes Enter first: see _on_row_selected)."""

    def __init__(
        self,
        client: EngineClientProtocol,
        *,
        clock: Callable[[], float],
        poll_interval: float,
        id: str | None = None,
    ) -> None:
        """Build the pane (see EnginePane)."""
        super().__init__(client, clock=clock, poll_interval=poll_interval, id=id)
        self._networks: list[NetworkSummary] = []

    def compose(self) -> ComposeResult:
        """The table."""
        yield NetworkTable(id="networks-table")

    @property
    def selected(self) -> NetworkSummary | None:
        """The network under the cursor."""
        return self.query_one(NetworkTable).selected_item

    async def fetch_and_show(self) -> None:
        """Fetch the networks and update the table in place."""
        try:
            networks = await self.client.list_networks()
        except EngineError as err:
            self.post_message(PollFailed(err))
            return
        self.post_message(EngineReached())
        self._networks = networks
        self.query_one(NetworkTable).show(networks)

    def _require_selection(self) -> NetworkSummary | None:
        network = self.selected
        if network is None:
            self.notify("No network selected.", severity="warning")
        return network

    def action_create_network(self) -> None:
        """Ask for a name, then a subnet (empty: the engine picks one), then create it."""

        def on_name(name: str | None) -> None:
            if not name:
                return
            prompt = TextPrompt(
                f"Subnet for network {name}", "", allow_empty=True, check=subnet_problem,
                help_text="CIDR, e.g. 10.5.0.0/24; empty: the engine picks a free one.",
            )  # fmt: skip
            self.app.push_screen(prompt, lambda subnet: on_subnet(name, subnet))

        def on_subnet(name: str, subnet: str | None) -> None:
            if subnet is None:
                return

            async def create() -> str:
                created = await self.client.create_network(name, subnet=subnet or None)
                warning = f" Warning: {created.warning}" if created.warning else ""
                return f"Created network {name}.{warning}"

            self.run_engine_action(f"network-{name}", "Create failed", create)

        self.app.push_screen(
            TextPrompt("Create a network", "", help_text="Its name (a bridge network)."), on_name
        )

    def action_delete_network(self) -> None:
        """Ask, then delete the selected network (never a predefined one)."""
        if (network := self._require_selection()) is None:
            return
        if network.predefined:
            self.notify(f"{network.name} is a pre-defined network and cannot be removed.",
                        severity="warning", markup=False)  # fmt: skip
            return
        question = f"Delete network {network.name} ({network.id[:12]})?"
        running = [e.name for e in network.containers if e.running]
        stopped = [e.name for e in network.containers if not e.running]
        if running:
            question += (f"\nRunning on it: {', '.join(running)}. The engine will refuse "
                         "until they are stopped or disconnected.")  # fmt: skip
        if stopped:
            question += f"\nAttached but stopped: {', '.join(stopped)} (they lose it)."

        def on_answer(confirmed: bool | None) -> None:
            if not confirmed:
                return

            async def remove() -> str:
                await self.client.remove_network(network.id)
                return f"Deleted network {network.name}."

            self.run_engine_action(network.id, "Delete failed", remove)

        self.app.push_screen(ConfirmModal("Delete network", question, "Delete"), on_answer)

    def action_prune_networks(self) -> None:
        """List what a prune removes (user networks no running container is on), ask, prune."""
        doomed = [n.name for n in self._networks if not n.predefined and not n.in_use]
        if not doomed:
            self.notify("No unused network to prune.", markup=False)
            return
        shown = "\n".join(f"  {name}" for name in doomed[:PRUNE_LISTED])
        more = len(doomed) - PRUNE_LISTED
        question = (f"Remove {len(doomed)} network(s) no running container is on?\n{shown}"
                    + (f"\n  … and {more} more" if more > 0 else ""))  # fmt: skip

        def on_answer(confirmed: bool | None) -> None:
            if not confirmed:
                return

            async def prune() -> str:
                removed = await self.client.prune_networks()
                return f"Pruned {len(removed)} network(s): {', '.join(removed) or 'none'}."

            self.run_engine_action("network-prune", "Prune failed", prune)

        self.app.push_screen(ConfirmModal("Prune networks", question, "Prune"), on_answer)

    def action_connect_container(self) -> None:
        """Pick a container not on the selected network, ask for aliases and --ip, connect."""
        if (network := self._require_selection()) is None:
            return
        if network.driver in NO_CONNECT:
            self.notify(NO_CONNECT[network.driver], severity="warning", markup=False)
            return
        self.run_worker(self._pick_container(network), group="network-connect",
                        exclusive=True, exit_on_error=False)  # fmt: skip

    async def _pick_container(self, network: NetworkSummary) -> None:
        try:
            containers = await self.client.list_containers(all=True)
        except EngineError as err:
            self.post_message(ActionFailed("Connect failed", err))
            return
        attached = {endpoint.container_id for endpoint in network.containers}
        choices = [(c.id, f"{c.name}  ({c.state}, {c.image})") for c in containers
                   if c.id not in attached]  # fmt: skip
        if not choices:
            self.notify(f"Every container is already on {network.name}.", markup=False)
            return
        names = {c.id: c.name for c in containers}

        def on_container(container_id: str | None) -> None:
            if container_id is None:
                return
            subnet = next((p.subnet for p in network.pools if "." in p.subnet), "")
            dialog = ConnectDialog(names[container_id], network.name, subnet)
            self.app.push_screen(dialog, lambda options: on_options(container_id, options))

        def on_options(container_id: str, options: ConnectOptions | None) -> None:
            if options is None:
                return

            async def connect() -> str:
                await self.client.connect_network(network.id, container_id,
                                                  aliases=options.aliases, ipv4=options.ipv4)
                return f"Connected {names[container_id]} to {network.name}."

            self.run_engine_action(network.id, "Connect failed", connect)

        self.app.push_screen(ChoiceModal(f"Connect which container to {network.name}?",
                                         choices), on_container)  # fmt: skip

    def action_disconnect_container(self) -> None:
        """Pick one of the containers on the selected network and disconnect it."""
        if (network := self._require_selection()) is None:
            return
        self._disconnect_from(network)

    def _disconnect_from(self, network: NetworkSummary) -> None:
        if not network.containers:
            self.notify(f"No container is attached to {network.name}.", markup=False)
            return
        choices = [(e.container_id, f"{e.name}  ({'running' if e.running else 'stopped'})")
                   for e in network.containers]  # fmt: skip
        names = {e.container_id: e.name for e in network.containers}

        def on_container(container_id: str | None) -> None:
            if container_id is None:
                return

            async def disconnect() -> str:
                await self.client.disconnect_network(network.id, container_id)
                return f"Disconnected {names[container_id]} from {network.name}."

            self.run_engine_action(network.id, "Disconnect failed", disconnect)

        self.app.push_screen(ChoiceModal(f"Disconnect which container from {network.name}?",
                                         choices), on_container)  # fmt: skip

    @on(DataTable.RowSelected, "#networks-table")
    def _on_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_show_network()

    def action_show_network(self) -> None:
        """Inspect the selected network and show it with the containers attached."""
        if (network := self._require_selection()) is None:
            return
        self.run_worker(self._show_network(network), group="network-inspect", exclusive=True,
                        exit_on_error=False)  # fmt: skip

    async def _show_network(self, listed: NetworkSummary) -> None:
        try:
            network = await self.client.inspect_network(listed.id)
        except EngineError as err:
            self.post_message(ActionFailed("Inspect failed", err))
            return
        # The inspect lists running containers only; the stopped ones come from the list.
        shown = {endpoint.container_id for endpoint in network.containers}
        stopped = tuple(e for e in listed.containers if not e.running and e.container_id
                        not in shown)  # fmt: skip
        if stopped:
            network = replace(network, containers=tuple(sorted(
                network.containers + stopped, key=lambda endpoint: endpoint.name)))  # fmt: skip
        self.app.push_screen(NetworkDetailsModal(f"Network {network.name}",
                                                 network_details(network),
                                                 lambda: self._disconnect_from(network)))
