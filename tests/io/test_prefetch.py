"""Prefetch: frames prepared in a thread come out in order, errors where they happened, and the source is closed."""

from __future__ import annotations

import threading

import pytest

from amodal_vos.io.prefetch import Prefetch, with_next


class Source:
    """A generator of ints that records how far it was read, whether it was closed and in which thread."""

    def __init__(self, n: int, fail_at: int | None = None) -> None:
        self.n, self.fail_at = n, fail_at
        self.read, self.closed, self.threads = 0, False, set()

    def __iter__(self):
        try:
            for i in range(self.n):
                self.threads.add(threading.get_ident())
                if i == self.fail_at:
                    raise OSError(f"broken at {i}")
                self.read = i + 1
                yield i
        finally:
            self.closed = True


def test_order_values_and_thread():
    source = Source(20)
    pairs = list(Prefetch(source, lambda i: i * i))
    assert pairs == [(i, i * i) for i in range(20)]
    assert source.closed and threading.get_ident() not in source.threads


def test_error_comes_after_the_items_before_it():
    got = []
    with pytest.raises(OSError, match="broken at 5"):
        for item, _ in Prefetch(Source(10, fail_at=5), str):
            got.append(item)
    assert got == [0, 1, 2, 3, 4]


def test_error_of_prepare_is_raised_in_consumer():
    def prepare(i: int) -> int:
        if i == 3:
            raise ValueError("bad frame")
        return i

    with pytest.raises(ValueError, match="bad frame"):
        list(Prefetch(Source(10), prepare))


def test_leaving_early_stops_reading_and_closes_source():
    source = Source(10_000)
    prefetch = Prefetch(source, int, depth=2)
    for item, _ in prefetch:
        if item == 3:
            break
    assert source.closed
    assert (
        source.read <= 3 + 1 + 2 + 1
    )  # the item taken, the queue's depth and one in hand, not the whole source


def test_with_next_pairs_each_item_with_the_following_one():
    assert list(with_next(range(4))) == [(0, 1), (1, 2), (2, 3), (3, None)]
    assert list(with_next([])) == []


def test_with_next_raises_an_error_after_the_item_before_it():
    got = []
    with pytest.raises(OSError, match="broken at 3"):
        for item, following in with_next(Source(10, fail_at=3)):
            got.append((item, following))
    assert got == [(0, 1), (1, 2), (2, None)]
