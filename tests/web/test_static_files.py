"""Static files under content-hashed names, cached for good and precompressed (WhiteNoise);
pages compressed on the way out (Flask-Compress); the first load of /login within 30 KB
(issue 13)."""

import gzip
import re
import threading

import brotli
from flask import Flask, render_template_string

from tests.conftest import create_active_user, static_url
from tests.web.test_documents import jpeg, upload
from webapp import static_files
from webapp.config import ROOT

BOTH = {"Accept-Encoding": "br, gzip"}
ASSETS = re.compile(r'<(?:link rel="stylesheet"|script)[^>]*(?:href|src)="([^"]+)"')
FIRST_LOAD_BUDGET = 30 * 1024  # bytes of HTML, stylesheets and scripts as sent


def decoded(response) -> bytes:
    """The body as the browser sees it after undoing Content-Encoding."""
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(response.data)
    if encoding == "gzip":
        return gzip.decompress(response.data)
    assert encoding is None, encoding
    return response.data


def page_assets(html: str) -> list[str]:
    """Stylesheets and scripts a page names, in order, once each."""
    return list(dict.fromkeys(ASSETS.findall(html)))


def test_pages_name_every_static_file_by_its_content(client):
    html = client.get("/login").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert len(urls) >= 6  # stylesheet, four scripts, icons
    manifest = client.application.extensions["static_files"].manifest
    for url in urls:
        assert static_files.HASHED.search(url), url
        assert url.removeprefix("/static/") in manifest.values(), url


def test_a_hashed_file_is_cached_for_good_in_the_encoding_asked_for(client):
    url = static_url(client.application, "css/app.css")
    source = (ROOT / "static" / "css" / "app.css").read_bytes()
    served = static_files.minified("css/app.css", source)
    assert len(served) < len(source)  # comments and spaces gone
    for accept, encoding in (("br, gzip", "br"), ("gzip", "gzip"), ("identity", None)):
        with client.get(url, headers={"Accept-Encoding": accept}) as response:
            assert response.status_code == 200
            assert response.headers.get("Content-Encoding") == encoding
            cache = response.headers["Cache-Control"]
            assert "immutable" in cache and "public" in cache and "no-store" not in cache
            assert int(re.search(r"max-age=(\d+)", cache).group(1)) >= 365 * 24 * 3600
            assert "Accept-Encoding" in response.headers["Vary"]
            assert response.mimetype == "text/css"
            assert decoded(response) == served
            if encoding:
                assert len(response.data) < len(served) / 3


def test_static_files_keep_the_security_headers_and_open_no_session(client, db):
    for name in ("css/app.css", "icons/icon.svg", "icons/icon-192.png"):
        with client.get(static_url(client.application, name), headers=BOTH) as response:
            assert response.status_code == 200
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "default-src 'self'" in response.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
            assert "Set-Cookie" not in response.headers
            if name.endswith(".png"):  # already compressed: sent as it is
                assert "Content-Encoding" not in response.headers
    assert db.execute("select count(*) from sessions").fetchone()[0] == 0


def test_an_unknown_hash_is_404(client):
    url = static_url(client.application, "css/app.css")
    wrong = re.sub(r"\.[0-9a-f]{12}\.css$", ".000000000000.css", url)
    assert wrong != url
    with client.get(wrong) as response:
        assert response.status_code == 404


def test_an_old_unhashed_address_still_gets_the_current_file_revalidated(client):
    with client.get("/static/css/app.css") as response:
        assert response.status_code == 200
        assert response.data == (ROOT / "static" / "css" / "app.css").read_bytes()
        assert response.headers["Cache-Control"] == "no-cache" and "ETag" in response.headers


def test_login_html_is_compressed_when_the_browser_asks(client):
    plain = client.get("/login")
    assert "Content-Encoding" not in plain.headers
    for accept, encoding in (("br, gzip", "br"), ("gzip, deflate", "gzip")):
        response = client.get("/login", headers={"Accept-Encoding": accept})
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.headers["Cache-Control"] == "no-store"
        html = decoded(response).decode()
        assert html.startswith("<!doctype html>") and "Войти" in html
        assert len(response.data) < len(plain.data) / 2


def test_private_answers_to_another_sites_requests_are_not_compressed(client):
    """BREACH: the length of a compressed page must not leak its CSRF token or personal data
    to a page on another site that makes the browser ask many times."""
    for site, compressed in (
        ("same-origin", True),
        ("none", True),
        ("same-site", False),
        ("cross-site", False),
    ):
        response = client.get("/login", headers={**BOTH, "Sec-Fetch-Site": site})
        assert ("Content-Encoding" in response.headers) is compressed, site
        assert "Войти" in decoded(response).decode()
    public = client.get("/sw.js", headers={**BOTH, "Sec-Fetch-Site": "cross-site"})
    assert public.headers["Content-Encoding"] == "br"  # no secret on it: still compressed


def test_downloads_and_images_are_sent_as_they_are(app, client, auth):
    create_active_user(app)
    auth.login()
    assert upload(client, [("a.jpg", jpeg())]).status_code == 201
    for url, magic in (("/documents/1/file", b"%PDF"), ("/documents/1/thumb", b"\xff\xd8")):
        with client.get(url, headers=BOTH) as response:
            assert response.status_code == 200, url
            assert "Content-Encoding" not in response.headers, url
            assert response.data.startswith(magic), url


def test_tiny_bodies_are_not_compressed(app, client):
    app.add_url_rule("/tiny", "tiny", lambda: {"ok": True})
    with client.get("/tiny", headers=BOTH) as response:
        assert response.get_json() == {"ok": True}
        assert "Content-Encoding" not in response.headers
    with client.get("/manifest.webmanifest", headers=BOTH) as response:
        assert response.headers["Content-Encoding"] == "br"  # about 1 KB of JSON


def test_first_load_of_login_is_within_30_kb_and_a_repeat_visit_fetches_only_the_html(client):
    page = client.get("/login", headers=BOTH)
    html = decoded(page).decode()
    sent = {"/login": len(page.data)}
    assets = page_assets(html)
    assert any(u.endswith(".css") for u in assets) and sum(u.endswith(".js") for u in assets) >= 3
    for url in assets:
        with client.get(url, headers=BOTH) as response:
            assert response.status_code == 200, url
            assert response.headers["Content-Encoding"] == "br", url
            # a repeat visit takes it from the browser's cache without asking
            assert "immutable" in response.headers["Cache-Control"], url
            sent[url] = len(response.data)
    total = sum(sent.values())
    assert total <= FIRST_LOAD_BUDGET, sent
    assert page.headers["Cache-Control"] == "no-store"  # the HTML is fetched again, and only it


# ---------------------------------------------------------------- the build itself


def test_changing_a_file_changes_its_address_and_the_old_one_stays(tmp_path):
    source, target = tmp_path / "static", tmp_path / "instance" / "static"
    (source / "css").mkdir(parents=True)
    style = source / "css" / "site.css"
    style.write_text("/* a comment */\nbody {\n  color: red;\n}\n" * 20)
    first = static_files.build(source, target)["css/site.css"]
    assert re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", first)
    served = (target / first).read_bytes()
    assert served == static_files.minified("css/site.css", style.read_bytes())
    assert brotli.decompress((target / f"{first}.br").read_bytes()) == served
    assert gzip.decompress((target / f"{first}.gz").read_bytes()) == served
    stamp = (target / first).stat().st_mtime_ns
    assert static_files.build(source, target)["css/site.css"] == first  # idempotent
    assert (target / first).stat().st_mtime_ns == stamp  # and nothing rewritten

    style.write_text("body { color: blue; }\n" * 20)
    second = static_files.build(source, target)["css/site.css"]
    assert second != first
    assert (target / first).exists() and (target / second).exists()
    assert not list(tmp_path.rglob("*.tmp"))


def test_workers_starting_together_build_the_same_files(tmp_path):
    source, target = tmp_path / "static", tmp_path / "instance" / "static"
    (source / "js").mkdir(parents=True)
    for n in range(20):
        (source / "js" / f"f{n}.js").write_text(f"// file {n}\nconst x{n} = {n};\n" * 200)
    manifests = []
    threads = [
        threading.Thread(target=lambda: manifests.append(static_files.build(source, target)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(manifests) == 4 and all(m == manifests[0] for m in manifests)
    for hashed in manifests[0].values():
        body = (target / hashed).read_bytes()
        assert brotli.decompress((target / f"{hashed}.br").read_bytes()) == body
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_debug_app_names_an_edited_file_anew(tmp_path):
    """`make run` is DEBUG: an edit under static/ shows on the next page, as before hashing."""
    source = tmp_path / "static"
    source.mkdir()
    (source / "site.js").write_text("console.log('one');\n")
    app = Flask(__name__, static_folder=str(source), instance_path=str(tmp_path / "instance"))
    app.config.update(HTTPS=False, DEBUG=True)
    app.debug = True
    static_files.init_app(app)
    app.add_url_rule(
        "/", "index", lambda: render_template_string("{{ url_for('static', filename='site.js') }}")
    )
    client = app.test_client()
    first = client.get("/").get_data(as_text=True)
    (source / "site.js").write_text("console.log('two, longer');\n")
    second = client.get("/").get_data(as_text=True)
    assert first != second
    for url, word in ((first, b"one"), (second, b"two")):
        with client.get(url) as response:
            assert response.status_code == 200 and word in response.data
            assert "immutable" in response.headers["Cache-Control"]


def test_scripts_keep_working_after_minifying():
    """The minifier only drops comments and spaces: template literals and regexes survive."""
    script = (
        "const a = `x  //  y ${1 + 2}`; // gone\nconst re = /a\\/\\/b/g;\n/* gone */ f(a, re);\n"
    )
    out = static_files.minified("js/t.js", script.encode()).decode()
    assert "`x  //  y ${1 + 2}`" in out and "/a\\/\\/b/g" in out and "gone" not in out
    assert static_files.minified("vendor/x.min.js", b"a  =  1") == b"a  =  1"
    assert static_files.minified("icons/i.svg", b"<svg>  </svg>") == b"<svg>  </svg>"


def test_templates_url_for_remembers_only_what_cannot_change(app):
    """Addresses without arguments and static files, per mount point; ids fill a pattern kept
    per endpoint and string values (tests/unit/test_fixed_urls.py checks every route)."""
    urls = app.jinja_env.globals["url_for"]
    with app.test_request_context("/", base_url="http://localhost/medkab/"):
        assert urls("main.index") == "/medkab/"
        assert urls("static", filename="css/app.css").startswith("/medkab/static/css/app.")
        assert urls("applications.show", application_id=7) == "/medkab/applications/7"
        assert urls("auth.login", next="/x") == "/medkab/login?next=/x"
    with app.test_request_context("/"):
        assert urls("main.index") == "/"
        assert urls("static", filename="css/app.css").startswith("/static/css/app.")
        assert urls("applications.show", application_id=8) == "/applications/8"
    assert set(urls.known) == {
        ("/medkab", "main.index", None),
        ("/medkab", "static", "css/app.css"),
        ("/medkab", "applications.show", (("application_id", None),)),
        ("/medkab", "auth.login", (("next", "/x"),)),
        ("", "main.index", None),
        ("", "static", "css/app.css"),
        ("", "applications.show", (("application_id", None),)),
    }
    assert urls.known[("", "applications.show", (("application_id", None),))] == (
        "/applications/%(i0)d"
    )


def test_signed_in_pages_are_compressed_too(app, client, auth):
    """At brotli's fast level (webapp/compression.py); gzip for browsers without brotli."""
    create_active_user(app)
    auth.login()
    plain = client.get("/", headers={"Sec-Fetch-Site": "same-origin"})
    for accept, encoding in (("br, gzip", "br"), ("gzip, deflate", "gzip"), ("identity", None)):
        response = client.get("/", headers={"Accept-Encoding": accept})
        assert response.headers.get("Content-Encoding") == encoding, accept
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.headers["Cache-Control"] == "no-store"
        assert int(response.headers["Content-Length"]) == len(response.data)
        body = decoded(response)
        assert "Здравствуйте" in body.decode() and len(body) == len(plain.data)
    cross = client.get("/", headers={**BOTH, "Sec-Fetch-Site": "cross-site"})
    assert "Content-Encoding" not in cross.headers  # BREACH, as for /login
