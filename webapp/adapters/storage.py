"""Blob storage for uploaded documents: encrypted at rest, one random key per file, atomic writes.

On disk a blob is `MKB1` + the file key wrapped with AES-256-GCM under the storage key (derived
from the master key) + the data's nonce + the data encrypted with AES-256-GCM under the file key.
Both encryptions take the header and the blob's name as associated data, so a file copied over
another name, or a header edited, fails to decrypt. Names are 32 random hex characters, kept in
two levels of fan-out directories (`ab/cd/abcd…`) so no directory grows past a few thousand entries.
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


class BlobCorrupted(Exception):
    """A stored blob failed authentication: tampered with, truncated or under another name."""


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


def _checked(key: str) -> str:
    """The key itself if it is 32 lower-case hex characters; anything else is refused."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError("invalid storage key")
    return key


class LocalEncryptedStorage:
    """Blobs in a local directory, each encrypted under its own random key."""

    def __init__(self, root: Path, master_key: bytes):
        self.root = Path(root)
        self._wrapper = AESGCM(derive_key(master_key, "file-storage"))
        # Names the master key without revealing it: a backup records it, and a restore with
        # another key is refused before anything is copied.
        self.key_fingerprint = hmac.new(
            derive_key(master_key, "key-fingerprint"), b"medkab", hashlib.sha256
        ).hexdigest()[:16]

    def _path(self, key: str) -> Path:
        """Where a (checked) key's blob lives."""
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        """Encrypt under a fresh file key and write atomically: temp file, fsync, rename."""
        key = secrets.token_hex(16)
        while self._path(key).exists():
            key = secrets.token_hex(16)
        file_key = AESGCM.generate_key(bit_length=256)
        wrap_nonce, data_nonce = os.urandom(_NONCE), os.urandom(_NONCE)
        bound = _MAGIC + key.encode()
        wrapped = self._wrapper.encrypt(wrap_nonce, file_key, bound)
        sealed = AESGCM(file_key).encrypt(data_nonce, data, bound)
        path = self._path(key)
        self._make_dirs(path.parent)
        out, temp = _temp_file(path.parent)
        try:
            with out:
                out.write(_MAGIC + wrap_nonce + wrapped + data_nonce)
                out.write(sealed)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)
        return key

    def get(self, key: str) -> bytes:
        """Decrypt a blob; BlobCorrupted when it does not authenticate."""
        try:
            raw = self._path(_checked(key)).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None
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

    def delete(self, key: str) -> None:
        """Remove a blob if it is there."""
        self._path(_checked(key)).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """Whether a blob file is there (its contents are not checked)."""
        return self._path(_checked(key)).is_file()

    def copy_to(self, key: str, root: Path) -> bool:
        """Copy a blob's file, still encrypted, into the same layout under another root (a
        backup or a restore); False when the blob is not there."""
        return copy_blob(self.root, key, root)

    def keys_older_than(self, seconds: float) -> list[str]:
        """Blob keys whose files were written more than `seconds` ago (for orphan sweeps)."""
        cutoff = time.time() - seconds
        return [
            path.name
            for path in self.root.glob("*/*/*")
            if not path.name.startswith(_TEMP_PREFIX) and path.stat().st_mtime < cutoff
        ]

    def sweep_temp(self, older_than_seconds: float = 3600) -> int:
        """Remove temp files left by writes that crashed; returns how many were removed."""
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

    def _make_dirs(self, directory: Path) -> None:
        """The fan-out directories, readable by the owner only."""
        for level in (self.root, directory.parent, directory):
            if not level.is_dir():
                level.mkdir(mode=0o700, parents=True, exist_ok=True)
                os.chmod(level, 0o700)


def copy_blob(source_root: Path, key: str, target_root: Path) -> bool:
    """Copy the encrypted file of key from one storage root to another (mode 0600, written to a
    temp name and renamed, like put()); False when the source has no such blob."""
    relative = Path(key[:2], key[2:4], _checked(key))
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
