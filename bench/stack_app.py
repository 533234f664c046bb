"""The stack's floor for bench/http_bench.py: the least a signed-in page of this product can do.

The customer's fixed stack and the properties issue 13 keeps, written as directly as possible,
with none of the product's own code: Flask-Login loads the user through a session row checked in
SQLite on every request (one statement, one connection per process), Flask-WTF's CSRF token is
on the page, the page is a Jinja template extending a layout (about the size of the product's
dashboard), the answer carries the security headers with a CSP nonce and `no-store`, and is
compressed with brotli 1 as the product compresses signed-in pages.

A product page cannot cost less than this; `http_bench.py` measures it beside
hello-world in the same run, so what the product's own code adds is the difference.
`GET /sign-in` makes a session (cookie `session`); `GET /` is the page.
"""

import os
import secrets
import sqlite3
import tempfile

import brotli
from flask import Flask, g, render_template, request, session
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_wtf.csrf import CSRFProtect

LAYOUT = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="{{ csrf_token() }}">
<title>{% block title %}{% endblock %} — Кабинет медработника</title>
<link rel="stylesheet" href="/static/css/app.css">
<script nonce="{{ g.nonce }}">document.documentElement.classList.add("js")</script>
</head><body>
<header class="top"><a href="/">Кабинет медработника</a>
<span>{{ current_user.name }}</span></header>
<main>{% block content %}{% endblock %}</main>
<nav class="tabs">
{% for href, label in tabs %}<a href="{{ href }}">{{ label }}</a>{% endfor %}</nav>
</body></html>"""

PAGE = """{% extends layout %}{% block title %}Главная{% endblock %}{% block content %}
<h1>Здравствуйте, {{ current_user.name }}</h1>
{% for row in rows %}<section class="card"><h2>{{ row.title }}</h2>
<p class="meta">{{ row.text }}</p><a class="button" href="/items/{{ row.id }}">Открыть</a></section>
{% endfor %}{% endblock %}"""

TABS = [
    ("/", "Главная"),
    ("/profile/record", "Данные"),
    ("/documents", "Документы"),
    ("/applications", "Заявления"),
    ("/notifications", "Уведомления"),
]
ROWS = [
    {"id": i, "title": f"Раздел {i}", "text": "Профессиональные данные и документы " * 3}
    for i in range(int(os.environ.get("STACK_FLOOR_ROWS", "24")))  # 0: the layout alone
]
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), geolocation=(), microphone=()",
    "Cache-Control": "no-store",
}

app = Flask(__name__)
app.secret_key = os.environ.get("STACK_SECRET", "bench-only-secret")
CSRFProtect(app)
login = LoginManager(app)
# Every gunicorn worker imports this module: they share the database through its path.
DATABASE = os.environ.get("STACK_FLOOR_DB") or os.path.join(tempfile.gettempdir(), "stack-floor.db")
with sqlite3.connect(DATABASE) as setup:
    setup.executescript(
        "create table if not exists users (id integer primary key, name text);"
        "create table if not exists sessions (token text primary key, user_id integer,"
        " expires_at real);"
        "insert or ignore into users values (1, 'Анна Петровна');"
    )
layout = app.jinja_env.from_string(LAYOUT)
page = app.jinja_env.from_string(PAGE)
connection = None
SESSION_USER = (
    "select users.id, users.name from sessions join users on users.id = sessions.user_id"
    " where sessions.token = ? and sessions.user_id = ? and sessions.expires_at > unixepoch()"
)


class User(UserMixin):
    def __init__(self, row):
        self.id, self.name = row


def db():
    global connection
    if connection is None:
        connection = sqlite3.connect(DATABASE, isolation_level=None)
    return connection


@login.user_loader
def load(user_id):
    cursor = db().execute(SESSION_USER, (session.get("token"), user_id))
    row = cursor.fetchone()
    return User(row) if row else None


@app.get("/sign-in")
def sign_in():
    token = secrets.token_urlsafe(32)
    db().execute("insert into sessions values (?, 1, unixepoch() + 86400)", (token,))
    session["token"] = token
    login_user(User((1, "Анна Петровна")))
    return "signed in"


@app.get("/")
@login_required
def dashboard():
    g.nonce = secrets.token_urlsafe(16)
    return render_template(page, layout=layout, rows=ROWS, tabs=TABS)


@app.after_request
def finish(response):
    if "nonce" not in g:
        return response
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' 'nonce-{g.nonce}'; object-src 'none'"
    )
    response.headers.update(HEADERS)
    response.headers["Vary"] = "Accept-Encoding, Cookie"
    if "br" in request.headers.get("Accept-Encoding", "") and current_user.is_authenticated:
        response.set_data(brotli.compress(response.get_data(), quality=1, lgwin=16))
        response.headers["Content-Encoding"] = "br"
    return response
