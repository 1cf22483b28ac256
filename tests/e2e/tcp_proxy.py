"""A TCP proxy that can be cut: the database "stops" for the bot, and only for the bot.

The shared PostgreSQL server must never be stopped (other sessions use it), so the bot under
test is pointed at this proxy instead, and the proxy is what stops:

``await proxy.cut()``
    Every connection through it is aborted (both sides reset, as when a server process dies)
    and the listening socket is closed, so new connections are refused (``ECONNREFUSED``, as
    when nothing listens on the port any more).
``await proxy.restore()``
    It listens again on the same port and forwards new connections.

Used by ``benchmarks/faults.py`` and the outage tests. Bytes are copied as they come, with no
parsing, so anything that speaks TCP can go through it.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url

_CHUNK = 65536


@dataclass
class TcpProxy:
    """``async with TcpProxy(host, port) as proxy: proxy.port`` forwards to ``host:port``."""

    target_host: str
    target_port: int
    host: str = "127.0.0.1"
    port: int = 0
    connections: int = field(default=0, init=False)  # accepted since start (for figures)
    _server: asyncio.Server | None = field(default=None, init=False, repr=False)
    _pipes: set[asyncio.Task[None]] = field(default_factory=set, init=False, repr=False)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set, init=False, repr=False)

    @classmethod
    def for_url(cls, url: str) -> TcpProxy:
        """A proxy in front of the server a database URL names."""
        parsed = make_url(url)
        return cls(parsed.host or "127.0.0.1", parsed.port or 5432)

    def url_through(self, url: str) -> str:
        """``url`` with its host and port replaced by this proxy's."""
        return (
            make_url(url).set(host=self.host, port=self.port).render_as_string(hide_password=False)
        )

    @property
    def is_cut(self) -> bool:
        return self._server is None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and reset every open one."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        for pipe in list(self._pipes):
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    async def restore(self) -> None:
        """Listen again, on the same port."""
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        await self.cut()

    async def __aenter__(self) -> TcpProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        pipes = [
            asyncio.ensure_future(self._copy(reader, up_writer)),
            asyncio.ensure_future(self._copy(up_reader, writer)),
        ]
        self._pipes.update(pipes)
        try:
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pipe in pipes:
                pipe.cancel()
                self._pipes.discard(pipe)
            for end in (writer, up_writer):
                self._writers.discard(end)
                end.transport.abort()

    @staticmethod
    async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(_CHUNK):
                writer.write(data)
                await writer.drain()
