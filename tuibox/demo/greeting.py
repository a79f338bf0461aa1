"""Holds the greeting the demo `hello-world` image prints, in tuibox's own words."""

from __future__ import annotations

GREETING_FIRST_LINE = "Hello from tuibox!"

GREETING = f"""\

{GREETING_FIRST_LINE}

If you can read this, the whole path from your client to a container works.
Here is what just happened:

 1. Your client (the docker CLI, docker-py or the tuibox TUI) asked the tuibox
    engine, over its Unix socket, to run the image "hello-world".
 2. The first time, the engine did not have that image, so it pulled it from
    the registry (the demo's local mirror), checking the digest of every piece.
 3. It unpacked the image's layer onto an overlay filesystem and created a
    container in new pid, mount, uts, ipc and network namespaces.
 4. conmon started crun, crun started this little shell script inside the
    container, and the engine streamed its output back to your client.

Try a shell next:     docker run --rm busybox sh -c 'uname -a; ls /'
Or open the TUI:      tuibox  (press ? for every key)
"""

HELLO_SCRIPT = f"""#!/bin/sh
cat <<'TUIBOX_GREETING'
{GREETING}TUIBOX_GREETING
"""
