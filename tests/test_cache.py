"""The partition cache (`builder.cache`): entries, checksums, eviction, a cache that cannot be
written, and two processes sharing one cache."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import numpy as np
import pytest

from builder.cache import META, VALUE, PartitionCache, code_fingerprint, key


def entry_with_file(cache: PartitionCache, tmp_path: Path, name: str = "k1") -> bytes:
    data = os.urandom(100_000)
    (tmp_path / "part").write_bytes(data)
    cache.put(name, {"rows": 3}, {"0": tmp_path / "part"})
    return data


def test_round_trip(tmp_path: Path) -> None:
    cache = PartitionCache(tmp_path / "c", 10**9)
    data = entry_with_file(cache, tmp_path)
    entry = cache.get("k1")
    assert entry is not None and entry.value == {"rows": 3}
    assert entry.restore("0", tmp_path / "back")
    assert (tmp_path / "back").read_bytes() == data
    assert cache.get("other") is None


@pytest.mark.parametrize("damage", ["flip", "truncate", "meta", "value"])
def test_a_damaged_entry_is_detected_removed_and_recomputed(tmp_path: Path,
                                                           damage: str) -> None:
    cache = PartitionCache(tmp_path / "c", 10**9)
    entry_with_file(cache, tmp_path)
    folder = tmp_path / "c" / "k1"[:2] / "k1"
    if damage == "flip":
        raw = bytearray((folder / "f.0").read_bytes())
        raw[50_000] ^= 1
        (folder / "f.0").write_bytes(bytes(raw))
    elif damage == "truncate":
        with open(folder / "f.0", "r+b") as fh:
            fh.truncate(1000)
    elif damage == "meta":
        (folder / META).write_text((folder / META).read_text()[:20])
    else:
        (folder / VALUE).write_bytes((folder / VALUE).read_bytes()[:-3])
    entry = cache.get("k1")
    if entry is not None:  # the value was whole: the file is checked as it is restored
        assert not entry.restore("0", tmp_path / "back")
        assert not (tmp_path / "back").exists()
    assert not folder.exists()  # removed, so the next build recomputes and stores it again
    entry_with_file(cache, tmp_path)
    assert cache.get("k1") is not None


def test_code_fingerprint_follows_the_code(tmp_path: Path) -> None:
    """A key holds the code's fingerprint: changed code never meets the entries of the old."""
    base = code_fingerprint(("builder/cache.py",))
    assert base == code_fingerprint(("builder/cache.py",))
    assert base != code_fingerprint(("builder/cache.py", "builder/rows.py"))
    for version in ("old", "new", "same"):  # one tree per version: fingerprints are memoized
        (tmp_path / version / "pkg").mkdir(parents=True)
        (tmp_path / version / "pkg" / "votes.py").write_text(
            "VOTE = 2\n" if version == "new" else "VOTE = 1\n")
    before, after = (code_fingerprint(("pkg",), tmp_path / v) for v in ("old", "new"))
    assert before != after
    assert before == code_fingerprint(("pkg",), tmp_path / "same")
    assert key("scope", before, "part") != key("scope", after, "part")
    with pytest.raises(ValueError):
        code_fingerprint(("builder/nowhere.py",))


def test_least_recently_used_entries_are_evicted(tmp_path: Path) -> None:
    cache = PartitionCache(tmp_path / "c", 250_000)
    for name in ("a1", "b2", "c3"):
        entry_with_file(cache, tmp_path, name)
        os.utime(tmp_path / "c" / name[:2] / name / META, (time.time() - 100, time.time() - 100))
    assert cache.get("a1") is not None  # used now: the most recent
    left = cache.trim()
    assert left <= 250_000
    assert cache.get("a1") is not None and cache.get("c3") is not None
    assert cache.get("b2") is None


@pytest.mark.parametrize("where", ["file", "proc", "full"])
def test_a_cache_that_cannot_be_written_is_turned_off_with_one_warning(
        tmp_path: Path, where: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import builder.cache

    monkeypatch.setattr(builder.cache, "_warned", set())  # once per process: not the others'
    if where == "file":  # the cache path is a file (root ignores chmod, so no read-only dir)
        folder = tmp_path / "taken"
        folder.write_text("not a folder")
    elif where == "full":  # a full disk (checked by hand on a 512 KiB tmpfs too)
        import errno

        def no_space(source, target):
            raise OSError(errno.ENOSPC, "No space left on device", str(target))

        monkeypatch.setattr(builder.cache, "_link_or_copy", no_space)
        folder = tmp_path / "full"
    else:
        folder = Path("/proc/flywheel-cache")
    cache = PartitionCache(folder, 10**9)
    for name in ("a1", "b2", "c3"):
        (tmp_path / "part").write_bytes(b"x" * 10)
        cache.put(name, 1, {"0": tmp_path / "part"})
    assert cache.off and cache.get("a1") is None
    assert capsys.readouterr().err.count("warning: the partition cache") == 1


def _writer(folder: str, rounds: int, seed: int, queue) -> None:
    """Write and read the same keys as another process; report bad reads."""
    cache = PartitionCache(Path(folder), 10**10)
    rng = np.random.default_rng(seed)
    work = Path(folder).parent / f"w{seed}"
    work.mkdir(exist_ok=True)
    bad = 0
    for i in range(rounds):
        name = f"{rng.integers(0, 8):02d}key"
        payload = (name.encode() * 200_000)[:2_000_000]  # the content follows the key
        entry = cache.get(name)
        if entry is None:
            # A new file each time, as the stages write: the last one is linked into the cache,
            # and rewriting it in place would change that entry's bytes under a reader.
            (work / "part").unlink(missing_ok=True)
            (work / "part").write_bytes(payload)
            cache.put(name, {"name": name}, {"0": work / "part"})
        else:
            target = work / f"back{i}"
            if entry.value != {"name": name}:
                bad += 1
            # False: evicted by the other process meanwhile (the caller recomputes); never
            # True with other bytes.
            elif entry.restore("0", target) and target.read_bytes() != payload:
                bad += 1
            target.unlink(missing_ok=True)
        if i % 7 == 0:
            cache.discard(name)  # evictions while the other process reads
    queue.put((bad, cache.off))


@pytest.mark.slow
def test_two_processes_sharing_one_cache_never_read_a_half_written_entry(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    folder = str(tmp_path / "shared")
    workers = [context.Process(target=_writer, args=(folder, 60, seed, queue))
               for seed in (1, 2)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert results == [(0, False), (0, False)]
