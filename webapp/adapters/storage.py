"""Blob storage for uploaded documents: encrypted at rest, one random key per file, no overwrites.

The encryption (`EncryptedStorage`) is the same whatever holds the bytes; a `BlobStore` only keeps
opaque ciphertext under a key: `FileBlobStore` in a local directory, `S3BlobStore` in an S3 bucket
(docs/decisions.md «Object storage (S3)»). A blob is `MKB1` + the file key wrapped with AES-256-GCM
under the storage key (derived from the master key) + the data's nonce + the data encrypted with
AES-256-GCM under the file key. Both encryptions take the header and the blob's name as associated
data, so a blob copied over another name, or a header edited, fails to decrypt. Names are 32 random
hex characters, kept under two levels of fan-out (`ab/cd/abcd…`), as directories on disk and as the
object key's prefix in a bucket.
"""

import hashlib
import hmac
import os
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from webapp.crypto import derive_key

_MAGIC = b"MKB1"
_NONCE = 12
_WRAPPED = 32 + 16
_HEADER = len(_MAGIC) + _NONCE + _WRAPPED + _NONCE
_KEY = re.compile(r"[0-9a-f]{32}")
_TEMP_PREFIX = ".tmp-"
_CHUNK = 1024 * 1024


class BlobCorrupted(Exception):
    """A stored blob failed authentication: tampered with, truncated or under another name."""


class BlobExists(Exception):
    """A write to a key that already holds bytes: refused, never an overwrite."""


class Storage(Protocol):
    """Where document bytes live; keys are opaque strings made by put()."""

    def put(self, data: bytes) -> str:
        """Store bytes under a new random key and return the key."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes stored under key; KeyError when there are none."""
        ...

    def delete(self, key: str) -> None:
        """Forget key; deleting a missing key is not an error."""
        ...

    def exists(self, key: str) -> bool:
        """Whether key holds bytes."""
        ...


class BlobStore(Protocol):
    """Opaque (already encrypted) bytes under checked keys; nothing here sees plaintext."""

    def put_new(self, key: str, data: bytes | BinaryIO) -> None:
        """Store data (bytes, or a binary file read to its end) under key; BlobExists when the
        key already holds bytes."""
        ...

    def get(self, key: str) -> bytes:
        """The stored bytes; KeyError when there are none."""
        ...

    def delete(self, key: str) -> None:
        """Forget key; a missing key is not an error."""
        ...

    def exists(self, key: str) -> bool:
        """Whether key holds bytes."""
        ...

    def size(self, key: str) -> int | None:
        """How many bytes key holds; None when it holds none."""
        ...

    def keys_older_than(self, seconds: float) -> list[str]:
        """Keys written more than `seconds` ago (for orphan sweeps)."""
        ...

    def sweep_temp(self, older_than_seconds: float = 3600) -> int:
        """Remove what crashed writes left behind; how many were removed."""
        ...


def _checked(key: str) -> str:
    """The key itself if it is 32 lower-case hex characters; anything else is refused."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError("invalid storage key")
    return key


def is_key(name: str) -> bool:
    """Whether name is a storage key (32 lower-case hex characters)."""
    return bool(_KEY.fullmatch(name))


def blob_name(key: str) -> str:
    """A (checked) key's place in the fan-out layout: `ab/cd/abcd…`."""
    return f"{key[:2]}/{key[2:4]}/{_checked(key)}"


def key_fingerprint(master_key: bytes) -> str:
    """Names the master key without revealing it: a backup records it, and a restore with
    another key is refused before anything is copied."""
    return hmac.new(
        derive_key(master_key, "key-fingerprint"), b"medkab", hashlib.sha256
    ).hexdigest()[:16]


class EncryptedStorage:
    """Blobs in any BlobStore, each encrypted here under its own random key."""

    def __init__(self, blobs: BlobStore, master_key: bytes):
        self.blobs = blobs
        self._master = master_key
        self._wrapper = AESGCM(derive_key(master_key, "file-storage"))
        self.key_fingerprint = key_fingerprint(master_key)

    def with_blobs(self, blobs: BlobStore) -> "EncryptedStorage":
        """The same encryption over another store (a migration's target)."""
        return EncryptedStorage(blobs, self._master)

    def seal(self, key: str, data: bytes) -> bytes:
        """The blob of data under key: header, then ciphertext, both bound to the key."""
        file_key = AESGCM.generate_key(bit_length=256)
        wrap_nonce, data_nonce = os.urandom(_NONCE), os.urandom(_NONCE)
        bound = _MAGIC + key.encode()
        wrapped = self._wrapper.encrypt(wrap_nonce, file_key, bound)
        sealed = AESGCM(file_key).encrypt(data_nonce, data, bound)
        return b"".join((_MAGIC, wrap_nonce, wrapped, data_nonce, sealed))

    def open(self, key: str, raw: bytes) -> bytes:
        """The plaintext of a blob read under key; BlobCorrupted when it does not authenticate."""
        if len(raw) < _HEADER + 16 or not raw.startswith(_MAGIC):
            raise BlobCorrupted(key)
        wrap_nonce = raw[4 : 4 + _NONCE]
        wrapped = raw[4 + _NONCE : 4 + _NONCE + _WRAPPED]
        data_nonce = raw[4 + _NONCE + _WRAPPED : _HEADER]
        bound = _MAGIC + key.encode()
        try:
            file_key = self._wrapper.decrypt(wrap_nonce, wrapped, bound)
            return AESGCM(file_key).decrypt(data_nonce, raw[_HEADER:], bound)
        except InvalidTag:
            raise BlobCorrupted(key) from None

    def put(self, data: bytes) -> str:
        """Encrypt under a fresh file key and a fresh random name, written only if the name is
        free (a taken one, or a retried write that already landed, gets another name)."""
        while True:
            key = secrets.token_hex(16)
            try:
                self.blobs.put_new(key, self.seal(key, data))
            except BlobExists:
                continue
            return key

    def get(self, key: str) -> bytes:
        """Decrypt a blob; KeyError when missing, BlobCorrupted when it does not authenticate."""
        return self.open(key, self.blobs.get(_checked(key)))

    def delete(self, key: str) -> None:
        """Remove a blob if it is there."""
        self.blobs.delete(_checked(key))

    def exists(self, key: str) -> bool:
        """Whether a blob is there (its contents are not checked)."""
        return self.blobs.exists(_checked(key))

    def keys_older_than(self, seconds: float) -> list[str]:
        """Blob keys written more than `seconds` ago (for orphan sweeps)."""
        return self.blobs.keys_older_than(seconds)

    def sweep_temp(self, older_than_seconds: float = 3600) -> int:
        """Remove what crashed writes left; returns how many were removed."""
        return self.blobs.sweep_temp(older_than_seconds)

    def copy_to(self, key: str, root: Path) -> bool:
        """Copy a blob, still encrypted, into the local layout under root (a backup); False
        when the blob is not there."""
        try:
            raw = self.blobs.get(_checked(key))
        except KeyError:
            return False
        target = Path(root) / blob_name(key)
        _make_private_dirs(Path(root), target.parent)
        out, temp = _temp_file(target.parent)
        try:
            with out:
                out.write(raw)
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return True

    def copy_from(self, source_root: Path, key: str) -> bool:
        """Store the encrypted file of key from a local layout (a restore); False when the
        source has no such file."""
        try:
            with open(Path(source_root) / blob_name(key), "rb") as source:
                self.blobs.put_new(key, source)
        except FileNotFoundError:
            return False
        return True

    def is_empty(self) -> bool:
        """Whether no blob at all is stored."""
        return not self.blobs.keys_older_than(-86400)


class FileBlobStore:
    """Blobs as files in a local directory: temp file, fsync, rename; mode 0600 under 0700."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        """Where a key's blob lives."""
        return self.root / blob_name(key)

    def put_new(self, key: str, data: bytes | BinaryIO) -> None:
        """Write atomically under key; BlobExists when a file is already there (names are 128
        random bits, so this only guards against a bug, not a race)."""
        path = self._path(key)
        if path.exists():
            raise BlobExists(key)
        _make_private_dirs(self.root, path.parent)
        out, temp = _temp_file(path.parent)
        try:
            with out:
                if isinstance(data, bytes | bytearray | memoryview):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, _CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    def get(self, key: str) -> bytes:
        """The file's bytes; KeyError when there is none."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        """Remove the file if it is there."""
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """Whether the file is there."""
        return self._path(key).is_file()

    def size(self, key: str) -> int | None:
        """The file's length; None when it is not there."""
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def keys_older_than(self, seconds: float) -> list[str]:
        """Keys whose files were written more than `seconds` ago."""
        cutoff = time.time() - seconds
        return [
            path.name
            for path in self.root.glob("*/*/*")
            if not path.name.startswith(_TEMP_PREFIX) and path.stat().st_mtime < cutoff
        ]

    def sweep_temp(self, older_than_seconds: float = 3600) -> int:
        """Remove temp files left by writes that crashed."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for leftover in self.root.glob(f"*/*/{_TEMP_PREFIX}*"):
            try:
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


class LocalEncryptedStorage(EncryptedStorage):
    """Blobs in a local directory, each encrypted under its own random key."""

    def __init__(self, root: Path, master_key: bytes):
        super().__init__(FileBlobStore(root), master_key)
        self.root = Path(root)

    def copy_to(self, key: str, root: Path) -> bool:
        """Copy a blob's file, still encrypted, into the same layout under another root (a
        backup or a restore); False when the blob is not there."""
        return copy_blob(self.root, key, root)

    def copy_from(self, source_root: Path, key: str) -> bool:
        """Copy a blob's file from a backup's layout into this root."""
        return copy_blob(source_root, key, self.root)

    def is_empty(self) -> bool:
        """Whether the directory holds no file at all (temp files included)."""
        return not any(self.root.glob("*/*/*"))


def storage_from_config(config, files_root: Path, master_key: bytes) -> EncryptedStorage:
    """The storage STORAGE_BACKEND names: "local" (files under files_root) or "s3"."""
    backend = config.get("STORAGE_BACKEND", "local")
    if backend == "local":
        return LocalEncryptedStorage(files_root, master_key)
    if backend == "s3":
        from webapp.adapters.s3 import s3_from_config

        return EncryptedStorage(s3_from_config(config), master_key)
    raise ValueError(f"unknown STORAGE_BACKEND {backend!r} (local or s3)")


def copy_blob(source_root: Path, key: str, target_root: Path) -> bool:
    """Copy the encrypted file of key from one storage root to another (mode 0600, written to a
    temp name and renamed, like put()); False when the source has no such blob."""
    relative = Path(blob_name(key))
    target = Path(target_root) / relative
    for level in (target.parent.parent.parent, target.parent.parent, target.parent):
        level.mkdir(mode=0o700, exist_ok=True)
    out, temp = _temp_file(target.parent)
    try:
        with out, open(Path(source_root) / relative, "rb") as source:
            shutil.copyfileobj(source, out)
        os.replace(temp, target)
    except FileNotFoundError:
        temp.unlink(missing_ok=True)
        return False
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return True


def _make_private_dirs(root: Path, directory: Path) -> None:
    """The fan-out directories, readable by the owner only."""
    for level in (root, directory.parent, directory):
        if not level.is_dir():
            level.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(level, 0o700)


def _temp_file(directory: Path) -> tuple[BinaryIO, Path]:
    """An exclusive new temp file (mode 0600) beside the final name, open for writing."""
    while True:
        name = directory / f"{_TEMP_PREFIX}{secrets.token_hex(8)}"
        try:
            return os.fdopen(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb"), name
        except FileExistsError:
            continue


def _fsync_dir(directory: Path) -> None:
    """Make a rename in directory durable."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
