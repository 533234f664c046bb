"""Account rows: create, find by any login, confirm, change password, time zone, roles."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from webapp.auth.passwords import personal_words as password_words
from webapp.clock import DEFAULT_ZONE, known_zones, now, now_iso
from webapp.names import short_name
from webapp.validators import normalize_phone, normalize_snils, snils_is_valid

ROLES = ("worker", "reviewer", "orgadmin", "admin")
ROLE_TITLES = {
    "worker": "Медработник",
    "reviewer": "Эксперт",
    "orgadmin": "Отдел кадров",
    "admin": "Администратор",
}


@dataclass
class User:
    """The signed-in person as Flask-Login sees them."""

    id: int
    surname: str
    name: str
    patronymic: str | None
    phone: str
    email: str
    status: str
    phone_confirmed_at: str | None
    email_confirmed_at: str | None
    roles: frozenset
    time_zone: str = DEFAULT_ZONE  # IANA name; times are shown and days counted in it

    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def get_id(self) -> str:
        return str(self.id)

    @property
    def short_name(self) -> str:
        """«Смирнова А.В.»"""
        return short_name(self.surname, self.name, self.patronymic)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.surname, self.name, self.patronymic) if part)

    def has_role(self, role: str) -> bool:
        return role in self.roles


def get_user(db, user_id) -> User | None:
    """The user with this id and their roles, in one query; or None."""
    cursor = db.execute(
        "select users.*, (select group_concat(role) from user_roles r "
        "where r.user_id = users.id) as role_list from users where id = ?",
        [user_id],
    )
    found = cursor.fetchone()
    if found is None:
        return None
    return user_from_row(dict(zip([c[0] for c in cursor.description], found, strict=True)))


def user_from_row(row: dict) -> User:
    """The User of a users row that carries `role_list`."""
    fields = {k: row[k] for k in User.__dataclass_fields__ if k != "roles"}
    return User(**fields, roles=frozenset((row["role_list"] or "").split(",")) - {""})


def get_row(db, user_id) -> dict | None:
    """The raw users row (with hashes and ciphertexts) for auth decisions."""
    return next(db.query("select * from users where id = ?", [user_id]), None)


def find_by_login(db, cipher, login: str, allowed_regions) -> dict | None:
    """Find an account by email, СНИЛС or phone as typed by a person."""
    login = (login or "").strip()
    if not login or len(login) > 254:
        return None
    if "@" in login:
        return next(db.query("select * from users where email = ?", [login.casefold()]), None)
    if snils_is_valid(login):
        index = cipher.blind_index("snils", normalize_snils(login))
        return next(db.query("select * from users where snils_bidx = ?", [index]), None)
    phone = normalize_phone(login, allowed_regions)
    if phone:
        return next(db.query("select * from users where phone = ?", [phone]), None)
    return None


def conflicts(db, cipher, *, snils: str, phone: str, email: str) -> list[dict]:
    """Existing accounts holding any of these identifiers."""
    return list(
        db.query(
            "select * from users where snils_bidx = ? or phone = ? or email = ?",
            [cipher.blind_index("snils", snils), phone, email],
        )
    )


def is_stale_pending(row: dict, max_age_seconds: int) -> bool:
    """A registration never confirmed within its window no longer holds its identifiers."""
    created = datetime.fromisoformat(row["created_at"])
    return row["status"] == "pending" and now() - created > timedelta(seconds=max_age_seconds)


def create_user(
    db,
    cipher,
    *,
    surname,
    name,
    patronymic,
    birth_date,
    snils,
    phone,
    email,
    password_hash,
    roles=("worker",),
    status="pending",
) -> int:
    """Insert an account with its roles; the caller wraps it in db.atomic()."""
    stamp = now_iso()
    user_id = (
        db["users"]
        .insert(
            {
                "surname": surname,
                "name": name,
                "patronymic": patronymic or None,
                "birth_date": birth_date.isoformat(),
                "snils_enc": cipher.encrypt("snils", snils),
                "snils_bidx": cipher.blind_index("snils", snils),
                "phone": phone,
                "email": email.casefold(),
                "password_hash": password_hash,
                "status": status,
                "phone_confirmed_at": stamp if status == "active" else None,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        .last_pk
    )
    db["user_roles"].insert_all([{"user_id": user_id, "role": role} for role in roles])
    return user_id


def record_consent(db, user_id: int, version: str, ip: str | None) -> None:
    """Store the acceptance of the personal-data consent text."""
    db["consents"].insert(
        {"user_id": user_id, "version": version, "accepted_at": now_iso(), "ip": ip}
    )


def activate(db, user_id: int) -> None:
    """The phone is confirmed: the account may sign in."""
    stamp = now_iso()
    db.execute(
        "update users set status = 'active', phone_confirmed_at = ?, updated_at = ? "
        "where id = ? and status = 'pending'",
        [stamp, stamp, user_id],
    )


def confirm_email(db, user_id: int, email: str) -> bool:
    """Mark the email confirmed if it is still the account's email."""
    stamp = now_iso()
    cursor = db.execute(
        "update users set email_confirmed_at = coalesce(email_confirmed_at, ?), updated_at = ? "
        "where id = ? and email = ?",
        [stamp, stamp, user_id, email],
    )
    return cursor.rowcount == 1


def set_password_hash(db, user_id: int, password_hash: str) -> None:
    """Replace the stored password hash."""
    db.execute(
        "update users set password_hash = ?, updated_at = ? where id = ?",
        [password_hash, now_iso(), user_id],
    )


def change_time_zone(db, user_id: int, time_zone: str) -> None:
    """Set the zone the account's times are shown and days counted in (an IANA name).

    `updated_at` is left alone: «Безопасность» shows it as the time the password changed.
    """
    if time_zone not in known_zones():
        raise ValueError(f"unknown time zone {time_zone!r}")
    db.execute("update users set time_zone = ? where id = ?", [time_zone, user_id])


def delete_pending(db, user_id: int) -> None:
    """Drop an unconfirmed registration whose window has passed."""
    db.execute("delete from users where id = ? and status = 'pending'", [user_id])


def count_users(db) -> int:
    """How many accounts exist (the demo seed runs only on an empty database)."""
    return db.execute("select count(*) from users").fetchone()[0]


def block_password(db, user_id: int) -> None:
    """«Это был не я»: no sign-in by password until the password is reset."""
    db.execute("update users set password_blocked_at = ? where id = ?", [now_iso(), user_id])


def unblock_password(db, user_id: int) -> None:
    """A new password was set through recovery."""
    db.execute("update users set password_blocked_at = null where id = ?", [user_id])


def personal_words(row: dict) -> list[str]:
    """What this account's password must not contain."""
    return password_words(
        surname=row["surname"],
        name=row["name"],
        patronymic=row["patronymic"],
        email=row["email"],
        phone=row["phone"],
    )


def find_by_snils(db, cipher, snils: str) -> dict | None:
    """The account with this СНИЛС (already normalised), or None."""
    index = cipher.blind_index("snils", snils)
    return next(db.query("select * from users where snils_bidx = ?", [index]), None)


CONTACTS = {"phone": "phone_confirmed_at", "email": "email_confirmed_at"}


def contact_taken(db, channel: str, value: str) -> bool:
    """Whether another account already signs in with this phone or e-mail."""
    if channel not in CONTACTS:  # the column name goes into the SQL: only known ones
        raise ValueError(channel)
    sql = f"select 1 from users where {channel} = ?"  # noqa: S608
    return db.execute(sql, [value]).fetchone() is not None


def change_contact(db, user_id: int, channel: str, value: str) -> None:
    """Switch the account to a proven new phone or e-mail (raises IntegrityError when taken)."""
    confirmed = CONTACTS[channel]
    stamp = now_iso()
    db.execute(
        f"update users set {channel} = ?, {confirmed} = ?, updated_at = ? where id = ?",  # noqa: S608
        [value, stamp, stamp, user_id],
    )


def change_name(db, user_id: int, surname: str, name: str, patronymic: str | None) -> None:
    """Смена ФИО: the new name (the old one is kept by the profile's history)."""
    db.execute(
        "update users set surname = ?, name = ?, patronymic = ?, updated_at = ? where id = ?",
        [surname, name, patronymic, now_iso(), user_id],
    )


def delete_user(db, user_id: int) -> None:
    """Delete the account; its rows in other tables go with it (foreign keys cascade)."""
    db.execute("delete from users where id = ?", [user_id])
