"""Command-line tasks: `flask --app wsgi <command>`."""

import secrets
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from webapp import audit
from webapp import backup as backups
from webapp.applications import demo as demo_applications
from webapp.auth.passwords import hash_password, password_problem, personal_words
from webapp.auth.store import sessions
from webapp.auth.store import users as store
from webapp.clock import today
from webapp.db import connect, migrate
from webapp.profile import reminder_runner
from webapp.profile.store.demo import seed_record
from webapp.validators import (
    normalize_phone,
    normalize_snils,
    snils_checksum,
    snils_is_valid,
)

DEMO = (
    # role, surname, name, patronymic, phone, email, first 9 digits of the СНИЛС
    (
        "worker",
        "Смирнова",
        "Анна",
        "Викторовна",
        "+79000000001",
        "worker@demo.medkab.local",
        "112233445",
    ),
    (
        "reviewer",
        "Петров",
        "Игорь",
        "Сергеевич",
        "+79000000002",
        "reviewer@demo.medkab.local",
        "223344556",
    ),
    (
        "orgadmin",
        "Соколова",
        "Елена",
        "Андреевна",
        "+79000000004",
        "hr@demo.medkab.local",
        "445566778",
    ),
    (
        "admin",
        "Кузнецова",
        "Мария",
        "Олеговна",
        "+79000000003",
        "admin@demo.medkab.local",
        "334455667",
    ),
)


def _db():
    return connect(current_app.config["DATABASE"])


def make_user(
    db, *, role, surname, name, patronymic, phone, email, snils, birth_date, password
) -> int:
    """Create an active account with a confirmed phone (CLI and demo seed)."""
    with db.atomic():
        user_id = store.create_user(
            db,
            current_app.extensions["cipher"],
            surname=surname,
            name=name,
            patronymic=patronymic,
            birth_date=birth_date,
            snils=snils,
            phone=phone,
            email=email,
            password_hash=hash_password(current_app.config, password),
            roles=(role,),
            status="active",
        )
        audit.record(
            db,
            "user.create",
            subject_user_id=user_id,
            object_type="user",
            object_id=user_id,
            details={"role": role, "via": "cli"},
        )
    return user_id


@click.command("db-migrate")
@with_appcontext
def db_migrate():
    """Apply pending database migrations."""
    db = _db()
    applied = migrate(db)
    db.close()
    click.echo(f"Миграции применены: {', '.join(applied)}" if applied else "База данных актуальна.")


# Applicants who fill the demo reviewer's queue (they cannot sign in: their passwords are
# random and never shown).
DEMO_APPLICANTS = (
    ("Кузьмина", "Ольга", "Игоревна"),
    ("Фёдоров", "Дмитрий", "Алексеевич"),
    ("Никитина", "Светлана", "Павловна"),
    ("Алиев", "Руслан", "Маратович"),
    ("Орлова", "Екатерина", "Сергеевна"),
    ("Белов", "Артём", "Николаевич"),
    ("Зайцева", "Наталья", "Владимировна"),
)


def _demo_snils(number: int) -> str:
    first9 = f"{number:09d}"
    return normalize_snils(f"{first9}{snils_checksum(first9):02d}")


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Create the demo worker, reviewer, HR admin and admin, only into an empty database."""
    db = _db()
    if store.count_users(db):
        click.echo("Демо-данные не созданы: в базе уже есть пользователи.")
        return
    lines = []
    ids = {}
    for role, surname, name, patronymic, phone, email, first9 in DEMO:
        snils = normalize_snils(f"{first9}{snils_checksum(first9):02d}")
        password = "-".join(secrets.token_hex(3) for _ in range(3)) + "-demo"
        ids[role] = make_user(
            db,
            role=role,
            surname=surname,
            name=name,
            patronymic=patronymic,
            phone=phone,
            email=email,
            snils=snils,
            birth_date=date(1985, 4, 12),
            password=password,
        )
        lines.append(
            f"  {store.ROLE_TITLES[role]:<14} телефон {phone}  СНИЛС {snils}  "
            f"email {email}  пароль {password}"
        )
    seed_record(db, ids["worker"], ids["orgadmin"], today())
    applicants = [
        make_user(
            db,
            role="worker",
            surname=surname,
            name=name,
            patronymic=patronymic,
            phone=f"+7900000{10 + n:04d}",
            email=f"applicant{n}@demo.medkab.local",
            snils=normalize_snils(
                f"{500000000 + n * 1111:09d}{snils_checksum(f'{500000000 + n * 1111:09d}'):02d}"
            ),
            birth_date=date(1990, 1, 1) + timedelta(days=97 * n),
            password=secrets.token_urlsafe(24),
        )
        for n, (surname, name, patronymic) in enumerate(DEMO_APPLICANTS)
    ]
    with current_app.test_request_context():
        demo_applications.seed(db, ids["worker"], ids["reviewer"], applicants)
    text = "Демо-учётные записи (вход по телефону, email или СНИЛС):\n" + "\n".join(lines)
    note = Path(current_app.instance_path) / "demo-credentials.txt"
    note.touch(mode=0o600)
    note.write_text(text + "\n", encoding="utf-8")
    click.echo(text)
    click.echo(f"Сохранено в {note}")
    db.close()


@click.command("create-user")
@with_appcontext
@click.option("--role", type=click.Choice(store.ROLES), default="worker", show_default=True)
@click.option("--surname", prompt="Фамилия")
@click.option("--name", prompt="Имя")
@click.option("--patronymic", default="", prompt="Отчество (необязательно)")
@click.option("--birth-date", prompt="Дата рождения (ГГГГ-ММ-ДД)")
@click.option("--snils", prompt="СНИЛС")
@click.option("--phone", prompt="Мобильный телефон")
@click.option("--email", prompt="Email")
@click.password_option("--password", prompt="Пароль")
def create_user(role, surname, name, patronymic, birth_date, snils, phone, email, password):
    """Create an active account with one role."""
    if not snils_is_valid(snils):
        raise click.BadParameter("СНИЛС не прошёл проверку контрольного числа.", param_hint="snils")
    normalized_phone = normalize_phone(phone, current_app.config["SMS_ALLOWED_REGIONS"])
    if not normalized_phone:
        raise click.BadParameter("Нужен российский мобильный номер.", param_hint="phone")
    try:
        born = date.fromisoformat(birth_date)
    except ValueError as exc:
        raise click.BadParameter("Дата в виде ГГГГ-ММ-ДД.", param_hint="birth-date") from exc
    problem = password_problem(
        password,
        min_length=current_app.config["PASSWORD_MIN_LENGTH"],
        max_length=current_app.config["PASSWORD_MAX_LENGTH"],
        personal=personal_words(
            surname=surname, name=name, patronymic=patronymic, email=email, phone=phone
        ),
    )
    if problem:
        raise click.BadParameter(problem, param_hint="password")
    db = _db()
    try:
        user_id = make_user(
            db,
            role=role,
            surname=surname,
            name=name,
            patronymic=patronymic,
            phone=normalized_phone,
            email=email.casefold(),
            snils=normalize_snils(snils),
            birth_date=born,
            password=password,
        )
    except sqlite3.IntegrityError as exc:
        raise click.ClickException(
            "Пользователь с таким СНИЛС, телефоном или email уже есть."
        ) from exc
    click.echo(f"Создан пользователь #{user_id} ({store.ROLE_TITLES[role]}).")


@click.command("backup")
@with_appcontext
@click.argument("directory", type=click.Path(file_okay=False))
def backup(directory):
    """Back up the database and the encrypted files it refers to, as of one moment, into a new
    directory (safe while serving). Keys are not included: save them separately."""
    try:
        summary = backups.create(
            current_app.config["DATABASE"], current_app.extensions["storage"], Path(directory)
        )
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Резервная копия записана в {directory}: база данных и файлов {summary.files}.")
    if summary.attempts > 1:
        click.echo(f"Документы удалялись во время копирования: снимков базы — {summary.attempts}.")
    click.echo("Ключей в копии нет — храните их отдельно, из папки instance/:")
    for name, meaning in backups.KEYS.items():
        click.echo(f"  {name} — {meaning}")


@click.command("restore")
@with_appcontext
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
def restore(directory):
    """Restore a backup into this new, empty instance (its keys already in place), checking that
    every file decrypts."""
    try:
        summary = backups.restore(
            Path(directory), current_app.config["DATABASE"], current_app.extensions["storage"]
        )
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Восстановлено: база данных и файлов {summary.files}, все расшифровываются.")


@click.command("purge-sessions")
@with_appcontext
def purge_sessions():
    """Delete sessions idle past the timeout."""
    db = _db()
    count = sessions.purge_expired(db, current_app.config["SESSION_IDLE_SECONDS"])
    click.echo(f"Удалено устаревших сессий: {count}")


@click.command("reminders")
@click.option(
    "--queue", "through_queue", is_flag=True, help="Разослать пачками через очередь задач."
)
@with_appcontext
def reminders(through_queue):
    """Hand the reminders due today to delivery, once each, even alongside another run (the
    consumer does this every 15 minutes by itself; its queue sends the messages)."""
    from webapp.applications import overdue
    from webapp.profile import reminder_tasks

    db = _db()
    try:
        if through_queue:
            batches = reminder_tasks.fan_out(db)
            click.echo(f"В очередь поставлено пачек напоминаний: {batches}")
            return
        result = reminder_runner.run_once(db)
        with current_app.test_request_context():
            late = overdue.run(db, today())  # the accreditation body's day (Moscow)
    finally:
        db.close()
    click.echo(f"Заявлений с просроченным этапом: {late.overdue}, уведомлений о них: {late.told}")
    click.echo(f"Напоминаний в очереди на отправку: {result.sent}, уже было: {result.skipped}")


@click.command("extract-revoke")
@with_appcontext
@click.argument("number")
@click.option("--reason", required=True, help="why, for the audit log")
def extract_revoke(number, reason):
    """Revoke the выписка of an application (its check page then says «Недействительна»)."""
    from webapp.applications import store as applications

    db = _db()
    try:
        with db.atomic():
            row = applications.revoke_result(db, number)
            if row is None or not row["result_key"]:
                raise click.ClickException(f"Выписки по заявлению {number} нет.")
            audit.record(
                db,
                "application.extract_revoke",
                subject_user_id=row["user_id"],
                object_type="application",
                object_id=row["id"],
                details={"number": number, "reason": reason},
            )
    finally:
        db.close()
    click.echo(f"Выписка по заявлению {number} отозвана.")


@click.command("documents-sweep")
@with_appcontext
@click.option("--older-than", default=3600, show_default=True, help="seconds")
def documents_sweep(older_than):
    """Delete blobs no document version or application refers to, and temp files of crashed
    writes."""
    from webapp.applications.store import all_keys as application_keys
    from webapp.documents.store import all_keys

    storage = current_app.extensions["storage"]
    db = _db()
    known = all_keys(db) | application_keys(db)
    db.close()
    orphans = [key for key in storage.keys_older_than(older_than) if key not in known]
    for key in orphans:
        storage.delete(key)
    temps = storage.sweep_temp(older_than)
    click.echo(f"Удалено файлов без записи: {len(orphans)}, недописанных: {temps}")


@click.command("storage-migrate")
@with_appcontext
def storage_migrate():
    """Copy the encrypted files the database refers to from the local directory into the S3
    bucket (S3_* settings), skipping those already there, then check each one decrypts."""
    from webapp.adapters.s3 import s3_from_config
    from webapp.adapters.storage import FileBlobStore
    from webapp.storage_migration import migrate as migrate_blobs

    config = current_app.config
    source = FileBlobStore(Path(config["FILES_PATH"] or Path(current_app.instance_path, "files")))
    target = s3_from_config(config)
    db = _db()
    try:
        keys = backups.referenced_keys(db)
    finally:
        db.close()
    storage = current_app.extensions["storage"].with_blobs(target)
    summary = migrate_blobs(keys, source, target, storage)
    click.echo(
        f"Перенос в S3 ({target.bucket}): скопировано {summary.copied}, уже были "
        f"{summary.already}, нет нигде {len(summary.missing)}, не прошли проверку "
        f"{len(summary.failed)}."
    )
    click.echo(
        f"Storage migration: copied {summary.copied}, already there {summary.already}, "
        f"missing {len(summary.missing)}, failed verification {len(summary.failed)}."
    )
    if not summary.ok:
        raise click.ClickException(
            "Не все файлы перенесены: " + ", ".join((summary.missing + summary.failed)[:5])
        )


@click.command("consume")
@click.option("--workers", default=4, show_default=True, help="threads running tasks")
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="also enqueue the periodic tasks (reminders, sweeps); harmless on several consumers",
)
@with_appcontext
def consume(workers, periodic):
    """Run the job queue's consumer (webapp/jobs.py) until stopped with Ctrl-C or SIGTERM."""
    import logging

    from webapp import jobs

    if jobs.huey.immediate:
        raise click.ClickException("MEDKAB_JOBS_IMMEDIATE is set: there is no queue to consume")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    jobs.init_app(current_app._get_current_object())
    consumer = jobs.huey.create_consumer(
        workers=workers, periodic=periodic, max_delay=1.0, worker_type="thread"
    )
    consumer.run()


@click.command("deliveries-sweep")
@with_appcontext
def deliveries_sweep():
    """Enqueue the messages due for another try now, as the consumer does every minute (after
    an outage of the queue, to send what waited without waiting for the minute)."""
    from webapp.notifications import tasks

    count = tasks.sweep_deliveries.call_local()
    click.echo(f"Сообщений поставлено в очередь: {count}")


def init_app(app) -> None:
    """Register the commands."""
    for command in (
        db_migrate,
        seed_demo,
        create_user,
        backup,
        restore,
        purge_sessions,
        reminders,
        extract_revoke,
        documents_sweep,
        storage_migrate,
        consume,
        deliveries_sweep,
    ):
        app.cli.add_command(command)
