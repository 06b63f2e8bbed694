"""Keys in the order they were typed: each one waits until the one before has done its work.

Textual routes a key in two stages. The app hands it at once to the focused widget, and the
screen's and app's bindings run only when the key has bubbled back up to the app. A burst of keys
(a hurried inspector typing `/grade:major`, a paste into the terminal) is therefore handed out
before the first key's action has moved the focus: `/` opens the filter box, but the letters after
it have already gone to the hazard list and run as shortcuts (`s` synced, `r` opened the rejected
screen). Likewise the letters typed right after `n` reached the list underneath while the new form
was still being mounted.

`OrderedKeys` holds a key from the terminal while the previous one is still travelling, and until
a screen the previous key opened has focused its first field; then it lets the next one go. A
key that a widget keeps (a letter typed into a field) settles when that widget has handled it; a
key nobody reports back settles after `KEY_TIMEOUT` at the latest, so a lost key never blocks
the keyboard.
"""

from __future__ import annotations

from collections import deque
from time import monotonic
from typing import Any

from textual import events
from textual.app import App
from textual.screen import Screen
from textual.timer import Timer

KEY_TIMEOUT = 0.3
"""The longest one key may hold those typed after it (seconds)."""

POLL_SECONDS = 0.002
"""How often a held key looks again whether the screen is ready for it."""


class OrderedKeys(App[None]):
    """An app whose keys are handled one after another, as typed (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: deque[events.Key] = deque()
        self._travelling: events.Key | None = None
        self._busy = False
        self._screen_before: Screen[Any] | None = None
        self._key_timer: Timer | None = None
        self._release_by = 0.0

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._busy:
                self._held.append(event)
                return
            await self._send(event)
            return
        await super().on_event(event)

    async def _on_key(self, event: events.Key) -> None:
        """The key came back from the focused widget. Textual calls every class's `_on_key`, so
        the app's bindings run after this too, and before the next key (released by a later
        message)."""
        if event is self._travelling:
            self._settled(event)

    def swallow_key(self, key: events.Key) -> bool:
        """Whether to drop `key` when its turn comes (override; decided then, not when typed)."""
        return False

    async def _send(self, key: events.Key) -> None:
        self._busy = True
        self._travelling = key
        self._screen_before = self.screen
        if self.swallow_key(key):
            self._settled(key)
            return
        target = self.focused or self.screen
        await super().on_event(key)
        if not key.is_forwarded:
            # A priority binding handled it at once.
            self._settled(key)
            return
        target.call_later(self._kept_by_widget, key)
        self._key_timer = self.set_timer(KEY_TIMEOUT, lambda: self._settled(key))

    def _kept_by_widget(self, key: events.Key) -> None:
        """Runs right after the focused widget handled `key`: if it stopped there, it has settled."""
        if key._stop_propagation or not key.bubble:
            self._settled(key)

    def _settled(self, key: events.Key) -> None:
        if self._travelling is not key:
            return
        self._travelling = None
        if self._key_timer is not None:
            self._key_timer.stop()
            self._key_timer = None
        self._release_by = monotonic() + KEY_TIMEOUT
        self.call_later(self._release)

    def _release(self) -> None:
        """Let the next held key go once what the last one started is done (see `_quiet`)."""
        if not self._quiet() and monotonic() < self._release_by:
            self.set_timer(POLL_SECONDS, self._release)
            return
        if not self._held:
            self._busy = False
            return
        self.call_later(self._send, self._held.popleft())

    def _quiet(self) -> bool:
        """Whether the last key's work is done: no message waits anywhere on the screens involved
        (a field's `Submitted`, a form's save, a new screen's mount), and a screen the key opened
        has focused its first field."""
        screen = self.screen
        if screen is not self._screen_before and screen.focused is None and screen.focus_chain:
            return False
        roots = {self, *self.screen_stack}
        if self._screen_before is not None:
            roots.add(self._screen_before)
        return not any(node._message_queue.qsize() for root in roots for node in root.walk_children(with_self=True))
