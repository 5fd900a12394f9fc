"""Ctrl-C between frames: during a run the first SIGINT (or SIGTERM, SIGHUP) only sets a flag, checked after each
frame, so outputs always end on a whole frame (overlay, JSON and PNGs agree); a second one interrupts at once."""

from __future__ import annotations

import signal
import threading

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class StopAtFrameBoundary:
    """Context manager; ``check()`` raises KeyboardInterrupt once Ctrl-C was pressed (or SIGTERM / SIGHUP came);
    ``signum`` is the signal that stopped the run. Outside the main thread (where signal handlers cannot be set) it
    does nothing and Ctrl-C behaves as usual."""

    def __init__(self) -> None:
        self.requested = False
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.signum = signum

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt

    def __enter__(self) -> StopAtFrameBoundary:
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if threading.current_thread() is threading.main_thread():
            for signum, previous in self._previous.items():
                if previous is None:
                    previous = signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL
                signal.signal(signum, previous)
            self._previous = {}
