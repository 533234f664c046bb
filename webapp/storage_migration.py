"""Copy the encrypted files the database refers to from the local directory into another blob
store (S3), idempotently and resumably, verifying each copy.

A key already in the target with the same size is not copied again, and a write is conditional,
so running twice, or again after an interruption, only does what is left. Every key is then
checked: the target's bytes must have the local file's SHA-256 (when the local file is there) and
must decrypt under the data key. Nothing is deleted locally.
"""

import hashlib
from dataclasses import dataclass, field

from webapp.adapters.storage import (
    BlobCorrupted,
    BlobExists,
    BlobStore,
    EncryptedStorage,
    FileBlobStore,
    blob_name,
)


@dataclass
class Summary:
    """What a migration did, key by key."""

    copied: int = 0
    already: int = 0
    missing: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every key is in the target and verified."""
        return not self.missing and not self.failed


def migrate(
    keys: set[str], source: FileBlobStore, target: BlobStore, storage: EncryptedStorage
) -> Summary:
    """Copy each key from source to target unless it is there already, then verify it."""
    summary = Summary()
    for key in sorted(keys):
        local_size, remote_size = source.size(key), target.size(key)
        if local_size is None and remote_size is None:
            summary.missing.append(key)
            continue
        if remote_size is None:
            with open(source.root / blob_name(key), "rb") as body:
                try:
                    target.put_new(key, body)
                    summary.copied += 1
                except BlobExists:  # a concurrent run wrote it a moment ago
                    summary.already += 1
        elif local_size is not None and local_size != remote_size:
            summary.failed.append(key)
            continue
        else:
            summary.already += 1
        if not _verified(key, source, target, storage):
            summary.failed.append(key)
    return summary


def _verified(key: str, source: FileBlobStore, target: BlobStore, storage) -> bool:
    """The target's bytes are the local file's (SHA-256) and decrypt under the data key."""
    try:
        raw = target.get(key)
        storage.open(key, raw)
    except (KeyError, BlobCorrupted):
        return False
    try:
        with open(source.root / blob_name(key), "rb") as local:
            expected = hashlib.file_digest(local, "sha256").digest()
    except FileNotFoundError:
        return True  # only in the target: its decryption is the check
    return hashlib.sha256(raw).digest() == expected
