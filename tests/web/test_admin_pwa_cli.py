"""Admin audit page, PWA endpoints, CLI commands."""

import sqlite3

from tests.conftest import AuthActions, create_active_user, make_snils, static_url


def test_audit_page_is_for_admins_only(app, client, auth):
    create_active_user(app, n=1)
    auth.login()
    assert client.get("/admin/audit").status_code == 403


def test_audit_page_filters_and_pages_by_keyset(app, client, db):
    admin = create_active_user(app, n=9, role="admin")
    worker = create_active_user(app, n=1)
    for _ in range(60):
        AuthActions(app.test_client()).login(login="+79990000000")
    AuthActions(client).login(login="+79120000009")
    app.config["AUDIT_PAGE_SIZE"] = 25
    first = client.get("/admin/audit?action=login.failure").get_data(as_text=True)
    assert first.count('<code class="meta">login.failure</code>') == 25
    assert "Показать ещё" in first
    last_id = db.execute(
        "select id from audit_log where action = 'login.failure' order by id desc limit 1 offset 24"
    ).fetchone()[0]
    assert f"before={last_id}" in first
    partial = client.get(
        f"/admin/audit?action=login.failure&before={last_id}", headers={"HX-Request": "true"}
    )
    body = partial.get_data(as_text=True)
    assert "<html" not in body and body.count('<code class="meta">login.failure</code>') == 25
    mine = client.get(f"/admin/audit?user={admin}").get_data(as_text=True)
    assert "login.success" in mine and "login.failure" not in mine
    assert worker


def test_audit_filters_ignore_garbage(app, client):
    create_active_user(app, n=9, role="admin")
    AuthActions(client).login(login="+79120000009")
    response = client.get("/admin/audit?user=abc&from=31.02.2026&to=x&before=-1&action=%27--")
    assert response.status_code == 200


def test_audit_log_is_append_only(db, app):
    create_active_user(app, n=1)
    try:
        db.execute("delete from audit_log")
    except sqlite3.IntegrityError as exc:
        assert "append-only" in str(exc)
    else:
        raise AssertionError("delete succeeded")


def test_audit_never_holds_passwords_or_codes(app, client, db, outbox):
    from tests.conftest import PASSWORD, code_from, post_form
    from tests.web.test_register import form

    post_form(client, "/register", form())
    code = code_from(outbox("+79125550102")[0]["body"])
    post_form(client, "/register/confirm", {"code": code})
    dump = "\n".join(str(row) for row in db.execute("select * from audit_log"))
    assert PASSWORD not in dump and code not in dump


def test_manifest_has_the_design_fields(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    data = response.get_json()
    for key in (
        "id",
        "name",
        "short_name",
        "start_url",
        "scope",
        "display",
        "theme_color",
        "icons",
        "lang",
    ):
        assert key in data
    assert len(data["short_name"]) <= 12 and data["display"] == "standalone"
    purposes = {(i["sizes"], i["purpose"]) for i in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    for icon in data["icons"]:
        with client.get(icon["src"]) as image:
            assert image.status_code == 200 and image.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_icons_are_real_pngs_of_the_right_size(client):
    from io import BytesIO

    from PIL import Image

    for name, size in (
        ("icon-192.png", 192),
        ("icon-512.png", 512),
        ("icon-maskable-512.png", 512),
        ("apple-touch-icon-180.png", 180),
    ):
        with client.get(static_url(client.application, f"icons/{name}")) as response:
            image = Image.open(BytesIO(response.data))
        assert image.size == (size, size)


def test_service_worker_is_served_from_root_without_caching(client):
    with client.get("/sw.js") as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache"
        assert "javascript" in response.mimetype
        assert "/offline" in response.get_data(as_text=True)


def test_offline_page(client):
    response = client.get("/offline")
    assert "Нет соединения" in response.get_data(as_text=True)
    assert response.headers.get("Cache-Control") != "no-store"


def test_htmx_is_vendored_with_its_licence(client):
    for name in ("htmx-2.0.11.min.js", "htmx-2.0.11.LICENSE"):
        with client.get(static_url(client.application, f"vendor/{name}")) as response:
            assert response.status_code == 200 and response.data


def test_cli_migrate_is_idempotent(runner):
    result = runner.invoke(args=["db-migrate"])
    assert result.exit_code == 0 and "актуальна" in result.output


def test_cli_seeds_demo_only_into_an_empty_database(app, runner, db):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "пароль" in first.output
    # the four demo accounts and seven applicants who fill the reviewer's queue
    assert db.execute("select count(*) from users").fetchone()[0] == 11
    roles = {r[0] for r in db.execute("select role from user_roles")}
    assert roles == {"worker", "reviewer", "orgadmin", "admin"}
    # the demo worker has a record whose accreditation window is open
    assert db.execute("select count(*) from employments where user_id = 1").fetchone()[0] == 2
    client = app.test_client()
    password = first.output.split("пароль ")[1].split()[0]
    assert (
        AuthActions(client).login(login="+79000000001", password=password).headers["Location"]
        == "/"
    )
    ready = client.get("/profile/readiness").get_data(as_text=True)
    assert "Окно подачи открыто" in ready
    # applications in several states; the passed one has its signed выписка
    states = dict(db.execute("select state, count(*) from applications group by state").fetchall())
    assert states["passed"] == 1 and states["under_check"] >= 2 and states["submitted"] >= 2
    mine = client.get("/applications").get_data(as_text=True)
    assert "Аккредитация пройдена" in mine
    passed = db.execute("select id from applications where state = 'passed'").fetchone()[0]
    extract = client.get(f"/applications/{passed}/extract.pdf")
    assert extract.status_code == 200 and extract.data.startswith(b"%PDF")
    second = runner.invoke(args=["seed-demo"])
    assert "уже есть" in second.output
    assert db.execute("select count(*) from users").fetchone()[0] == 11


def test_cli_create_user_validates_and_creates(runner, db):
    base = [
        "create-user",
        "--role",
        "reviewer",
        "--surname",
        "Петров",
        "--name",
        "Олег",
        "--patronymic",
        "",
        "--birth-date",
        "1980-01-02",
        "--phone",
        "+79161234567",
        "--email",
        "petrov@example.ru",
        "--password",
        "длинная фраза для проверки",
    ]
    bad = runner.invoke(args=[*base, "--snils", "11223344596"])
    assert bad.exit_code != 0 and "контрольного" in bad.output
    good = runner.invoke(args=[*base, "--snils", make_snils(3)])
    assert good.exit_code == 0, good.output
    assert db.execute("select role from user_roles").fetchone()[0] == "reviewer"
    again = runner.invoke(args=[*base, "--snils", make_snils(3)])
    assert again.exit_code != 0 and "уже есть" in again.output


def test_cli_backup_is_a_consistent_copy_without_keys(app, runner, tmp_path):
    create_active_user(app, n=1)
    target = tmp_path / "backup"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "data_key" in result.output and "храните их отдельно" in result.output
    copy = sqlite3.connect(target / "medkab.sqlite3")
    assert copy.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert copy.execute("select count(*) from users").fetchone()[0] == 1
    copy.close()
    assert oct(target.stat().st_mode)[-3:] == "700"
    assert oct((target / "medkab.sqlite3").stat().st_mode)[-3:] == "600"
    assert sorted(p.name for p in target.iterdir()) == ["files", "manifest.json", "medkab.sqlite3"]
    assert "11" * 32 not in (target / "manifest.json").read_text()
    assert runner.invoke(args=["backup", str(target)]).exit_code != 0


def test_restore_refuses_another_key_and_an_instance_with_data(app, runner, tmp_path):
    from tests.conftest import settings_for
    from webapp import create_app
    from webapp.db import close_keeper

    target = tmp_path / "backup"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    other = create_app({**settings_for(tmp_path / "other"), "DATA_KEY": "22" * 32})
    refused = other.test_cli_runner().invoke(args=["restore", str(target)])
    assert refused.exit_code != 0 and "Ключ данных" in refused.output
    assert not (tmp_path / "other" / "test.sqlite3").exists()
    close_keeper(other)
    again = runner.invoke(args=["restore", str(target)])
    assert again.exit_code != 0 and "пустой экземпляр" in again.output


def test_instance_secrets_are_created_private(tmp_path):
    from tests.conftest import settings_for
    from webapp import create_app

    settings = settings_for(tmp_path)
    del settings["SECRET_KEY"], settings["DATA_KEY"]
    create_app(settings)
    for name in ("secret_key", "data_key"):
        path = tmp_path / "instance" / name
        assert oct(path.stat().st_mode)[-3:] == "600"
        assert len(bytes.fromhex(path.read_text())) == 32
    again = create_app(settings)
    assert again.config["SECRET_KEY"] == (tmp_path / "instance" / "secret_key").read_text()
