"""A backup that restores: the database and the encrypted files it refers to, as of one moment.

`create()` copies the database with SQLite's online backup API in one step (one read transaction
in WAL mode: a consistent snapshot that writers do not wait for and that never restarts), then
copies, still encrypted, exactly the files that snapshot refers to. Files are written before the
row that names them and deleted only after the row is gone, so every file a snapshot names
existed when it was taken; one deleted since (the document removed during the backup) is missing
at copy time, and then a new snapshot is taken, which no longer names it. Keys are never in a
backup (docs/decisions.md «Backup and restore»): the manifest records the data key's fingerprint
so `restore()` refuses a key that cannot read the copy.
"""

import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from webapp.adapters.storage import BlobCorrupted
from webapp.clock import now_iso
from webapp.db import connect

DATABASE = "medkab.sqlite3"
FILES = "files"
MANIFEST = "manifest.json"
ATTEMPTS = 5
# Kept out of every backup, to be saved once, separately (they do not change).
KEYS = {
    "data_key": "мастер-ключ: без него не прочитать ни документы, ни СНИЛС, ИНН и паспорт "
    "(или значение MEDKAB_DATA_KEY)",
    "secret_key": "подпись ссылок из писем (сброс пароля, подтверждение, «Это был не я») и "
    "CSRF-токенов: с новым ключом отправленные ссылки перестанут работать",
    "extract-signing.key": "ключ подписи выписок вместе с extract-signing.crt; новый ключ не "
    "подтвердит уже выданные выписки",
    "vapid-private.pem": "ключ Web Push; новый ключ отключит push-уведомления на всех устройствах",
}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is for the administrator, in Russian."""


@dataclass(frozen=True)
class Summary:
    """What a backup or restore wrote."""

    files: int
    attempts: int = 1


def referenced_keys(db) -> set[str]:
    """Every storage key the database refers to: document versions, application copies and
    выписки."""
    from webapp.applications.store import all_keys as application_keys
    from webapp.documents.store import all_keys as document_keys

    return document_keys(db) | application_keys(db)


def snapshot(source: Path, target: Path) -> None:
    """Copy the database at one moment into target (replaced atomically, mode 0600)."""
    temp = target.with_name(target.name + ".part")
    temp.unlink(missing_ok=True)
    origin = sqlite3.connect(source, timeout=30)
    copy = sqlite3.connect(temp)
    try:
        origin.backup(copy)  # pages=-1: all pages in one step, under one read transaction
        copy.execute("pragma journal_mode=delete")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
        origin.close()
    temp.chmod(0o600)
    os.replace(temp, target)


def _integrity(path: Path) -> str:
    """SQLite's own verdict on a database file: 'ok' or the first problems it found."""
    conn = sqlite3.connect(path)
    try:
        return "; ".join(row[0] for row in conn.execute("pragma integrity_check"))
    finally:
        conn.close()


def _keys_in(path: Path) -> set[str]:
    """The storage keys a database file refers to."""
    db = connect(path)
    try:
        return referenced_keys(db)
    finally:
        db.close()


def create(database: Path, storage, target: Path) -> Summary:
    """Write a backup into the new directory target: the database, its files, a manifest."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} уже существует: выберите другое имя.")
    target.mkdir(mode=0o700, parents=True)
    files = target / FILES
    files.mkdir(mode=0o700)
    copied: set[str] = set()
    attempts = 0
    while True:
        attempts += 1
        snapshot(Path(database), target / DATABASE)
        wanted = _keys_in(target / DATABASE)
        missing = {key for key in wanted - copied if not storage.copy_to(key, files)}
        copied |= wanted - missing
        if not missing:
            break
        if attempts == ATTEMPTS:
            raise BackupError(
                f"Файлы документов удалялись быстрее, чем шло копирование ({ATTEMPTS} попыток); "
                "повторите позже."
            )
    for stale in copied - wanted:  # named by an earlier snapshot only
        (files / stale[:2] / stale[2:4] / stale).unlink()
    verdict = _integrity(target / DATABASE)
    if verdict != "ok":
        raise BackupError(f"Копия базы данных повреждена: {verdict}")
    manifest = {
        "created_at": now_iso(),
        "database": DATABASE,
        "files": len(wanted),
        "data_key_fingerprint": storage.key_fingerprint,
        "keys_not_included": KEYS,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    os.sync()
    return Summary(files=len(wanted), attempts=attempts)


def _is_empty_database(path: Path) -> bool:
    """No file, or a file without a single table."""
    if not path.exists():
        return True
    conn = sqlite3.connect(path)
    try:
        return all(row[1].startswith("sqlite_") for row in conn.execute("pragma table_list"))
    finally:
        conn.close()


def restore(source: Path, database: Path, storage) -> Summary:
    """Put a backup into a new instance: refuse a key that cannot read it and an instance that
    already has data; copy the database and files; check that every file decrypts."""
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"В {source} нет резервной копии (manifest.json).") from exc
    if manifest["data_key_fingerprint"] != storage.key_fingerprint:
        raise BackupError(
            "Ключ данных этого экземпляра не подходит к копии: положите в него data_key "
            "(или MEDKAB_DATA_KEY) того сервера, где копия сделана."
        )
    database = Path(database)
    if not _is_empty_database(database) or not storage.is_empty():
        raise BackupError(
            "Восстанавливать можно только в новый, пустой экземпляр: здесь уже есть данные."
        )
    verdict = _integrity(source / DATABASE)
    if verdict != "ok":
        raise BackupError(f"Копия базы данных повреждена: {verdict}")
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)  # an empty one
    shutil.copyfile(source / DATABASE, database)
    database.chmod(0o600)
    conn = sqlite3.connect(database)
    conn.execute("pragma journal_mode=wal")  # as migrate() leaves a served database
    conn.close()
    keys = _keys_in(database)
    missing = sorted(key for key in keys if not storage.copy_from(source / FILES, key))
    unreadable = []
    for key in sorted(keys - set(missing)):
        try:
            storage.get(key)
        except (KeyError, BlobCorrupted):
            unreadable.append(key)
    if missing or unreadable:
        raise BackupError(
            f"Восстановлено с ошибками: нет файлов — {len(missing)}, "
            f"не расшифровываются — {len(unreadable)}: {', '.join((missing + unreadable)[:5])}"
        )
    return Summary(files=len(keys))
