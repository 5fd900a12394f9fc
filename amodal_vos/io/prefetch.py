"""Prefetch: read and prepare the next frames in a thread while the model works on the current one.

    for frame, image in Prefetch(source.frames(0, 100), prepare):
        ...

Decoding (PyAV) and resizing (torch) release the GIL, so on two cores they overlap with the model almost fully.
Items come out in order; an exception of the producer (a truncated video) is raised by the consumer at the place
where the item it could not produce would have come. Leaving the loop early (break, Ctrl-C, an error) stops the
thread and closes the source iterator in it. ``busy`` holds the producer's seconds per part, for timings.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_END = object()


class Prefetch(Generic[T, R]):
    """Iterate ``(item, prepare(item))`` over ``items``, produced up to ``depth`` items ahead in a thread."""

    def __init__(self, items: Iterable[T], prepare: Callable[[T], R], depth: int = 2) -> None:
        self._items, self._prepare = items, prepare
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.busy = {"read": 0.0, "prepare": 0.0}

    def _put(self, entry: tuple) -> bool:
        """Queue an entry unless the consumer has gone; False once it has."""
        while not self._stop.is_set():
            try:
                self._queue.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _work(self) -> None:
        iterator = iter(self._items)
        try:
            while not self._stop.is_set():
                tic = time.perf_counter()
                try:
                    item = next(iterator)
                except StopIteration:
                    self._put((_END, None))
                    return
                toc = time.perf_counter()
                prepared = self._prepare(item)
                self.busy["read"] += toc - tic
                self.busy["prepare"] += time.perf_counter() - toc
                if not self._put((item, prepared)):
                    return
        except BaseException as err:  # noqa: BLE001 - raised again in the consumer's thread
            self._put((_END, err))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Iterator[tuple[T, R]]:
        self._thread = threading.Thread(target=self._work, name="prefetch", daemon=True)
        self._thread.start()
        try:
            while True:
                item, value = self._queue.get()
                if item is _END:
                    if value is not None:
                        raise value
                    return
                yield item, value
        finally:
            self.close()

    def close(self) -> None:
        """Stop the producer and wait for it (it closes the source iterator itself)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)  # a live source blocked in a read is left to its daemon thread
            self._thread = None


def with_next(items: Iterable[T]) -> Iterator[tuple[T, T | None]]:
    """Each item with the one after it (None after the last), so a consumer can start on the next while it works
    on this one. An error raised getting the next item comes after this item, where it came without look-ahead."""
    iterator = iter(items)
    try:
        current = next(iterator)
    except StopIteration:
        return
    while True:
        try:
            following = next(iterator)
        except StopIteration:
            yield current, None
            return
        except BaseException:
            yield current, None
            raise
        yield current, following
        current = following
