"""The "python" of the fleet's xdist workers: asks the audit's worker template for a worker.

execnet runs it as `python -S -I launcher.py SOCKET -u -c LINE` (the audit names it in its
`--tx N*popen//python=...` spec). It imports nothing but the standard library and hands its
stdin, stdout and stderr (execnet's channel), its argv, environment and folder to the worker
template (zygote.py), which forks the worker from its pre-imported self; this process then
waits until the worker ends. When the template cannot be reached or refuses, it becomes an
ordinary Python worker instead (`exec` of the interpreter): slower to start, the same worker.

A script, not a module of the package: `-S -I` keeps its start-up to the bare interpreter.
"""

import contextlib
import json
import os
import signal
import socket
import struct
import sys

CONNECT_SECONDS = 60.0  # the template may still be importing: connections wait in its backlog


def _send(sock: socket.socket, obj: object, fds: list[int]) -> None:
    data = json.dumps(obj).encode("utf-8")
    frame = struct.pack("!I", len(data)) + data
    sent = socket.send_fds(sock, [frame], fds)
    if sent < len(frame):
        sock.sendall(frame[sent:])


def _read(sock: socket.socket) -> object:
    """A length-prefixed JSON frame, or None at EOF."""
    buffer = b""
    while len(buffer) < 4 or len(buffer) < 4 + struct.unpack("!I", buffer[:4])[0]:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    return json.loads(buffer[4:4 + struct.unpack("!I", buffer[:4])[0]])


def main() -> int:
    path, argv = sys.argv[1], sys.argv[2:]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    reply: object = None
    with contextlib.suppress(OSError, ValueError):
        sock.settimeout(CONNECT_SECONDS)
        sock.connect(path)
        _send(sock, {"kind": "worker", "argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}, [0, 1, 2])
        reply = _read(sock)
    if not isinstance(reply, dict) or "pid" not in reply:
        sock.close()
        os.execv(sys.executable, [sys.executable, *argv])  # the slow way: this process is the worker
    pid = int(reply["pid"])
    # The worker holds the channel now: this process keeps no end of it open.
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)

    def forward(signum: int, frame: object) -> None:
        with contextlib.suppress(OSError):
            os.kill(pid, signum)

    signal.signal(signal.SIGTERM, forward)  # execnet stops a worker by stopping this process
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the worker itself (one process group)
    sock.settimeout(None)
    while True:  # EOF when the worker ends: it holds the other end of this connection
        try:
            if not sock.recv(4096):
                return 0
        except InterruptedError:
            continue
        except OSError:
            return 0


if __name__ == "__main__":
    sys.exit(main())
