"""A TCP proxy on a free loopback port that can be frozen (every connection kept open, no
byte passed either way: a network partition, as both ends see it, with no reset) or turned
to another server (every connection reset: a failover behind one address)."""

from __future__ import annotations

import selectors
import socket
import threading

from tests.pg_server import free_port


class FreezableProxy:
    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self._target = ("127.0.0.1", target_port)
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._flowing = threading.Event()
        self._flowing.set()
        self._stopped = threading.Event()
        self._sockets: list[socket.socket] = [self._listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def turn_to(self, target_port: int) -> None:
        """Send new connections to ``target_port``, and reset the open ones."""
        self._target = ("127.0.0.1", target_port)
        open_now, self._sockets = self._sockets[1:], [self._listener]
        for sock in open_now:
            sock.close()

    def close(self) -> None:
        self._stopped.set()
        self._flowing.set()
        for sock in self._sockets:
            sock.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self._target)
            except OSError:  # the server is down: the client sees its connection reset
                client.close()
                continue
            self._sockets += [client, server]
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()

    def _pipe(self, client: socket.socket, server: socket.socket) -> None:
        peer = {client: server, server: client}
        with selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ)
            selector.register(server, selectors.EVENT_READ)
            while not self._stopped.is_set():
                for ready, _ in selector.select(timeout=0.05):
                    self._flowing.wait()
                    try:
                        data = ready.fileobj.recv(65536)  # type: ignore[union-attr]
                        if not data:
                            return
                        peer[ready.fileobj].sendall(data)  # type: ignore[index]
                    except OSError:
                        return
