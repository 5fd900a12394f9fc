"""Ctrl-C between frames: during a run the first SIGINT only sets a flag, checked after each frame, so outputs
always end on a whole frame (overlay, JSON and PNGs agree); a second Ctrl-C interrupts at once."""

from __future__ import annotations

import signal
import threading


class StopAtFrameBoundary:
    """Context manager; ``check()`` raises KeyboardInterrupt once Ctrl-C was pressed. Outside the main thread
    (where signal handlers cannot be set) it does nothing and Ctrl-C behaves as usual."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt

    def __enter__(self) -> StopAtFrameBoundary:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self._previous or signal.default_int_handler)
