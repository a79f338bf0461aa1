"""Random container names in Docker's adjective_surname style."""

from __future__ import annotations

import secrets

ADJECTIVES = (
    "brave",
    "calm",
    "clever",
    "eager",
    "fervent",
    "gallant",
    "happy",
    "jolly",
    "keen",
    "lucid",
    "modest",
    "nifty",
    "quirky",
    "relaxed",
    "serene",
    "sharp",
    "tender",
    "upbeat",
    "vibrant",
    "wizardly",
    "youthful",
    "zealous",
)
SURNAMES = (
    "babbage",
    "curie",
    "dijkstra",
    "euler",
    "fermi",
    "gauss",
    "hopper",
    "kepler",
    "knuth",
    "lamport",
    "lovelace",
    "meitner",
    "noether",
    "pascal",
    "ritchie",
    "shannon",
    "thompson",
    "turing",
    "wirth",
    "wozniak",
)


def random_name() -> str:
    """A name such as `eager_hopper`; the caller retries on the rare collision."""
    return f"{secrets.choice(ADJECTIVES)}_{secrets.choice(SURNAMES)}"
