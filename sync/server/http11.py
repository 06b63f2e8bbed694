"""uvicorn's HTTP/1.1 with a deadline for a request's headers.

uvicorn closes an idle keep-alive connection, but not one that sends its headers a byte at a
time, or never finishes them: 200 such half-open connections held a server's slots
indefinitely. `HeaderDeadline` gives each request's headers `seconds` from the moment the
connection opens (or the previous response ends); a connection that has not sent complete
headers by then is closed. `safecity serve --header-timeout` sets it.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_SECONDS = 10.0


class HeaderDeadline(H11Protocol):
    seconds = HEADER_SECONDS
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def handle_events(self) -> None:
        super().handle_events()
        if self._deadline is not None and self.conn.their_state is not h11.IDLE:
            self._deadline.cancel()  # the headers are in: the request's own limits take over
            self._deadline = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.seconds, self._too_slow)

    def _too_slow(self) -> None:
        self._deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def with_deadline(seconds: float) -> type[HeaderDeadline]:
    """The protocol class for uvicorn, with this many seconds for headers."""
    return type("HeaderDeadline", (HeaderDeadline,), {"seconds": seconds})
