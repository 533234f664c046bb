"""A job without ИНН and ОКТМО (issue 10, item 5): the worker names the organisation, picks it
from the known ones or types it; the HR admin completes ИНН and ОКТМО when confirming."""

import re

import pytest
from sqlite_utils import Database

from migrations.migrations import migrations
from tests.conftest import HTMX, create_active_user, post_form
from tests.web.test_profile_record import JOB, add, rows
from webapp.clock import now_iso
from webapp.db import connect
from webapp.validators import inn_is_valid

WORKER, HR, OTHER_HR = "+79120000001", "+79120000002", "+79120000003"
CLINIC = {
    "org_name": "ГБУЗ «Городская поликлиника № 5»",
    "org_inn": "7707083893",
    "org_ogrn": "1027700132195",
    "org_oktmo": "45380000",
    "org_address": "г. Москва, ул. Тверская, д. 10",
}
FREE_TEXT_JOB = {**JOB, "org_inn": "", "org_ogrn": "", "org_oktmo": "", "org_address": ""}


def make_inn(n: int) -> str:
    """A 10-digit organisation ИНН with a right control digit, from a serial number."""
    first9 = f"{500_000_000 + n:09d}"
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    control = sum(int(d) * w for d, w in zip(first9, weights, strict=True)) % 11 % 10
    inn = f"{first9}{control}"
    assert inn_is_valid(inn)
    return inn


def insert_job(app, user_id, verification="confirmed", **values) -> int:
    """A job row as the store keeps it (for organisations other people already declared)."""
    db = connect(app.config["DATABASE"])
    try:
        stamp = now_iso()
        return (
            db["employments"]
            .insert(
                {
                    "org_name": CLINIC["org_name"],
                    "position": "Врач",
                    "rate": 1.0,
                    "kind": "main",
                    "start_date": "2015-01-01",
                    "verification": verification,
                    "user_id": user_id,
                    "created_at": stamp,
                    "updated_at": stamp,
                    **values,
                }
            )
            .last_pk
        )
    finally:
        db.close()


@pytest.fixture
def worker(app, auth):
    create_active_user(app, n=1)
    auth.login(WORKER)
    return 1


# The form ------------------------------------------------------------------------------------


def test_a_job_saves_without_inn_and_oktmo_and_says_who_completes_them(app, client, worker):
    form = client.get("/profile/employment/new").get_data(as_text=True)
    assert "ИНН и ОКТМО заполнит отдел кадров" in form
    for name in ("org_inn", "org_oktmo"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', form).group(0)
        assert "required" not in tag
    assert add(client, "employment", FREE_TEXT_JOB).status_code == 303
    [job] = rows(app, "employments")
    assert job["org_inn"] is None and job["org_oktmo"] is None and job["org_ogrn"] is None
    assert job["org_name"] == JOB["org_name"] and job["verification"] == "declared"
    record = client.get("/profile/record").get_data(as_text=True)
    assert "ИНН и ОКТМО заполнит отдел кадров" in record and "ИНН None" not in record
    check = client.get("/profile/check").get_data(as_text=True)
    assert "ИНН организации с ошибкой" not in check


def test_identifiers_given_are_still_checked_and_stored_as_digits(app, client, worker):
    data = {**FREE_TEXT_JOB, "org_inn": "7707 083 893", "org_oktmo": "45-380-000"}
    assert add(client, "employment", data).status_code == 303
    [job] = rows(app, "employments")
    assert job["org_inn"] == "7707083893" and job["org_oktmo"] == "45380000"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"org_inn": "7707083894"}, "org_inn", "контрольная цифра не сходится"),
        ({"org_inn": "12345"}, "org_inn", "ИНН организации — 10 цифр"),
        ({"org_inn": "７７０７０８３８９３"}, "org_inn", "ИНН организации — 10 цифр"),
        ({"org_inn": "1" * 5000}, "org_inn", "более 20 символов"),
        ({"org_inn": "<b>7707083893</b>"}, "org_inn", "Уберите символы"),
        ({"org_inn": "7707083893\u202e"}, "org_inn", "невидимые"),
        ({"org_oktmo": "4538"}, "org_oktmo", "ОКТМО — 8 или 11 цифр"),
        ({"org_oktmo": "ОКТМО"}, "org_oktmo", "ОКТМО — 8 или 11 цифр"),
        ({"org_oktmo": "4" * 5000}, "org_oktmo", "более 20 символов"),
        ({"org_ogrn": "1027700132194"}, "org_ogrn", "ОГРН — 13 цифр"),
        ({"org_name": ""}, "org_name", "Заполните это поле"),
        ({"org_name": "   "}, "org_name", "Заполните это поле"),
        ({"org_name": "П" * 301}, "org_name", "более 300 символов"),
        ({"org_name": "<script>alert(1)</script>"}, "org_name", "Уберите символы"),
        ({"org_address": "ул. Ленина\u0000"}, "org_address", "невидимые"),
        ({"position": ""}, "position", "Заполните это поле"),
        ({"start_date": ""}, "start_date", "Заполните это поле"),
        ({"kind": ""}, "kind", "Неверный вариант"),
        ({"rate": ""}, "rate", "Заполните это поле"),
    ],
)
def test_bad_employer_input_is_refused_in_russian_and_nothing_is_saved(
    app, client, worker, change, field, message
):
    response = add(client, "employment", {**FREE_TEXT_JOB, **change})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and message in html
    assert rows(app, "employments") == []


def test_the_same_free_text_job_twice_is_refused(app, client, worker):
    assert add(client, "employment", FREE_TEXT_JOB).status_code == 303
    again = add(client, "employment", FREE_TEXT_JOB)
    assert again.status_code == 422 and "уже есть в профиле" in again.get_data(as_text=True)
    assert len(rows(app, "employments")) == 1


def test_the_organisation_field_asks_for_suggestions_as_the_worker_types(client, worker):
    html = client.get("/profile/employment/new").get_data(as_text=True)
    tag = re.search(r'<input[^>]*name="org_name"[^>]*>', html).group(0)
    assert 'hx-get="/profile/organisations"' in tag
    assert 'hx-trigger="input changed delay:300ms"' in tag
    assert 'hx-target="#org-suggestions"' in tag and 'autocomplete="off"' in tag
    assert '<div id="org-suggestions"' in html and '<div id="org-fields">' in html
    assert '<noscript><p class="hint org-search-link"><a href="/profile/organisations">' in html
    assert "<script" not in html.split("</head>")[1]  # no inline script on the page


# The search ----------------------------------------------------------------------------------


@pytest.fixture
def known(app, worker):
    """Organisations as other people's jobs make them known (or not)."""
    for n in (2, 3, 4):
        create_active_user(app, n=n)
    insert_job(app, 2, **CLINIC)  # confirmed
    insert_job(app, 3, verification="declared", **{**CLINIC, "org_name": "Поликлиника 5"})
    two = {"org_name": "ООО «Клиника Здоровье»", "org_inn": "7830002293", "org_oktmo": "40000000"}
    insert_job(app, 2, verification="declared", **two)
    insert_job(app, 3, verification="declared", **two)  # two workers: known
    insert_job(app, 2, verification="declared", org_name="Клиника Одна", org_inn=make_inn(1))
    insert_job(app, 3, verification="rejected", org_name="Клиника Отказ", org_inn=make_inn(2))
    insert_job(app, 4, org_name="Клиника «Зелёный город»", org_inn=make_inn(3))
    insert_job(app, 4, org_name="Клиника «100% здоровья»", org_inn=make_inn(4))
    insert_job(app, 4, org_name="Поликлиника № 1000", org_inn=make_inn(5))
    insert_job(app, 4, org_name="Клиника без ИНН")


def names(response) -> list[str]:
    return re.findall(r"<strong>([^<]+)</strong>", response.get_data(as_text=True))


def test_search_finds_known_organisations_by_part_of_the_name(client, known):
    found = client.get("/profile/organisations?q=клиник", headers=HTMX)
    assert found.status_code == 200
    # Confirmed first; «Клиника Одна» (one worker), «Клиника Отказ» (rejected) and a job
    # without ИНН are not known organisations.
    assert names(found) == [
        "ГБУЗ «Городская поликлиника № 5»",
        "Клиника «100% здоровья»",
        "Клиника «Зелёный город»",
        "Поликлиника № 1000",
        "ООО «Клиника Здоровье»",
    ]
    html = found.get_data(as_text=True)
    assert "ИНН 7707083893 · г. Москва, ул. Тверская, д. 10" in html


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ЗЕЛЕНЫЙ", ["Клиника «Зелёный город»"]),  # case and Ё/Е
        ("поликлиника №5", ["ГБУЗ «Городская поликлиника № 5»"]),  # spacing
        ("«Городская", ["ГБУЗ «Городская поликлиника № 5»"]),  # quotes
        ("поликлиника 5", ["ГБУЗ «Городская поликлиника № 5»"]),  # a declared alias
        ("100%", ["Клиника «100% здоровья»"]),  # % is a character, not «anything»
        ("%%", []),
        ("__", []),
        ("к", []),  # too short to search
        ("Клиника Одна", []),
        ("' or 1=1 --", []),
    ],
)
def test_search_matching_rules(client, known, typed, expected):
    assert names(client.get("/profile/organisations", query_string={"q": typed})) == expected


def test_htmx_sends_the_form_field_and_gets_a_fragment_whose_choice_fills_the_form(client, known):
    part = client.get("/profile/organisations?org_name=здоров", headers=HTMX)
    html = part.get_data(as_text=True)
    assert part.status_code == 200 and "<html" not in html and "HX-Request" in part.headers["Vary"]
    link = re.search(
        r'<a class="org-pick"[^>]*href="/profile/organisations/7830002293"[^>]*>', html
    )
    assert link and 'hx-get="/profile/organisations/7830002293"' in link.group(0)
    assert 'hx-select="#org-fields"' in link.group(0) and 'hx-target="#org-fields"' in link.group(0)
    nothing = client.get("/profile/organisations?org_name=Нет такой", headers=HTMX)
    assert "Такой организации в системе пока нет" in nothing.get_data(as_text=True)
    assert client.get("/profile/organisations?org_name=Н", headers=HTMX).get_data().strip() == b""


def test_the_search_page_works_without_javascript(client, known):
    page = client.get("/profile/organisations?q=здоров")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Найти организацию" in html
    assert 'name="q"' in html and 'value="здоров"' in html
    assert 'href="/profile/organisations/7830002293"' in html and "hx-select" not in html
    assert client.get("/profile/organisations").status_code == 200


def test_search_answers_at_most_ten(app, client, worker):
    create_active_user(app, n=2)
    for n in range(12):
        insert_job(app, 2, org_name=f"Аптека № {n + 1}", org_inn=make_inn(100 + n))
    assert len(names(client.get("/profile/organisations?q=аптека"))) == 10


def test_choosing_an_organisation_fills_the_form_and_the_job_saves(app, client, known):
    page = client.get("/profile/organisations/7707083893")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'action="/profile/employment/new"' in html
    for value in ('value="ГБУЗ «Городская поликлиника № 5»"', 'value="7707083893"'):
        assert value in html.replace("&#34;", '"')
    assert 'value="45380000"' in html and 'value="г. Москва, ул. Тверская, д. 10"' in html
    data = {**JOB, **CLINIC, "start_date": "2020-02-01"}
    saved = post_form(
        client, "/profile/employment/new", data, page="/profile/organisations/7707083893"
    )
    assert saved.status_code == 303
    mine = [r for r in rows(app, "employments") if r["user_id"] == 1]
    assert [(r["org_inn"], r["org_oktmo"]) for r in mine] == [("7707083893", "45380000")]


@pytest.mark.parametrize("inn", [make_inn(1), make_inn(2), "0000000000", "abc", "%25"])
def test_only_a_known_organisation_fills_the_form(client, known, inn):
    assert client.get(f"/profile/organisations/{inn}").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for url in ("/profile/organisations?q=клиника", "/profile/organisations/7707083893"):
        page = client.get(url)
        assert page.status_code == 302 and "/login" in page.headers["Location"]
    part = client.get("/profile/organisations?org_name=клиника", headers=HTMX)
    assert part.status_code == 204 and "/login" in part.headers["HX-Redirect"]


# The HR admin --------------------------------------------------------------------------------


@pytest.fixture
def free_text(app, client, auth):
    """A worker types the organisation's name their own way, without ИНН and ОКТМО; the HR
    admin of that organisation (confirmed main job with ИНН) and of another one exist."""
    create_active_user(app, n=1)
    create_active_user(app, n=2, role="orgadmin")
    create_active_user(app, n=3, role="orgadmin")
    auth.login(WORKER)
    typed = {**FREE_TEXT_JOB, "org_name": "гбуз  Городская поликлиника №5"}
    assert add(client, "employment", typed).status_code == 303  # id 1: name matches
    other = {**FREE_TEXT_JOB, "org_name": "Городская поликлиника № 5", "start_date": "2010-01-01"}
    assert add(client, "employment", {**other, "end_date": "2012-01-01"}).status_code == 303
    auth.logout()
    insert_job(app, 2, **CLINIC, position="Начальник отдела кадров")  # id 3
    insert_job(
        app, 3, org_name="ООО «Клиника Здоровье»", org_inn="7830002293", org_oktmo="40000000"
    )
    return auth


def confirm(client, fields: dict, job=1):
    return post_form(client, f"/staff/employment/{job}", {"decision": "confirm", **fields})


def test_hr_admin_sees_a_name_matched_job_without_inn(client, free_text):
    free_text.login(HR)
    queue = client.get("/staff").get_data(as_text=True)
    assert "без ИНН" in queue and "/staff/employment/1" in queue
    assert "/staff/employment/2" not in queue  # «Городская поликлиника № 5» without «ГБУЗ»
    page = client.get("/staff/employment/1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Работник не указал ИНН" in html
    assert re.search(r'name="org_inn"[^>]*value="7707083893"', html)
    assert re.search(r'name="org_oktmo"[^>]*value="45380000"', html)
    assert client.get("/staff/employment/2").status_code == 404


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"org_inn": "", "org_oktmo": "45380000"}, "org_inn", "Укажите ИНН организации"),
        ({"org_inn": "7707083894", "org_oktmo": "45380000"}, "org_inn", "не сходится"),
        ({"org_inn": "7830002293", "org_oktmo": "45380000"}, "org_inn", "вашей организации"),
        ({"org_inn": "<i>7707083893", "org_oktmo": "45380000"}, "org_inn", "Уберите символы"),
        ({"org_inn": "7" * 500, "org_oktmo": "45380000"}, "org_inn", "более 20 символов"),
        ({"org_inn": "7707083893", "org_oktmo": ""}, "org_oktmo", "Укажите ОКТМО"),
        ({"org_inn": "7707083893", "org_oktmo": "453800"}, "org_oktmo", "8 или 11 цифр"),
    ],
)
def test_confirming_needs_a_valid_inn_of_the_admins_organisation_and_oktmo(
    app, client, free_text, fields, field, message
):
    free_text.login(HR)
    refused = confirm(client, fields)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and f'id="{field}-error"' in html and message in html
    job = rows(app, "employments")[0]
    assert job["verification"] == "declared" and job["org_inn"] is None


def test_confirming_stores_the_inn_and_oktmo_and_the_worker_sees_them(app, client, free_text):
    free_text.login(HR)
    done = confirm(client, {"org_inn": "7707 083 893", "org_oktmo": "45 380 000 001"})
    assert done.status_code == 303
    job = rows(app, "employments")[0]
    assert job["verification"] == "confirmed"
    assert (job["org_inn"], job["org_oktmo"]) == ("7707083893", "45380000001")
    assert job["org_name"] == "гбуз  Городская поликлиника №5"  # the worker's words stay
    [event] = [e for e in rows(app, "audit_log") if e["action"] == "profile.employment.confirm"]
    assert "org_inn" in event["details"] and "org_oktmo" in event["details"]
    free_text.logout()
    free_text.login(WORKER)
    record = client.get("/profile/record").get_data(as_text=True)
    assert "ИНН 7707083893" in record and "подтверждено" in record


def test_rejecting_a_job_without_inn_ignores_the_identifier_fields(app, client, free_text):
    free_text.login(HR)
    done = post_form(
        client,
        "/staff/employment/1",
        {"decision": "reject", "reason": "Не работает у нас", "org_inn": "x", "org_oktmo": ""},
    )
    assert done.status_code == 303
    job = rows(app, "employments")[0]
    assert job["verification"] == "rejected" and job["org_inn"] is None
    assert job["rejection_reason"] == "Не работает у нас"


def test_another_organisations_hr_admin_cannot_see_or_touch_the_job(app, client, free_text):
    free_text.login(OTHER_HR)
    assert "/staff/employment/1" not in client.get("/staff").get_data(as_text=True)
    assert client.get("/staff/employment/1").status_code == 404
    assert confirm(client, {"org_inn": "7830002293", "org_oktmo": "40000000"}).status_code == 404
    assert rows(app, "employments")[0]["verification"] == "declared"


def test_hr_admin_never_edits_the_workers_job_nor_decides_on_their_own(app, client, free_text):
    free_text.login(HR)
    assert client.get("/profile/employment/1").status_code == 403
    assert (
        post_form(
            client, "/profile/employment/1", FREE_TEXT_JOB, page="/staff/employment/1"
        ).status_code
        == 403
    )
    own = insert_job(app, 2, verification="declared", org_name=CLINIC["org_name"], kind="internal")
    assert client.get(f"/staff/employment/{own}").status_code == 403
    assert (
        confirm(client, {"org_inn": "7707083893", "org_oktmo": "45380000"}, own).status_code == 403
    )


# The schema ----------------------------------------------------------------------------------


def test_jobs_kept_under_the_old_schema_survive_the_migration(tmp_path):
    db = Database(tmp_path / "old.sqlite3")
    migrations.apply(db, stop_before="employer_identifiers_optional")
    stamp = "2025-01-01T00:00:00+00:00"
    db.execute(
        "insert into users (id, surname, name, birth_date, snils_enc, snils_bidx, phone, email, "
        "status, created_at, updated_at) values (1, 'Иванова', 'Мария', '1990-05-17', 'x', 'y', "
        "'+79120000001', 'a@example.ru', 'active', ?, ?)",
        [stamp, stamp],
    )
    old = [
        {
            "id": 1,
            "user_id": 1,
            **CLINIC,
            "department": "Терапия",
            "position": "Врач-терапевт",
            "specialty": "Терапия",
            "rate": 0.5,
            "kind": "external",
            "start_date": "2019-09-01",
            "end_date": "2020-01-01",
            "document_kind": "order",
            "document_number": "125-к",
            "document_date": "2019-08-30",
            "source": "self",
            "verification": "rejected",
            "rejection_reason": "Не тот приказ",
            "created_at": stamp,
            "updated_at": stamp,
        },
        {**{k: None for k in ("department", "specialty", "end_date", "org_ogrn")}, "id": 2},
    ]
    old[1] = {**old[0], **old[1], "verification": "confirmed", "rejection_reason": None}
    for job in old:
        db["employments"].insert(job)
    db.conn.commit()
    migrations.apply(db)
    assert list(db.query("select * from employments order by id")) == old
    indexes = {i.name: i.columns for i in db["employments"].indexes}
    assert indexes["employments_org"] == ["org_inn", "verification"]
    db["employments"].insert({**old[0], "id": 3, "org_inn": None, "org_oktmo": None})
    with pytest.raises(Exception, match="CHECK constraint failed"):
        db["employments"].insert({**old[0], "id": 4, "rate": 0})


def test_a_job_without_inn_is_no_finding_but_a_wrong_inn_still_is():
    from tests.unit.test_checks import JOB as CHECKED
    from tests.unit.test_checks import TODAY, snapshot
    from webapp.profile.checks import OK, findings

    def problems(job):
        records = {**snapshot().records, "employment": [job]}
        return [f.title for f in findings(snapshot(records=records), TODAY) if f.status != OK]

    assert problems({**CHECKED, "org_inn": None}) == []
    assert problems({**CHECKED, "org_inn": "7707083894"}) == [
        "Врач-терапевт, Поликлиника № 5: ИНН организации с ошибкой"
    ]
