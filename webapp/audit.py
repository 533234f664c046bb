"""The audit log: who did what to which record, when, from where, with what result."""

import json

from flask import has_request_context, request
from flask_login import current_user

from webapp.clock import now_iso

# What each recorded action is called in Russian (pages show the code only for unknown ones).
# The `<factor>.success/.failure/.blocked` family is named by `title()` below; «Журнал доступа
# к моим данным» and the admin's log use the same words.
TITLES = {
    "register": "Регистрация",
    "register.duplicate": "Попытка регистрации с чужими данными",
    "phone.confirm": "Телефон подтверждён",
    "email.confirm": "Почта подтверждена",
    "login.success": "Вход",
    "login.failure": "Неудачная попытка входа",
    "login.locked": "Попытка входа во время ограничения",
    "login.lockout": "Вход приостановлен после ошибок",
    "logout": "Выход",
    "session.revoke": "Завершение сессии",
    "password.change": "Пароль изменён",
    "password.reset": "Пароль изменён через восстановление",
    "password.reset_request": "Запрос на восстановление пароля",
    "passkey.add": "Добавлен ключ доступа",
    "passkey.register": "Ключ доступа не добавлен",
    "passkey.rename": "Ключ доступа переименован",
    "passkey.delete": "Удалён ключ доступа",
    "totp.add": "Подключено приложение-аутентификатор",
    "totp.delete": "Отключено приложение-аутентификатор",
    "totp.replay": "Повторно введён код из приложения",
    "sms.add": "Включены коды по SMS",
    "sms.delete": "Выключены коды по SMS",
    "sms.sent": "Отправлен код",
    "sms.refused": "Код не отправлен (ограничение)",
    "sms.check": "Проверка кода",
    "sms.decoy": "Проверочный код без отправки (номер не из учётной записи)",
    "sms.blocked": "Код не принят: слишком много неверных",
    "recovery.generate": "Созданы коды восстановления",
    "recovery.request": "Запрос на восстановление доступа",
    "recovery.approve": "Восстановление одобрено",
    "recovery.reject": "Восстановление отклонено",
    "security.not_me": "«Это был не я»: сеансы завершены",
    "account.delete": "Учётная запись удалена",
    "account.time_zone": "Изменён часовой пояс",
    "user.create": "Учётная запись создана",
    "phone.change": "Изменён телефон",
    "email.change": "Изменена почта",
    "profile.view": "Просмотр профиля",
    "profile.person.update": "Изменены личные данные",
    "profile.name.change": "Изменено ФИО",
    "profile.contacts.update": "Изменены контакты",
    "push.subscribe": "Включены уведомления на устройстве",
    "push.delete": "Отключены уведомления на устройстве",
    "profile.nmo.export": "Выгрузка НМО",
    "profile.employment.create": "Добавлено место работы",
    "profile.employment.update": "Изменено место работы",
    "profile.employment.delete": "Удалено место работы",
    "profile.education.create": "Добавлено образование",
    "profile.education.update": "Изменено образование",
    "profile.education.delete": "Удалено образование",
    "profile.certificate.create": "Добавлен сертификат или аккредитация",
    "profile.certificate.update": "Изменён сертификат или аккредитация",
    "profile.certificate.delete": "Удалён сертификат или аккредитация",
    "profile.category.create": "Добавлена категория",
    "profile.category.update": "Изменена категория",
    "profile.category.delete": "Удалена категория",
    "profile.nmo.create": "Добавлен элемент НМО",
    "profile.nmo.update": "Изменён элемент НМО",
    "profile.nmo.delete": "Удалён элемент НМО",
    "profile.employment.confirm": "Место работы подтверждено",
    "profile.employment.reject": "Место работы отклонено",
    "documents.upload": "Загружен документ",
    "documents.replace": "Загружена новая версия документа",
    "documents.update": "Изменены сведения о документе",
    "documents.uncrop": "Возвращены исходные снимки документа",
    "documents.delete": "Удалён документ",
    "documents.download": "Скачан документ",
    "documents.export": "Документы выгружены для ФАЦ",
    "documents.generate": "Составлен отчёт о профессиональной деятельности",
    "application.draft_save": "Сохранён черновик заявления",
    "application.submit": "Заявление подписано и отправлено",
    "application.resubmit": "Заявление исправлено и отправлено повторно",
    "application.withdraw": "Заявление отозвано",
    "application.sign_failure": "Подпись заявления не принята",
    "application.take": "Эксперт взял заявление в работу",
    "application.check": "Начата проверка документов заявления",
    "application.return": "Заявление возвращено на доработку",
    "application.forward": "Заявление передано в комиссию",
    "application.review": "Комиссия начала рассмотрение заявления",
    "application.pass": "Решение: аккредитация пройдена",
    "application.fail": "Решение: аккредитация не пройдена",
    "application.confirm": "Запись подтверждена аккредитующим органом",
    "application.refuse": "В подтверждении записи отказано",
    "application.review_view": "Эксперт открыл заявление",
    "application.file_view": "Эксперт открыл документ заявления",
    "application.verdict": "Эксперт оценил документ заявления",
    "application.exams": "Назначены даты экзаменов",
    "application.extract_revoke": "Выписка отозвана",
}
_FACTORS = {
    "password": "пароль",
    "totp": "код из приложения",
    "sms": "код из SMS",
    "recovery": "код восстановления",
    "passkey": "ключ доступа",
}
_FACTOR_RESULTS = {"success": "Принят", "failure": "Не принят", "blocked": "Заблокирован"}


def title(action: str) -> str:
    """The Russian name of an action, or the action code itself when it has none."""
    if action in TITLES:
        return TITLES[action]
    parts = action.split(".")
    if len(parts) == 2 and parts[0] in _FACTORS and parts[1] in _FACTOR_RESULTS:
        return f"{_FACTOR_RESULTS[parts[1]]}: {_FACTORS[parts[0]]}"
    return action


LOGIN_ACTIONS = (
    "login.success",
    "login.failure",
    "login.locked",
    "logout",
    "session.revoke",
    "password.reset",
)


def record(
    db,
    action: str,
    *,
    subject_user_id: int | None = None,
    object_type: str | None = None,
    object_id=None,
    result: str = "ok",
    actor_id: int | None = None,
    details: dict | None = None,
) -> None:
    """Append one audit row. Never pass secrets or codes in details."""
    ip = user_agent = None
    if has_request_context():
        ip = request.remote_addr
        user_agent = (request.user_agent.string or "")[:300]
        if actor_id is None and current_user and current_user.is_authenticated:
            actor_id = current_user.id
    # One plain INSERT: sqlite-utils' insert() first looks the table up in sqlite_master (three
    # more statements on every audited request).
    db.execute(
        "insert into audit_log (at, actor_id, subject_user_id, action, object_type, object_id, "
        "result, ip, user_agent, details) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            now_iso(),
            actor_id,
            subject_user_id if subject_user_id is not None else actor_id,
            action,
            object_type,
            None if object_id is None else str(object_id),
            result,
            ip,
            user_agent,
            json.dumps(details, ensure_ascii=False) if details else None,
        ],
    )


def login_history(db, user_id: int, limit: int = 50) -> list[dict]:
    """The user's last sign-in events, newest first."""
    marks = ",".join("?" for _ in LOGIN_ACTIONS)
    return list(
        db.query(
            f"select * from audit_log where subject_user_id = ? and action in ({marks}) "  # noqa: S608
            "order by id desc limit ?",
            [user_id, *LOGIN_ACTIONS, limit],
        )
    )


def search(
    db, *, action=None, user_id=None, date_from=None, date_to=None, before_id=None, limit=50
) -> list[dict]:
    """Admin view: filtered, keyset-paginated by id descending."""
    where, params = [], []
    if action:
        where.append("action like ?")
        params.append(action.replace("%", "") + "%")
    if user_id:
        where.append("(actor_id = ? or subject_user_id = ?)")
        params += [user_id, user_id]
    if date_from:
        where.append("at >= ?")
        params.append(date_from.isoformat())
    if date_to:
        where.append("at < date(?, '+1 day')")
        params.append(date_to.isoformat())
    if before_id:
        where.append("id < ?")
        params.append(before_id)
    clause = ("where " + " and ".join(where)) if where else ""
    return list(
        db.query(
            "select a.*, "  # noqa: S608
            "actor.surname as actor_surname, actor.name as actor_name, "
            "actor.patronymic as actor_patronymic, "
            "subject.surname as subject_surname, subject.name as subject_name, "
            "subject.patronymic as subject_patronymic "
            "from (select * from audit_log "
            f"{clause} order by id desc limit ?) a "
            "left join users actor on actor.id = a.actor_id "
            "left join users subject on subject.id = a.subject_user_id order by a.id desc",
            [*params, limit],
        )
    )


def about_user(db, user_id: int, *, before_id: int | None = None, limit: int = 30) -> list[dict]:
    """Who read or changed this person's data (sign-ins are in «История входов»), newest first."""
    marks = ",".join("?" for _ in LOGIN_ACTIONS)
    keyset = "and a.id < ?" if before_id else ""
    return list(
        db.query(
            "select a.*, u.surname as actor_surname, u.name as actor_name, "  # noqa: S608
            "u.patronymic as actor_patronymic, "
            "(select group_concat(role) from user_roles r where r.user_id = a.actor_id) "
            "as actor_roles "
            "from audit_log a left join users u on u.id = a.actor_id "
            f"where a.subject_user_id = ? and a.action not in ({marks}) "
            f"and a.action not like 'sms.%' {keyset} order by a.id desc limit ?",
            [user_id, *LOGIN_ACTIONS, *([before_id] if before_id else []), limit],
        )
    )
