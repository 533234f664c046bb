"""One storage contract, held by the local directory and by S3 (a real SeaweedFS server)."""

import os
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from webapp.adapters.s3 import s3_from_config
from webapp.adapters.storage import (
    BlobCorrupted,
    BlobExists,
    EncryptedStorage,
    LocalEncryptedStorage,
    blob_name,
)

MASTER = bytes(range(32))
SECRET = "СНИЛС 112-233-445 95, паспорт 4510 123456. ".encode() * 200


@dataclass
class Backend:
    """A storage under test and a way around it to the stored bytes."""

    storage: EncryptedStorage
    read_raw: Callable[[str], bytes]
    write_raw: Callable[[str, bytes], None]


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path) -> Backend:
    if request.param == "local":
        storage = LocalEncryptedStorage(tmp_path / "blobs", MASTER)
        path = lambda key: storage.root / blob_name(key)  # noqa: E731
        return Backend(
            storage, lambda key: path(key).read_bytes(), lambda key, b: path(key).write_bytes(b)
        )
    settings, raw = request.getfixturevalue("s3_settings"), request.getfixturevalue("raw_s3")
    storage = EncryptedStorage(s3_from_config(settings), MASTER)
    bucket = settings["S3_BUCKET"]
    return Backend(
        storage,
        lambda key: raw.get_object(Bucket=bucket, Key=blob_name(key))["Body"].read(),
        lambda key, b: raw.put_object(Bucket=bucket, Key=blob_name(key), Body=b),
    )


def test_round_trip(backend):
    key = backend.storage.put(SECRET)
    assert backend.storage.exists(key)
    assert backend.storage.get(key) == SECRET
    assert backend.storage.get(backend.storage.put(b"")) == b""


def test_the_store_holds_only_ciphertext(backend):
    key = backend.storage.put(SECRET)
    raw = backend.read_raw(key)
    assert raw.startswith(b"MKB1")
    assert SECRET[:40] not in raw and "СНИЛС".encode() not in raw


def test_a_second_write_to_a_taken_key_is_refused(backend):
    key = backend.storage.put(SECRET)
    before = backend.read_raw(key)
    with pytest.raises(BlobExists):
        backend.storage.blobs.put_new(key, b"MKB1 a retry or a collision")
    assert backend.read_raw(key) == before
    assert backend.storage.get(key) == SECRET


def test_a_missing_key_raises_key_error_and_deletes_quietly(backend):
    key = backend.storage.put(SECRET)
    backend.storage.delete(key)
    assert not backend.storage.exists(key)
    with pytest.raises(KeyError):
        backend.storage.get(key)
    backend.storage.delete(key)
    with pytest.raises(KeyError):
        backend.storage.get("0" * 32)


@pytest.mark.parametrize("offset", [0, 30, -1])
def test_a_tampered_object_does_not_decrypt(backend, offset):
    key = backend.storage.put(SECRET)
    raw = bytearray(backend.read_raw(key))
    raw[offset] ^= 0x01
    backend.write_raw(key, bytes(raw))
    with pytest.raises(BlobCorrupted):
        backend.storage.get(key)


def test_an_object_under_another_name_does_not_decrypt(backend):
    first, second = backend.storage.put(SECRET), backend.storage.put(b"other")
    backend.storage.delete(second)
    backend.write_raw(second, backend.read_raw(first))
    with pytest.raises(BlobCorrupted):
        backend.storage.get(second)


def test_invalid_keys_are_refused(backend):
    for operation in (backend.storage.get, backend.storage.delete, backend.storage.exists):
        with pytest.raises(ValueError):
            operation("../../etc/passwd")


def test_the_sweep_lists_keys_by_age(backend):
    key = backend.storage.put(SECRET)
    assert key in backend.storage.keys_older_than(-60)
    assert key not in backend.storage.keys_older_than(3600)
    assert backend.storage.sweep_temp(3600) == 0


def test_a_large_object_round_trips(backend):
    body = os.urandom(20 * 1024 * 1024)
    key = backend.storage.put(body)
    assert backend.storage.get(key) == body
    assert len(backend.read_raw(key)) == len(body) + 4 + 12 + 48 + 12 + 16


def test_a_large_file_is_streamed_in_parts_without_overwriting(backend, tmp_path):
    blobs = backend.storage.blobs
    if hasattr(blobs, "multipart_threshold"):
        blobs.multipart_threshold = blobs.part_size = 5 * 1024 * 1024
    key = backend.storage.put(b"first")
    source = tmp_path / "sealed"
    source.write_bytes(backend.storage.seal(key, os.urandom(12 * 1024 * 1024)))
    with open(source, "rb") as body, pytest.raises(BlobExists):
        blobs.put_new(key, body)
    assert backend.storage.get(key) == b"first"
    other = "ab" * 16
    sealed = backend.storage.seal(other, SECRET * 1000)
    source.write_bytes(sealed)
    with open(source, "rb") as body:
        blobs.put_new(other, body)
    assert backend.read_raw(other) == sealed
    assert backend.storage.get(other) == SECRET * 1000
