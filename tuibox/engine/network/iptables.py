"""iptables, iptables-save and iptables-restore driven through asyncio subprocesses."""

from __future__ import annotations

import asyncio
import shlex
from dataclasses import dataclass, field

from tuibox.engine.domain.errors import RuntimeFailure

# A wedged xtables lock must not hold a network operation forever.
IPTABLES_TIMEOUT_S = 30.0

# iptables' words (1.8.9, nf_tables) when the chain to create is there already.
ALREADY_EXISTS = "Chain already exists"


@dataclass(frozen=True)
class Outcome:
    """The result of one iptables invocation."""

    returncode: int
    output: str
    error: str


@dataclass
class Ruleset:
    """One parsed iptables-save dump: per table, its chains and its `-A` lines in order."""

    chains: dict[str, set[str]] = field(default_factory=dict)
    rules: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Ruleset:
        ruleset = cls()
        table = ""
        for line in text.splitlines():
            if line.startswith("*"):
                table = line[1:].strip()
                ruleset.chains.setdefault(table, set())
                ruleset.rules.setdefault(table, [])
            elif line.startswith(":") and table:
                ruleset.chains[table].add(line[1:].split()[0])
            elif line.startswith("-A ") and table:
                ruleset.rules[table].append(line.strip())
        return ruleset

    def has_chain(self, table: str, chain: str) -> bool:
        return chain in self.chains.get(table, set())


class Iptables:
    """The iptables tools, every call with `--wait` so a concurrent caller waits its turn."""

    def __init__(self, iptables: str = "iptables") -> None:
        self.iptables = iptables
        prefix, _, suffix = iptables.rpartition("iptables")
        self.save_tool = f"{prefix}iptables-save{suffix}"
        self.restore_tool = f"{prefix}iptables-restore{suffix}"

    async def _exec(self, argv: list[str], stdin: str | None = None) -> Outcome:
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as err:
            raise RuntimeFailure(f"cannot run {argv[0]}: {err}") from err
        try:
            async with asyncio.timeout(IPTABLES_TIMEOUT_S):
                out, errout = await proc.communicate(stdin.encode() if stdin is not None else None)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise RuntimeFailure(f"{shlex.join(argv)} did not finish in time") from None
        assert proc.returncode is not None
        return Outcome(
            proc.returncode, out.decode(errors="replace"), errout.decode(errors="replace")
        )

    async def run(self, table: str, *args: str) -> Outcome:
        """`iptables --wait -t <table> <args>`, whatever it answers."""
        return await self._exec([self.iptables, "--wait", "-t", table, *args])

    async def checked(self, table: str, *args: str, tolerate: tuple[str, ...] = ()) -> bool:
        """Run; True when it did something, False when it failed with a tolerated message."""
        outcome = await self.run(table, *args)
        if outcome.returncode == 0:
            return True
        if any(words in outcome.error for words in tolerate):
            return False
        raise RuntimeFailure(
            f"iptables -t {table} {shlex.join(args)} failed: {outcome.error.strip()}"
        )

    async def has_rule(self, table: str, chain: str, spec: tuple[str, ...]) -> bool:
        """`-C`: whether the exact rule is in the chain (a missing chain counts as no)."""
        return (await self.run(table, "-C", chain, *spec)).returncode == 0

    async def save(self) -> Ruleset:
        outcome = await self._exec([self.save_tool])
        if outcome.returncode != 0:
            raise RuntimeFailure(f"{self.save_tool} failed: {outcome.error.strip()}")
        return Ruleset.parse(outcome.output)

    async def restore(self, text: str) -> None:
        """`iptables-restore --wait --noflush`: chains declared in `text` are flushed and
        rewritten in one transaction; every other chain stays as it is."""
        outcome = await self._exec([self.restore_tool, "--wait", "--noflush"], stdin=text)
        if outcome.returncode != 0:
            raise RuntimeFailure(
                f"{self.restore_tool} failed: {outcome.error.strip()} (input: {text!r})"
            )
