"""Rows of sign-in factors: passkeys, TOTP secrets, recovery codes, the SMS factor flag."""

import secrets

from webapp.clock import now_iso
from webapp.db import one_or_404


def enrolled(db, user_id: int) -> dict:
    """Which second factors the user has, with the facts the security page shows."""
    row = db.execute(
        "select (select count(*) from passkeys where user_id = :u), "
        "(select confirmed_at from totp_secrets where user_id = :u and confirmed_at is not null), "
        "(select sms_factor_at from users where id = :u), "
        "(select count(*) from recovery_codes where user_id = :u and used_at is null), "
        "(select count(*) from recovery_codes where user_id = :u)",
        {"u": user_id},
    ).fetchone()
    return {
        "passkey": row[0],
        "totp": row[1],
        "sms": row[2],
        "recovery_left": row[3],
        "recovery_total": row[4],
    }


def webauthn_handle(db, user_id: int) -> bytes:
    """The account's random WebAuthn user handle (never the database id), made on first use."""
    handle = db.execute("select webauthn_handle from users where id = ?", [user_id]).fetchone()[0]
    if handle is None:
        handle = secrets.token_urlsafe(32)
        db.execute("update users set webauthn_handle = ? where id = ?", [handle, user_id])
    return handle.encode()


def passkeys(db, user_id: int) -> list[dict]:
    """The user's passkeys, newest first."""
    return list(
        db.query(
            "select id, credential_id, name, created_at, last_used_at, backed_up, transports "
            "from passkeys where user_id = ? order by id desc",
            [user_id],
        )
    )


def passkey_by_credential(db, credential_id: str) -> dict | None:
    """A passkey by its base64url credential id."""
    return next(db.query("select * from passkeys where credential_id = ?", [credential_id]), None)


def add_passkey(
    db,
    user_id: int,
    *,
    credential_id: str,
    public_key: bytes,
    sign_count: int,
    transports: str,
    aaguid: str,
    backed_up: bool,
    name: str,
) -> int:
    """Store a verified passkey."""
    return (
        db["passkeys"]
        .insert(
            {
                "user_id": user_id,
                "credential_id": credential_id,
                "public_key": public_key,
                "sign_count": sign_count,
                "transports": transports,
                "aaguid": aaguid,
                "backed_up": int(backed_up),
                "name": name,
                "created_at": now_iso(),
            }
        )
        .last_pk
    )


def touch_passkey(db, passkey_id: int, sign_count: int) -> None:
    """Record a use: new signature counter and last-used time."""
    db.execute(
        "update passkeys set sign_count = ?, last_used_at = ? where id = ?",
        [sign_count, now_iso(), passkey_id],
    )


def get_passkey_or_404(db, passkey_id: int, user) -> dict:
    """One of the user's own passkeys; anybody else's answers 404 like a missing one."""
    return one_or_404(
        db,
        "select id, user_id, name from passkeys where id = ? and user_id = ?",
        [passkey_id, user.id],
    )


def rename_passkey(db, user_id: int, passkey_id: int, name: str) -> bool:
    """Rename one of the user's passkeys."""
    return (
        db.execute(
            "update passkeys set name = ? where id = ? and user_id = ?", [name, passkey_id, user_id]
        ).rowcount
        == 1
    )


def delete_passkey(db, user_id: int, passkey_id: int) -> bool:
    """Delete one of the user's passkeys."""
    return (
        db.execute(
            "delete from passkeys where id = ? and user_id = ?", [passkey_id, user_id]
        ).rowcount
        == 1
    )


def totp_row(db, user_id: int) -> dict | None:
    """The user's TOTP secret row (confirmed or being set up)."""
    return next(db.query("select * from totp_secrets where user_id = ?", [user_id]), None)


def start_totp(db, user_id: int, secret_enc: str) -> None:
    """Keep an unconfirmed secret until the first correct code binds it."""
    db.execute(
        "insert into totp_secrets (user_id, secret_enc, created_at) values (?, ?, ?) "
        "on conflict (user_id) do update set secret_enc = excluded.secret_enc, "
        "confirmed_at = null, last_step = 0, created_at = excluded.created_at",
        [user_id, secret_enc, now_iso()],
    )


def confirm_totp(db, user_id: int, step: int) -> None:
    """Bind the secret after one correct code."""
    db.execute(
        "update totp_secrets set confirmed_at = ?, last_step = ? where user_id = ?",
        [now_iso(), step, user_id],
    )


def claim_totp_step(db, user_id: int, step: int) -> bool:
    """Record the step as used; False when it (or a later one) was used already."""
    return (
        db.execute(
            "update totp_secrets set last_step = ? where user_id = ? and last_step < ?",
            [step, user_id, step],
        ).rowcount
        == 1
    )


def delete_totp(db, user_id: int) -> None:
    """Remove the authenticator app."""
    db.execute("delete from totp_secrets where user_id = ?", [user_id])


def set_sms_factor(db, user_id: int, on: bool) -> None:
    """Turn SMS codes as a second factor on or off."""
    db.execute(
        "update users set sms_factor_at = ? where id = ?", [now_iso() if on else None, user_id]
    )


def replace_recovery_codes(db, user_id: int, hashes: list[str]) -> None:
    """A new set of recovery codes replaces every old one."""
    stamp = now_iso()
    db.execute("delete from recovery_codes where user_id = ?", [user_id])
    db["recovery_codes"].insert_all(
        [{"user_id": user_id, "code_hash": h, "created_at": stamp} for h in hashes]
    )


def use_recovery_code(db, user_id: int, code_hash: str) -> bool:
    """Spend one unused code of this user; False when there is none with this hash."""
    return (
        db.execute(
            "update recovery_codes set used_at = ? where user_id = ? and code_hash = ? "
            "and used_at is null",
            [now_iso(), user_id, code_hash],
        ).rowcount
        == 1
    )


def remove_all_factors(db, user_id: int) -> None:
    """Assisted recovery: the person lost everything; they enrol again."""
    db.execute("delete from passkeys where user_id = ?", [user_id])
    db.execute("delete from totp_secrets where user_id = ?", [user_id])
    db.execute("delete from recovery_codes where user_id = ?", [user_id])
    db.execute("update users set sms_factor_at = null where id = ?", [user_id])
