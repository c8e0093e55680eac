"""The one bounded memo: bounded, shared, and refusing a size that holds nothing."""

from __future__ import annotations

import threading

import pytest

from oneContact._memo import BoundedMemo


def test_a_memo_starts_again_at_its_limit() -> None:
    """At its limit a memo forgets everything before it keeps the next entry."""
    memo: BoundedMemo[int, str] = BoundedMemo(3)
    for key in range(3):
        memo.put(key, str(key))
    assert (3, "2") == (len(memo), memo.get(2))
    memo.put(3, "3")
    assert (1, None, "3") == (len(memo), memo.get(0), memo.get(3))


def test_the_first_value_kept_is_the_one_every_caller_gets() -> None:
    """put returns the value already kept, so two threads that made one share the first."""
    memo: BoundedMemo[str, list[int]] = BoundedMemo(10)
    first, second = [1], [1]
    assert memo.put("k", first) is first
    assert memo.put("k", second) is first
    assert memo.get_or_make("k", lambda: [2]) is first
    assert memo.get_or_make("other", lambda: [2]) == [2]


def test_threads_share_one_value_and_the_size_stays_bounded() -> None:
    """Many threads putting many keys: never more than the limit, one value per key."""
    memo: BoundedMemo[int, object] = BoundedMemo(50)
    seen: dict[int, set[int]] = {k: set() for k in range(40)}
    lock = threading.Lock()

    def work() -> None:
        for key in range(40):
            kept = memo.get_or_make(key, object)
            with lock:
                seen[key].add(id(kept))
            assert len(memo) <= 50

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(ids) == 1 for ids in seen.values())


def test_a_memo_of_no_entries_is_refused() -> None:
    """A limit below one would keep nothing: a ValueError says so."""
    with pytest.raises(ValueError, match="at least one entry"):
        BoundedMemo(0)
