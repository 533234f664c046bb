"""Encrypted blob storage: round trips, nothing readable on disk, tampering and crashes caught."""

import os
import stat
import time

import pytest

from webapp.adapters import storage as storage_module
from webapp.adapters.storage import BlobCorrupted, LocalEncryptedStorage

MASTER = bytes(range(32))
SECRET = "СНИЛС 112-233-445 95, паспорт 4510 123456. ".encode() * 200


@pytest.fixture
def store(tmp_path):
    """A storage under a temporary directory."""
    return LocalEncryptedStorage(tmp_path / "blobs", MASTER)


def blob_files(root):
    """Every file under root, temp files included."""
    return [path for path in root.rglob("*") if path.is_file()]


def test_round_trip(store):
    key = store.put(SECRET)
    assert store.exists(key)
    assert store.get(key) == SECRET
    assert store.get(store.put(b"")) == b""


def test_keys_are_random_hex_in_fan_out_directories(store):
    key = store.put(SECRET)
    assert len(key) == 32 and int(key, 16) >= 0
    (path,) = blob_files(store.root)
    assert path.relative_to(store.root).parts == (key[:2], key[2:4], key)


def test_files_and_directories_are_private(store):
    key = store.put(SECRET)
    path = store.root / key[:2] / key[2:4] / key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for directory in (store.root, path.parent.parent, path.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_plaintext_never_reaches_the_disk(store):
    store.put(SECRET)
    (path,) = blob_files(store.root)
    raw = path.read_bytes()
    assert SECRET[:40] not in raw
    assert "СНИЛС".encode() not in raw
    assert raw.startswith(b"MKB1")


def test_same_data_twice_gives_different_keys_and_ciphertexts(store):
    first, second = store.put(SECRET), store.put(SECRET)
    assert first != second
    a, b = sorted(blob_files(store.root))
    assert a.read_bytes()[4:] != b.read_bytes()[4:]


@pytest.mark.parametrize("offset", [0, 6, 30, 70, -1])
def test_any_flipped_byte_is_detected(store, offset):
    key = store.put(SECRET)
    (path,) = blob_files(store.root)
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(BlobCorrupted):
        store.get(key)


def test_truncated_blob_is_detected(store):
    key = store.put(SECRET)
    (path,) = blob_files(store.root)
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(BlobCorrupted):
        store.get(key)


def test_blob_moved_under_another_name_does_not_decrypt(store):
    first, second = store.put(SECRET), store.put(b"other")
    first_path = store.root / first[:2] / first[2:4] / first
    second_path = store.root / second[:2] / second[2:4] / second
    os.replace(first_path, second_path)
    with pytest.raises(BlobCorrupted):
        store.get(second)


def test_another_master_key_cannot_read(store):
    key = store.put(SECRET)
    with pytest.raises(BlobCorrupted):
        LocalEncryptedStorage(store.root, bytes(32)).get(key)


@pytest.mark.parametrize(
    "key",
    [
        "../../../../etc/passwd",
        "ab/../../" + "0" * 23,
        "0" * 31,
        "0" * 33,
        "ABCDEF" + "0" * 26,
        "g" * 32,
        "",
        "0" * 31 + "\n",
        None,
    ],
)
def test_keys_that_are_not_32_hex_characters_are_refused(store, key):
    for operation in (store.get, store.delete, store.exists):
        with pytest.raises(ValueError):
            operation(key)


def test_missing_key_and_delete(store):
    key = store.put(SECRET)
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(KeyError):
        store.get(key)
    store.delete(key)


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_crash_during_the_write_leaves_no_file_behind(store, monkeypatch, failing):
    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(storage_module.os, failing, crash)
    with pytest.raises(OSError, match="disk full"):
        store.put(SECRET)
    assert blob_files(store.root) == []


def test_a_half_written_file_never_appears_under_its_final_name(store, monkeypatch):
    seen_during_write = []
    real_fsync = os.fsync

    def look_then_crash(descriptor):
        seen_during_write.extend(path.name for path in blob_files(store.root))
        real_fsync(descriptor)
        raise KeyboardInterrupt

    monkeypatch.setattr(storage_module.os, "fsync", look_then_crash)
    with pytest.raises(KeyboardInterrupt):
        store.put(SECRET)
    assert len(seen_during_write) == 1 and seen_during_write[0].startswith(".tmp-")
    assert blob_files(store.root) == []


def test_sweep_removes_old_temp_files_only(store):
    key = store.put(SECRET)
    directory = store.root / key[:2] / key[2:4]
    old, fresh = directory / ".tmp-old", directory / ".tmp-fresh"
    old.write_bytes(b"half a blob")
    fresh.write_bytes(b"being written")
    an_hour_ago = time.time() - 7200
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert store.sweep_temp(older_than_seconds=3600) == 1
    assert not old.exists() and fresh.exists()
    assert store.get(key) == SECRET
