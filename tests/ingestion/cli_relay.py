"""A TCP relay in front of the real PostgreSQL, to take it away from ONE process under test.

The shared database keeps running for every other test; the process under test connects
through the relay, which forwards its first `allow` connections and refuses the ones after
(the listening socket accepts and closes them at once: libpq sees the server close the
connection). That is a real outage as the client sees it, from a chosen moment.
"""
from __future__ import annotations

import contextlib

import socket
import threading


class Relay:
    def __init__(self, target_port: int, *, allow: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.allow = allow
        self.accepted = 0
        self._sockets: list[socket.socket] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self.accepted += 1
            if self.accepted > self.allow:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        # a peer that went away ends the pipe; shutting down an already closed socket is harmless
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every relayed connection; new ones keep being refused."""
        self.allow = 0
        for s in self._sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed.set()
        self.cut()
        self._server.close()
        for s in self._sockets:
            s.close()


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]
