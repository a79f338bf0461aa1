"""Detach keys (ctrl-p,ctrl-q by default): Docker's syntax, and a scanner that finds them in
a TTY's input across reads (pure)."""

from __future__ import annotations

from tuibox.engine.domain.errors import InvalidArgument

DEFAULT_DETACH_KEYS = b"\x10\x11"
"""ctrl-p ctrl-q."""
_CONTROL = {"@": 0, "[": 27, "\\": 28, "]": 29, "^": 30, "_": 31}


def parse_detach_keys(text: str, kind: str = "detach") -> bytes:
    """Comma-separated keys: one character, `ctrl-a`..`ctrl-z`, `ctrl-@`, `ctrl-[` ... `ctrl-_`.

    Raises:
        InvalidArgument: "Invalid detach keys (x) provided" (or "escape keys" for exec).
    """
    keys = bytearray()
    for item in text.split(","):
        lowered = item.lower()
        if len(item) == 1:
            keys.append(ord(item))
        elif lowered.startswith("ctrl-") and len(item) == 6:
            char = lowered[5]
            if "a" <= char <= "z":
                keys.append(ord(char) - ord("a") + 1)
            elif char in _CONTROL:
                keys.append(_CONTROL[char])
            else:
                raise InvalidArgument(f"Invalid {kind} keys ({text}) provided")
        elif item == "DEL":
            keys.append(127)
        else:
            raise InvalidArgument(f"Invalid {kind} keys ({text}) provided")
    if not keys or any(key > 127 for key in keys):
        raise InvalidArgument(f"Invalid {kind} keys ({text}) provided")
    return bytes(keys)


class DetachScanner:
    """Passes input on, holding back bytes that may start the sequence, as moby's proxy does."""

    def __init__(self, keys: bytes) -> None:
        self.keys = keys
        self.held = b""
        self.detached = False

    def feed(self, data: bytes) -> bytes:
        """The bytes to pass on now; after the whole sequence, `detached` is True and what
        came before it in this read is returned, the sequence itself never."""
        out = bytearray()
        for byte in data:
            candidate = self.held + bytes([byte])
            if self.keys.startswith(candidate):
                self.held = candidate
                if candidate == self.keys:
                    self.detached = True
                    self.held = b""
                    return bytes(out)
                continue
            out += self.held  # the match broke: what was held goes on after all
            self.held = b""
            if self.keys.startswith(bytes([byte])):
                self.held = bytes([byte])
            else:
                out.append(byte)
        return bytes(out)
