"""The reviewers' side: the queue, the review screen, verdicts, moves, exams — and who may not."""

import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from PIL import Image, ImageDraw

from tests.conftest import HTMX, AuthActions, create_active_user, csrf_from
from tests.web.applications_setup import add_submitted
from webapp import clock
from webapp.applications import engine, states, store, tasks
from webapp.applications.kinds import KINDS
from webapp.auth.store import users
from webapp.db import connect
from webapp.review.views import parse_cursor, working_days

TODAY = date(2026, 12, 1)  # a Tuesday
WORKER, REVIEWER, OTHER_REVIEWER = "+79120000001", "+79120000003", "+79120000004"
HR, ADMIN = "+79120000005", "+79120000006"


@pytest.fixture(autouse=True)
def _frozen_clock():
    clock.freeze(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    yield
    clock.freeze(None)


@pytest.fixture
def people(app):
    return SimpleNamespace(
        worker=create_active_user(app, n=1),
        reviewer=create_active_user(app, n=3, role="reviewer"),
        other=create_active_user(app, n=4, role="reviewer"),
    )


@pytest.fixture
def reviewer(people, client, auth):
    auth.login(REVIEWER)
    return people


def open_db(app):
    return connect(app.config["DATABASE"])


def submit(app, user_id, *, n=1, deadline=TODAY + timedelta(days=3), **options):
    """A submitted application numbered А-2026-00000n (see `add_submitted`)."""
    db = open_db(app)
    try:
        return add_submitted(
            db, app.extensions["storage"], user_id, number=f"А-2026-{n:06d}", deadline=deadline,
            **options,
        )  # fmt: skip
    finally:
        db.close()


def application(app, application_id):
    db = open_db(app)
    try:
        return store.get(db, application_id)
    finally:
        db.close()


def table(app, sql, params=()):
    db = open_db(app)
    try:
        return list(db.query(sql, list(params)))
    finally:
        db.close()


def set_state(app, application_id, state, assignee_id=None):
    db = open_db(app)
    db.execute(
        "update applications set state = ?, assignee_id = ? where id = ?",
        [state, assignee_id, application_id],
    )
    db.close()


def events(app, application_id):
    return table(app, "select * from application_events where application_id = ?", [application_id])


def token(client, path="/review"):
    return csrf_from(client.get(path).get_data(as_text=True))


def post(client, url, data=None, csrf=None, **kwargs):
    return client.post(url, data={**(data or {}), "csrf_token": csrf or token(client)}, **kwargs)


def follow(client, response):
    assert response.status_code == 303, response.status_code
    return client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)


def take_and_check(client, application_id):
    csrf = token(client, f"/review/{application_id}")
    assert post(client, f"/review/{application_id}/move/take", csrf=csrf).status_code == 303
    assert post(client, f"/review/{application_id}/move/check", csrf=csrf).status_code == 303
    assert application(client.application, application_id)["state"] == "under_check"
    return csrf


# Who may open the pages ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(app, client, people):
    application_id = submit(app, people.worker)
    for path in ("/review", f"/review/{application_id}"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("role", "n", "login"), [("worker", 1, WORKER), ("orgadmin", 5, HR), ("admin", 6, ADMIN)]
)
def test_only_reviewers_open_the_review_pages(app, client, auth, people, role, n, login):
    if role != "worker":
        create_active_user(app, n=n, role=role)
    application_id = submit(app, people.worker)
    auth.login(login)
    csrf = token(client, "/")
    assert client.get("/review").status_code == 403
    assert client.get(f"/review/{application_id}").status_code == 403
    assert client.get(f"/review/{application_id}/files/1/pages/1").status_code == 403
    assert post(client, f"/review/{application_id}/move/take", csrf=csrf).status_code == 403
    assert application(app, application_id)["assignee_id"] is None
    assert "Экспертиза" not in client.get("/").get_data(as_text=True)


def test_reviewers_see_the_tab_and_never_drafts(app, client, reviewer):
    assert "Экспертиза" in client.get("/").get_data(as_text=True)
    db = open_db(app)
    draft = store.create_draft(db, reviewer.worker, "periodic", "Терапия", {})
    db.close()
    assert client.get(f"/review/{draft}").status_code == 404
    assert client.get("/review/999999").status_code == 404


def test_a_reviewer_who_applied_is_sent_to_the_own_page_and_cannot_act(app, client, auth, people):
    db = open_db(app)
    db["user_roles"].insert({"user_id": people.reviewer, "role": "worker"})
    db.close()
    own = submit(app, people.reviewer)
    auth.login(REVIEWER)
    response = client.get(f"/review/{own}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/applications/{own}"
    html = follow(client, post(client, f"/review/{own}/move/take"))
    assert "Своё заявление проверить нельзя" in html
    assert application(app, own)["state"] == "submitted"
    other = submit(app, people.worker, n=2)
    queue = client.get("/review").get_data(as_text=True)
    assert f"/review/{other}" in queue and f'/review/{own}"' not in queue


# The queue ----------------------------------------------------------------------------------------


def numbers(html):
    return re.findall(r"А-2026-\d{6}", html)


def test_queue_shows_rows_counts_and_who_holds_them(app, client, reviewer):
    free = submit(app, reviewer.worker, n=1, deadline=TODAY - timedelta(days=1))
    mine = submit(app, reviewer.worker, n=2)
    theirs = submit(app, reviewer.worker, n=3)
    set_state(app, mine, "registered", reviewer.reviewer)
    set_state(app, theirs, "under_check", reviewer.other)
    html = client.get("/review").get_data(as_text=True)
    assert numbers(html) == ["А-2026-000001", "А-2026-000002", "А-2026-000003"]  # by deadline
    assert "Иванова М.П." in html and "Периодическая аккредитация" in html
    assert "просрочено" in html and "в работе у вас" in html
    assert "в работе у другого эксперта" in html and "свободно" in html
    assert f'href="/review/{free}"' in html
    counts = re.findall(
        r"<strong>(\d+)</strong> (ждут регистрации|в работе у вас|просрочено)", html
    )
    assert dict((w, int(c)) for c, w in counts) == {
        "ждут регистрации": 1,
        "в работе у вас": 1,
        "просрочено": 1,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=registered", ["А-2026-000002"]),
        ("kind=primary", ["А-2026-000003"]),
        ("specialty=Кардиология", ["А-2026-000004"]),
        ("region=Томская+область", ["А-2026-000005"]),
        ("overdue=y", ["А-2026-000001"]),
        ("mine=y", ["А-2026-000002"]),
        ("status=registered&mine=y", ["А-2026-000002"]),
        ("status=draft", None),  # not an open state: ignored
        ("specialty=<script>", None),  # not in the queue: ignored
        ("region=Атлантида", None),
    ],
)
def test_queue_filters_each_filter(app, client, reviewer, query, expected):
    w = reviewer.worker
    submit(app, w, n=1, deadline=TODAY - timedelta(days=2))
    registered = submit(app, w, n=2)
    set_state(app, registered, "registered", reviewer.reviewer)
    submit(app, w, n=3, kind="primary")
    submit(app, w, n=4, specialty="Кардиология")
    submit(app, w, n=5, region="Томская область")
    response = client.get(f"/review?{query}")
    assert response.status_code == 200
    everyone = [f"А-2026-{n:06d}" for n in range(1, 6)]
    assert numbers(response.get_data(as_text=True)) == (expected or everyone)


def test_queue_pages_with_a_keyset_cursor(app, client, reviewer):
    for n in range(1, 27):
        submit(app, reviewer.worker, n=n, deadline=TODAY + timedelta(days=n % 4))
    first = client.get("/review").get_data(as_text=True)
    shown = numbers(first)
    assert len(shown) == store.PAGE
    more = re.search(r'href="(/review\?after=[^"]+)"', first).group(1).replace("&amp;", "&")
    assert re.fullmatch(r"/review\?after=\d{4}-\d\d-\d\d_\d+", more)
    rest = client.get(more, headers=HTMX)
    assert rest.status_code == 200
    fragment = rest.get_data(as_text=True)
    assert "<h1>" not in fragment and "Показать ещё" not in fragment
    shown += numbers(fragment)
    assert sorted(shown) == [f"А-2026-{n:06d}" for n in range(1, 27)]  # each exactly once
    # The order is by deadline, then id.
    rows = {
        r["number"]: (r["queue_deadline"], r["id"])
        for r in table(app, "select * from applications")
    }
    assert [rows[s] for s in shown] == sorted(rows[s] for s in shown)
    # A cursor keeps the filters; garbage cursors are ignored.
    filtered = client.get("/review?kind=periodic").get_data(as_text=True)
    assert "kind=periodic" in re.search(r'href="(/review\?[^"]*after=[^"]+)"', filtered).group(1)
    for garbage in ("x", "2026-13-01_5", "2026-12-01_", "_5", "2026-12-01_5_6", "9" * 40):
        response = client.get(f"/review?after={garbage}")
        assert response.status_code == 200
        assert len(numbers(response.get_data(as_text=True))) == store.PAGE


def test_parse_cursor_and_working_days_words():
    assert parse_cursor("2026-12-01_42") == ("2026-12-01", 42)
    assert parse_cursor("2026-02-30_1") is None
    assert parse_cursor(None) is None and parse_cursor("2026-12-01_-1") is None
    assert parse_cursor("2026-12-01_5\n") is None
    assert [working_days(n) for n in (1, 2, 5, 11, 21, -3)] == [
        "1 рабочий день",
        "2 рабочих дня",
        "5 рабочих дней",
        "11 рабочих дней",
        "21 рабочий день",
        "3 рабочих дня",
    ]


# The review screen --------------------------------------------------------------------------------


def test_review_screen_shows_the_application_and_is_in_the_workers_log(app, client, reviewer):
    application_id = submit(app, reviewer.worker, files=2)
    html = client.get(f"/review/{application_id}").get_data(as_text=True)
    assert "Заявление А-2026-000001" in html
    assert "Периодическая аккредитация специалиста" in html and "Терапия" in html
    assert "Иванова Мария Петровна" in html and "17.05.1990" in html
    assert "Регистрация заявления: до 04.12.2026" in html and "осталось 3 рабочих дня" in html
    assert "Диплом" in html and "Документ 1" in html and "Не проверен" in html
    assert f"/applications/{application_id}/files/" in html
    assert "Взять в работу" in html and "Подано" in html
    [row] = table(app, "select * from audit_log where action = 'application.review_view'")
    assert row["subject_user_id"] == reviewer.worker and row["actor_id"] == reviewer.reviewer
    assert row["object_id"] == str(application_id) and "А-2026-000001" in row["details"]


def test_file_pages_render_and_opening_a_file_is_audited_once(app, client, reviewer):
    application_id = submit(app, reviewer.worker)
    [file] = table(app, "select id from application_files")
    base = f"/review/{application_id}/files/{file['id']}"
    viewer = client.get(base, headers=HTMX).get_data(as_text=True)
    assert f"{base}/pages/1" in viewer and f"{base}/pages/2" in viewer
    for number in (1, 2):
        response = client.get(f"{base}/pages/{number}")
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert Image.open(io.BytesIO(response.data)).width == 1000
    assert client.get(f"{base}/pages/3").status_code == 404
    assert client.get(f"{base}/pages/0").status_code == 404
    assert client.get(f"/review/{application_id}/files/999/pages/1").status_code == 404
    audited = table(app, "select * from audit_log where action = 'application.file_view'")
    assert len(audited) == 1 and audited[0]["subject_user_id"] == reviewer.worker


# Taking, and acting only as the assignee ----------------------------------------------------------


def test_take_is_atomic_the_second_reviewer_is_refused(app, client, reviewer):
    application_id = submit(app, reviewer.worker)
    second = app.test_client()
    AuthActions(second).login(OTHER_REVIEWER)
    late_token = token(second, f"/review/{application_id}")  # both have the page open
    html = follow(client, post(client, f"/review/{application_id}/move/take"))
    assert "зарегистрировано" in html
    late = follow(second, post(second, f"/review/{application_id}/move/take", csrf=late_token))
    assert "невозможно" in late
    row = application(app, application_id)
    assert row["state"] == "registered" and row["assignee_id"] == reviewer.reviewer
    # Two takes from the same stale page: the compare-and-set lets only one through.
    other_id = submit(app, reviewer.worker, n=2)
    db = open_db(app)
    try:
        stale = store.get(db, other_id)
        with app.test_request_context():
            first = users.get_user(db, reviewer.reviewer)
            beaten = users.get_user(db, reviewer.other)
            engine.move(db, stale, "take", first, "reviewer")
            with pytest.raises(engine.MoveRefused):
                engine.move(db, stale, "take", beaten, "reviewer")
    finally:
        db.close()
    assert application(app, other_id)["assignee_id"] == reviewer.reviewer
    assert [e["action"] for e in events(app, other_id)] == ["submit", "take"]


def test_only_the_assignee_gives_verdicts_sets_exams_and_moves(app, client, auth, reviewer):
    application_id = submit(app, reviewer.worker, kind="primary")
    take_and_check(client, application_id)
    [file] = table(app, "select id from application_files")
    before = len(events(app, application_id))
    auth.logout()
    auth.login(OTHER_REVIEWER)
    html = client.get(f"/review/{application_id}").get_data(as_text=True)
    assert "в работе у другого эксперта" in html and "Требуется уточнение</button>" not in html
    attempts = [
        (
            f"/review/{application_id}/files/{file['id']}/verdict",
            {f"file{file['id']}-verdict": "accepted"},
        ),
        (f"/review/{application_id}/exams", {"exams-testing": "2026-12-20"}),
        (f"/review/{application_id}/move/forward", {}),
        (f"/review/{application_id}/move/return", {"return-comment": "Не тот диплом"}),
    ]
    for url, data in attempts:
        assert "в работе у другого эксперта" in follow(client, post(client, url, data))
    row = application(app, application_id)
    assert row["state"] == "under_check" and row["assignee_id"] == reviewer.reviewer
    assert row["exams"] == {}
    assert table(app, "select verdict from application_files")[0]["verdict"] == "pending"
    assert len(events(app, application_id)) == before


def test_a_needs_fix_verdict_needs_a_short_reason(app, client, reviewer):
    application_id = submit(app, reviewer.worker)
    csrf = take_and_check(client, application_id)
    [file] = table(app, "select id from application_files")
    url = f"/review/{application_id}/files/{file['id']}/verdict"
    name = f"file{file['id']}"
    for reason, message in (("", "Напишите, что нужно уточнить"), ("я" * 501, "500")):
        response = post(
            client, url, {f"{name}-verdict": "needs_fix", f"{name}-reason": reason}, csrf
        )
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    bogus = post(client, url, {f"{name}-verdict": "maybe"}, csrf)
    assert bogus.status_code == 422
    assert table(app, "select verdict, reason from application_files")[0] == {
        "verdict": "pending",
        "reason": None,
    }
    assert not table(app, "select * from audit_log where action = 'application.verdict'")


def upload_document(client) -> int:
    image = Image.new("RGB", (600, 800), (60, 50, 40))
    ImageDraw.Draw(image).polygon([(100, 90), (510, 120), (490, 710), (80, 680)], fill="white")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    response = client.post(
        "/documents/upload",
        data={
            "doc_type": "diploma",
            "title": "",
            "pages": [(io.BytesIO(out.getvalue()), "page.jpg")],
            "csrf_token": token(client, "/documents/new"),
        },
        headers={"Accept": "application/json", "Idempotency-Key": str(uuid.uuid4())},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def test_a_verdict_shows_on_the_workers_own_document(app, client, auth, people):
    auth.login(WORKER)
    document_id = upload_document(client)
    auth.logout()
    application_id = submit(app, people.worker, document_id=document_id)
    auth.login(REVIEWER)
    csrf = take_and_check(client, application_id)
    [file] = table(app, "select id from application_files")
    name = f"file{file['id']}"
    response = post(
        client,
        f"/review/{application_id}/files/{file['id']}/verdict",
        {f"{name}-verdict": "needs_fix", f"{name}-reason": "Не видна печать"},
        csrf,
    )
    assert response.headers["Location"].endswith(f"/review/{application_id}#file-{file['id']}")
    html = follow(client, response)
    assert "Замечание: Не видна печать" in html
    [document] = table(app, "select status, remark from documents")
    assert document == {"status": "needs_fix", "remark": "Не видна печать"}
    post(
        client,
        f"/review/{application_id}/files/{file['id']}/verdict",
        {f"{name}-verdict": "accepted", f"{name}-reason": "ignored"},
        csrf,
    )
    assert table(app, "select status, remark from documents")[0] == {
        "status": "accepted",
        "remark": None,
    }
    assert table(app, "select verdict, reason from application_files")[0] == {
        "verdict": "accepted",
        "reason": None,
    }
    auth.logout()
    auth.login(WORKER)
    assert "Принят" in client.get(f"/documents/{document_id}").get_data(as_text=True)


def test_verdicts_only_while_the_documents_are_checked(app, client, reviewer):
    application_id = submit(app, reviewer.worker)
    csrf = token(client, f"/review/{application_id}")
    post(client, f"/review/{application_id}/move/take", csrf=csrf)  # registered, not checked
    [file] = table(app, "select id from application_files")
    html = follow(
        client,
        post(
            client,
            f"/review/{application_id}/files/{file['id']}/verdict",
            {f"file{file['id']}-verdict": "accepted"},
            csrf,
        ),
    )
    assert "пока заявление «На проверке»" in html
    assert table(app, "select verdict from application_files")[0]["verdict"] == "pending"


# Returning, passing, failing ----------------------------------------------------------------------


def notices(app, user_id):
    return table(app, "select * from notifications where user_id = ? order by id", [user_id])


def test_return_with_a_marked_file_tells_the_worker_what_to_fix(app, client, reviewer):
    application_id = submit(app, reviewer.worker)
    csrf = take_and_check(client, application_id)
    # Nothing marked and no comment: refused, nothing changes.
    refused = post(client, f"/review/{application_id}/move/return", {"return-comment": ""}, csrf)
    assert refused.status_code == 422
    assert "отметьте документы" in refused.get_data(as_text=True)
    assert application(app, application_id)["state"] == "under_check"
    [file] = table(app, "select id from application_files")
    name = f"file{file['id']}"
    post(
        client,
        f"/review/{application_id}/files/{file['id']}/verdict",
        {f"{name}-verdict": "needs_fix", f"{name}-reason": "Нет приложения к диплому"},
        csrf,
    )
    html = follow(client, post(client, f"/review/{application_id}/move/return", {}, csrf))
    assert "возвращено на доработку" in html
    assert application(app, application_id)["state"] == "returned"
    notice = notices(app, reviewer.worker)[-1]
    assert notice["title"] == "Заявление возвращено на доработку"
    assert "Нет приложения к диплому" in notice["body"]
    assert events(app, application_id)[-1]["comment"].startswith("Требуется уточнение: Диплом")


def test_return_with_a_comment_alone(app, client, reviewer):
    application_id = submit(app, reviewer.worker)
    csrf = take_and_check(client, application_id)
    response = post(
        client,
        f"/review/{application_id}/move/return",
        {"return-comment": "Приложите отчёт за 5 лет."},
        csrf,
    )
    assert response.status_code == 303
    assert application(app, application_id)["state"] == "returned"
    assert "Приложите отчёт за 5 лет." in notices(app, reviewer.worker)[-1]["body"]


def accept_all(client, application_id, csrf):
    for file in table(client.application, "select id from application_files"):
        response = post(
            client,
            f"/review/{application_id}/files/{file['id']}/verdict",
            {f"file{file['id']}-verdict": "accepted"},
            csrf,
        )
        assert response.status_code == 303


def to_review(client, app, application_id):
    csrf = take_and_check(client, application_id)
    accept_all(client, application_id, csrf)
    for action in ("forward", "review"):
        assert post(client, f"/review/{application_id}/move/{action}", csrf=csrf).status_code == 303
    assert application(app, application_id)["state"] == "under_review"
    return csrf


def test_pass_needs_the_protocol_then_records_the_accreditation(app, client, reviewer):
    application_id = submit(app, reviewer.worker)
    csrf = to_review(client, app, application_id)
    url = f"/review/{application_id}/move/pass"
    for data, message in (
        ({}, "Заполните это поле"),
        (
            {"pass-protocol_number": "17", "pass-protocol_date": "2026-12-02"},
            "не может быть в будущем",
        ),
        ({"pass-protocol_number": "1" * 51, "pass-protocol_date": "2026-11-30"}, "50"),
    ):
        response = post(client, url, data, csrf)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True)
    assert application(app, application_id)["state"] == "under_review"
    response = post(
        client, url, {"pass-protocol_number": "17/А", "pass-protocol_date": "2026-11-30"}, csrf
    )
    assert "аккредитация пройдена" in follow(client, response)
    row = application(app, application_id)
    assert row["state"] == "passed" and row["decision_protocol"] == "17/А"
    assert row["decision_date"] == date(2026, 11, 30) and row["result_token"]
    [certificate] = table(app, "select * from certificates where user_id = ?", [reviewer.worker])
    assert certificate["source"] == "regulator" and certificate["verification"] == "confirmed"
    assert certificate["specialty"] == "Терапия" and certificate["valid_until"] == "2031-11-29"
    assert notices(app, reviewer.worker)[-1]["title"] == "Аккредитация пройдена"


def test_the_extract_is_made_by_the_queue_once_and_a_lost_task_is_swept_up(
    app, client, auth, reviewer
):
    """The decision commits first; the job queue then makes the выписка and tells the worker
    (here at once: tests run tasks in-process). When that task is lost the worker's page says it
    is being made, and the five-minute sweep makes it; running the task again changes nothing."""
    application_id = submit(app, reviewer.worker)
    csrf = to_review(client, app, application_id)
    data = {"pass-protocol_number": "17/А", "pass-protocol_date": "2026-11-30"}
    assert post(client, f"/review/{application_id}/move/pass", data, csrf).status_code == 303
    made = application(app, application_id)
    assert made["result_key"] and made["result_sha256"]
    told = [n["title"] for n in notices(app, reviewer.worker)]
    assert told.count("Аккредитация пройдена") == 1  # sent once the выписка was made

    db = open_db(app)  # as if the queue had lost the task: the decision without its выписка
    db.execute("update applications set result_key = null where id = ?", [application_id])
    db.close()
    auth.logout()
    auth.login(WORKER)
    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Выписка формируется" in page and "Скачать выписку" not in page

    with app.app_context():
        assert tasks.sweep_extracts.call_local() == 0  # decided a moment ago: its task may run
        clock.freeze(datetime(2026, 12, 1, 9, 3, tzinfo=UTC))
        assert tasks.sweep_extracts.call_local() == 1
        assert tasks.make_extracts.call_local([application_id]) == 0  # made already
    remade = application(app, application_id)
    assert remade["result_key"] and remade["result_key"] != made["result_key"]
    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Скачать выписку" in page and "Выписка формируется" not in page
    download = client.get(f"/applications/{application_id}/extract.pdf")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    told = [n["title"] for n in notices(app, reviewer.worker)]
    assert told.count("Аккредитация пройдена") == 2  # the swept one told the worker too


def test_fail_needs_a_reason_and_the_protocol(app, client, reviewer):
    application_id = submit(app, reviewer.worker)
    csrf = to_review(client, app, application_id)
    url = f"/review/{application_id}/move/fail"
    protocol = {"fail-protocol_number": "18", "fail-protocol_date": "2026-11-30"}
    response = post(client, url, protocol, csrf)
    assert response.status_code == 422 and "Напишите причину" in response.get_data(as_text=True)
    assert application(app, application_id)["state"] == "under_review"
    response = post(client, url, {**protocol, "fail-comment": "Тест не сдан."}, csrf)
    assert response.status_code == 303
    row = application(app, application_id)
    assert row["state"] == "not_passed" and row["result_token"] is None
    assert not table(app, "select * from certificates")


# Exams --------------------------------------------------------------------------------------------


def test_exam_dates_are_saved_on_the_timeline_and_the_worker_is_told(app, client, reviewer):
    application_id = submit(app, reviewer.worker, kind="primary")
    csrf = take_and_check(client, application_id)
    url = f"/review/{application_id}/exams"
    for data, message in (
        ({}, "хотя бы одного этапа"),
        ({"exams-testing": "2026-11-30"}, "не может быть в прошлом"),
        ({"exams-testing": "31.02.2027"}, "Такой даты нет"),
    ):
        response = post(client, url, data, csrf)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True)
    assert application(app, application_id)["exams"] == {}
    response = post(
        client, url, {"exams-testing": "2026-12-12", "exams-skills": "15.12.2026"}, csrf
    )
    assert response.status_code == 303
    assert application(app, application_id)["exams"] == {
        "testing": "2026-12-12",
        "skills": "2026-12-15",
    }
    event = events(app, application_id)[-1]
    assert event["action"] == "exams" and event["from_state"] == event["to_state"] == "under_check"
    assert event["comment"] == "Тестирование — 12.12.2026; Оценка практических навыков — 15.12.2026"
    notice = notices(app, reviewer.worker)[-1]
    assert notice["title"] == "Назначены даты экзаменов" and "12.12.2026" in notice["body"]
    assert notice["link"] == f"/applications/{application_id}"
    html = client.get(f"/review/{application_id}").get_data(as_text=True)
    assert 'value="2026-12-12"' in html and "Назначены даты экзаменов" in html


def test_exams_are_refused_for_kinds_without_them(app, client, reviewer):
    application_id = submit(app, reviewer.worker, kind="periodic")
    csrf = take_and_check(client, application_id)
    html = follow(
        client,
        post(client, f"/review/{application_id}/exams", {"exams-testing": "2026-12-12"}, csrf),
    )
    assert "экзамены не назначаются" in html
    assert application(app, application_id)["exams"] == {}


# Every move the machine does not allow is refused and changes nothing -----------------------------


@pytest.mark.parametrize("action", [*states.MOVES, "bogus"])
def test_every_invalid_move_is_refused_without_change(app, client, reviewer, action):
    csrf = token(client)
    ids = {
        "periodic": submit(app, reviewer.worker, kind="periodic", n=1),
        "qualification": submit(app, reviewer.worker, kind="qualification", specialty=None, n=2),
    }
    checked = 0
    for kind, application_id in ids.items():
        allowed = KINDS[kind].actions
        for state in states.STATES:
            move = states.MOVES.get(action)
            valid = (
                move is not None
                and action in allowed
                and move.role == "reviewer"
                and state in move.sources
            )
            if valid:
                continue
            set_state(app, application_id, state, reviewer.reviewer)
            before = application(app, application_id)
            count = len(events(app, application_id))
            response = post(
                client,
                f"/review/{application_id}/move/{action}",
                {
                    f"{action}-comment": "Причина",
                    f"{action}-protocol_number": "1",
                    f"{action}-protocol_date": "2026-11-30",
                },
                csrf,
            )
            if state == "draft":
                assert response.status_code == 404  # a reviewer never sees drafts
            else:
                assert response.status_code == 303, (kind, state)
                flashed = client.get(response.headers["Location"]).get_data(as_text=True)
                assert "flash-error" in flashed, (kind, state)
            after = application(app, application_id)
            assert {**after, "updated_at": None} == {**before, "updated_at": None}, (kind, state)
            assert len(events(app, application_id)) == count
            checked += 1
    assert checked >= 20


def test_return_joins_the_comment_and_the_remarks_on_files(app, client, reviewer):
    application_id = submit(app, reviewer.worker)
    csrf = take_and_check(client, application_id)
    [file] = table(app, "select id from application_files")
    name = f"file{file['id']}"
    post(
        client,
        f"/review/{application_id}/files/{file['id']}/verdict",
        {f"{name}-verdict": "needs_fix", f"{name}-reason": "Нет печати"},
        csrf,
    )
    post(
        client, f"/review/{application_id}/move/return", {"return-comment": "См. замечания."}, csrf
    )
    comment = events(app, application_id)[-1]["comment"]
    assert comment == "См. замечания. Требуется уточнение: Диплом — Нет печати"


def test_forward_waits_until_every_file_is_accepted(app, client, reviewer):
    application_id = submit(app, reviewer.worker, files=2)
    csrf = take_and_check(client, application_id)
    html = client.get(f"/review/{application_id}").get_data(as_text=True)
    assert "Не приняты: 2." in html and "disabled" in html
    refused = follow(client, post(client, f"/review/{application_id}/move/forward", csrf=csrf))
    assert "Сначала примите все документы" in refused
    assert application(app, application_id)["state"] == "under_check"
    accept_all(client, application_id, csrf)
    assert "Не приняты" not in client.get(f"/review/{application_id}").get_data(as_text=True)
    assert post(client, f"/review/{application_id}/move/forward", csrf=csrf).status_code == 303
    assert application(app, application_id)["state"] == "forwarded"


def test_queue_counts_stop_at_the_cap(app, client, reviewer, monkeypatch):
    from webapp.applications import store as applications

    for n in range(3):
        submit(app, reviewer.worker, n=n + 1)
    monkeypatch.setattr(applications, "COUNT_CAP", 2)
    page = client.get("/review").get_data(as_text=True)
    assert "<strong>2+</strong> ждут регистрации" in page
    monkeypatch.setattr(applications, "COUNT_CAP", 999)
    assert "<strong>3</strong> ждут регистрации" in client.get("/review").get_data(as_text=True)


def test_a_kind_is_handled_only_by_its_handler_role(app, client, reviewer, monkeypatch):
    """`Kind.handler` is data: a kind handled by another role cannot be taken by a reviewer."""
    import dataclasses

    monkeypatch.setitem(KINDS, "periodic", dataclasses.replace(KINDS["periodic"], handler="admin"))
    application_id = submit(app, reviewer.worker)
    html = follow(client, post(client, f"/review/{application_id}/move/take"))
    assert "рассматривают другие сотрудники" in html
    assert application(app, application_id)["state"] == "submitted"


def test_a_kind_without_a_result_document_records_the_decision_only(
    app, client, reviewer, monkeypatch
):
    import dataclasses

    monkeypatch.setitem(
        KINDS, "periodic", dataclasses.replace(KINDS["periodic"], result_document=False)
    )
    application_id = submit(app, reviewer.worker)
    csrf = to_review(client, app, application_id)
    post(
        client,
        f"/review/{application_id}/move/pass",
        {"pass-protocol_number": "18", "pass-protocol_date": TODAY.isoformat()},
        csrf,
    )
    row = application(app, application_id)
    assert row["state"] == "passed" and row["record_id"]
    assert row["result_token"] is None and row["result_key"] is None
