"""«Журнал доступа к моим данным»: who viewed or changed the worker's record, and when."""

from flask import request
from flask_login import current_user, login_required

from webapp import audit, htmx
from webapp.db import get_db
from webapp.paging import keyset
from webapp.profile.views import bp

PAGE = 30

ACTION_TITLES = {
    "profile.person.update": "Изменены личные данные",
    "profile.name.change": "Изменено ФИО",
    "profile.contacts.update": "Изменены контакты",
    "profile.view": "Просмотр профиля",
    "profile.nmo.export": "Выгрузка НМО",
    "phone.change": "Изменён телефон",
    "email.change": "Изменена почта",
    "account.time_zone": "Изменён часовой пояс",
    "profile.employment.create": "Добавлено место работы",
    "profile.employment.update": "Изменено место работы",
    "profile.employment.delete": "Удалено место работы",
    "profile.employment.confirm": "Место работы подтверждено",
    "profile.employment.reject": "Место работы отклонено",
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
    "documents.upload": "Загружен документ",
    "documents.replace": "Загружена новая версия документа",
    "documents.update": "Изменены сведения о документе",
    "documents.uncrop": "Возвращены исходные снимки документа",
    "documents.delete": "Удалён документ",
    "documents.download": "Скачан документ",
    "documents.export": "Документы выгружены для ФАЦ",
}


@bp.get("/access-log")
@login_required
def access_log():
    """Every read by someone else and every change to the record, newest first."""
    before = request.args.get("before", type=int)
    rows = audit.about_user(get_db(), current_user.id, before_id=before, limit=PAGE + 1)
    return htmx.render(
        "profile/access_log.html",
        "profile/_access_rows.html",
        page=keyset(rows, PAGE),
        titles=ACTION_TITLES,
    )
