"""The in-namespace NAT rules of the embedded DNS server, as iptables-restore input (pure)."""

from __future__ import annotations

from tuibox.engine.network.dns_nat import (
    fresh_input,
    install_input,
    nat_rules,
    remove_input,
    usual_remove_input,
)

JUMPS = ["-A OUTPUT -d 127.0.0.11/32 -j TBX-DNS-OUTPUT",
         "-A POSTROUTING -d 127.0.0.11/32 -j TBX-DNS-POSTROUTING"]  # fmt: skip


def test_the_rules_are_dockers_four() -> None:
    assert nat_rules(40001, 40002) == [
        "-A TBX-DNS-OUTPUT -d 127.0.0.11/32 -p udp --dport 53 -j DNAT --to-destination "
        "127.0.0.11:40001",
        "-A TBX-DNS-POSTROUTING -s 127.0.0.11/32 -p udp --sport 40001 -j SNAT --to-source :53",
        "-A TBX-DNS-OUTPUT -d 127.0.0.11/32 -p tcp --dport 53 -j DNAT --to-destination "
        "127.0.0.11:40002",
        "-A TBX-DNS-POSTROUTING -s 127.0.0.11/32 -p tcp --sport 40002 -j SNAT --to-source :53",
    ]


def test_fresh_install_creates_the_chains_so_an_existing_one_fails_it() -> None:
    lines = fresh_input(1, 2).splitlines()
    assert lines[:3] == ["*nat", "-N TBX-DNS-OUTPUT", "-N TBX-DNS-POSTROUTING"]
    assert lines[-3:] == [*JUMPS, "COMMIT"]


def test_reinstall_flushes_the_chains_and_adds_only_missing_jumps() -> None:
    saved = "*nat\n:OUTPUT ACCEPT [0:0]\n:TBX-DNS-OUTPUT - [0:0]\n" + JUMPS[0] + "\nCOMMIT\n"
    lines = install_input(1, 2, saved).splitlines()
    assert lines[:3] == ["*nat", ":TBX-DNS-OUTPUT - [0:0]", ":TBX-DNS-POSTROUTING - [0:0]"]
    assert JUMPS[0] not in lines and JUMPS[1] in lines
    assert install_input(1, 2, "").splitlines()[-3:] == [*JUMPS, "COMMIT"]


def test_removal_deletes_every_jump_and_both_chains() -> None:
    assert usual_remove_input().splitlines() == [
        "*nat", "-D OUTPUT -d 127.0.0.11/32 -j TBX-DNS-OUTPUT",
        "-D POSTROUTING -d 127.0.0.11/32 -j TBX-DNS-POSTROUTING",
        "-F TBX-DNS-OUTPUT", "-X TBX-DNS-OUTPUT", "-F TBX-DNS-POSTROUTING",
        "-X TBX-DNS-POSTROUTING", "COMMIT",
    ]  # fmt: skip
    doubled = "\n".join([":TBX-DNS-OUTPUT - [0:0]", JUMPS[0], JUMPS[0]])
    assert remove_input(doubled) == (
        "*nat\n-D OUTPUT -d 127.0.0.11/32 -j TBX-DNS-OUTPUT\n"
        "-D OUTPUT -d 127.0.0.11/32 -j TBX-DNS-OUTPUT\n-F TBX-DNS-OUTPUT\n-X TBX-DNS-OUTPUT\n"
        "COMMIT\n"
    )
    assert remove_input("*nat\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n") is None
