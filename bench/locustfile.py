"""Simulated medical workers for Locust; `bench/load.py` sets the instance up and runs this.

Each simulated user is its own worker account (the Nth user started takes the Nth account of
$LOAD_ACCOUNTS), signs in through the real form and then, with a think time of $LOAD_WAIT
("min,max" seconds) between tasks, does a weighted mix of what workers do: the dashboard, the
professional record, adding and changing jobs and courses, НМО entries, uploading photographed
pages (real JPEGs from $LOAD_JPEG_DIR, a fresh Idempotency-Key per document, now and then a
retry under the same key), the notices, contacts, and now and then signing out and in again.

Requests are named by action ("dashboard", "upload", ...), so the statistics group by action.
Every answer is checked: the status (redirects are not followed: a form post must answer 303
to the right page), and a Russian text the page must contain (a heading, or the flash message
the redirect leads to). A 5xx is also appended to $LOAD_ERRORS_LOG (one JSON object a line), and
every request to $LOAD_REQUESTS_LOG (CSV: start, method, name, ms, status, error), from which
bench/load.py builds its report.

By hand: `LOAD_ACCOUNTS=accounts.json LOAD_JPEG_DIR=jpegs locust -f bench/locustfile.py
--headless -u 10 -r 5 -t 15s --host http://127.0.0.1:8000`.
"""

import csv
import itertools
import json
import os
import random
import re
import time
import traceback
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from geventhttpclient.response import HTTPConnectionClosed
from locust import FastHttpUser, between, events, task

ACCOUNTS = json.loads(Path(os.environ["LOAD_ACCOUNTS"]).read_text(encoding="utf-8"))
JPEGS = [p.read_bytes() for p in sorted(Path(os.environ["LOAD_JPEG_DIR"]).glob("*.jpg"))]
if not ACCOUNTS or not JPEGS:
    raise SystemExit("LOAD_ACCOUNTS has no accounts or LOAD_JPEG_DIR no *.jpg")
WAIT = tuple(float(v) for v in os.environ.get("LOAD_WAIT", "1,5").split(","))
ERRORS_LOG = os.environ.get("LOAD_ERRORS_LOG")
REQUESTS_LOG = os.environ.get("LOAD_REQUESTS_LOG")  # every request: start, name, ms, status, error

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
IDEMPOTENCY = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')
RECORD_LINK = re.compile(r'href="/profile/(employment|education)/(\d+)"')
RETRY_SHARE = 0.2  # uploads sent twice under the same key (a phone that lost the answer)
# gunicorn.conf.py holds an idle keep-alive connection 5 s; a request sent just as the server
# closes it gets no answer (see Worker.call).
KEEPALIVE_RACE_AFTER = 4.0
IDLE_CLOSE_ERRORS = (HTTPConnectionClosed, ConnectionResetError, BrokenPipeError)
RESENT = "(sent again: the server had just closed the idle keep-alive connection)"

_accounts = itertools.count()
_requests_log = open(REQUESTS_LOG, "w", encoding="utf-8", newline="") if REQUESTS_LOG else None  # noqa: SIM115
_requests_csv = csv.writer(_requests_log) if _requests_log else None


@events.request.add_listener
def _log_request(request_type, name, response_time, response, exception, start_time=None, **_):
    """Every request, for bench/load.py's report: Locust's own CSV is written every few
    seconds and misses the last requests of a run."""
    if _requests_csv is not None:
        status = getattr(response, "status_code", 0) if response is not None else 0
        started = start_time or time.time() - response_time / 1000
        error = " ".join(str(exception).split())[:300] if exception else ""
        _requests_csv.writerow(
            (f"{started:.3f}", request_type, name, f"{response_time:.1f}", status, error)
        )


@events.user_error.add_listener
def _log_task_error(user_instance, exception, tb, **_):
    """An exception in a task (a bug here, or an answer the checks did not foresee)."""
    if _requests_csv is not None:
        where = traceback.extract_tb(tb)[-1] if tb else None
        place = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
        _requests_csv.writerow(
            (f"{time.time():.3f}", "TASK", "(exception in a task)", "0", 0, f"{exception!r}{place}")
        )


@events.quitting.add_listener
def _close_requests_log(**_):
    if _requests_log is not None:
        _requests_log.close()


ORGS = (
    ("ГБУЗ «Городская поликлиника № 5»", "7707083893", "1027700132195"),
    ("Клиника «Здоровье»", "7830002293", ""),
)
POSITIONS = (
    "Врач-терапевт участковый",
    "Врач-терапевт",
    "Медицинская сестра процедурной",
    "Фельдшер",
    "Заведующий отделением",
)
COURSES = (
    ("РМАНПО", "Актуальные вопросы терапии"),
    ("Первый МГМУ им. И.М. Сеченова", "Неотложная помощь в амбулаторной практике"),
    ("СЗГМУ им. И.И. Мечникова", "Инфекционная безопасность"),
)
NMO_TITLES = (
    "Артериальная гипертензия: клинические рекомендации",
    "Сахарный диабет 2 типа в практике терапевта",
    "Школа терапевта: конгресс",
    "Вакцинопрофилактика взрослых",
)
DOC_TYPES = ("diploma", "passport", "snils", "name_change", "other")


def _days_ago(low: int, high: int) -> str:
    return (date.today() - timedelta(days=random.randint(low, high))).isoformat()


def _multipart(fields: dict, files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body as the browser's FormData sends it."""
    boundary = f"----medkabload{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for filename, body in files:
        parts.append(
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="pages"; filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + body
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Worker(FastHttpUser):
    """One medical worker using the cabinet from a phone."""

    wait_time = between(*WAIT)
    network_timeout = 60.0
    connection_timeout = 30.0

    def on_start(self):
        self.index = next(_accounts)
        self.account = ACCOUNTS[self.index % len(ACCOUNTS)]
        self.serial = itertools.count(1)
        self.last_answer = time.monotonic()
        self.csrf = None
        self.mine = {}  # (kind, id) -> the form data this user saved for that record
        self.known = set()  # record links seen on the record page
        if self.sign_in():
            self.record_page()  # the records the account already has are not this user's

    # ------------------------------------------------------------ plumbing

    def call(self, method, url, name, *, status=200, marker=None, location=None, **kwargs):
        """One request, checked: status, a text the page must hold, a redirect's target.
        Returns the response when it passed, else None (the failure is recorded)."""
        idle = time.monotonic() - self.last_answer
        with self.client.request(
            method, url, name=name, catch_response=True, allow_redirects=False, **kwargs
        ) as response:
            if (
                response.status_code == 0
                and idle >= KEEPALIVE_RACE_AFTER
                and isinstance(response.error, IDLE_CLOSE_ERRORS)
            ):
                # The server closed the idle keep-alive connection as the request went out; it
                # never read it, and a browser sends it again on a new connection. Counted apart.
                response.request_meta["name"] = RESENT
                response.success()
                resend = True
            else:
                resend = False
                checked = self._check(response, method, url, name, status, marker, location)
        self.last_answer = time.monotonic()
        if resend:  # idle is now ~0, so this happens at most once
            return self.call(
                method, url, name, status=status, marker=marker, location=location, **kwargs
            )
        return checked

    def _check(self, response, method, url, name, status, marker, location):
        """Mark one answer passed or failed; the response when it passed, else None."""
        code = response.status_code
        if code != status:
            where = response.headers.get("Location", "") if 300 <= code < 400 else ""
            reason = f"HTTP {code}, expected {status}" + (f" → {where}" if where else "")
            if code == 0:
                reason = f"no answer: {type(response.error).__name__}: {response.error}"
            response.failure(reason)
            if code >= 500:
                self._log_server_error(method, url, name, code)
            return None
        if location is not None:
            target = urlsplit(response.headers.get("Location", "")).path
            if target != location:
                response.failure(f"redirect to {target or 'nowhere'}, expected {location}")
                return None
        if marker is not None and marker not in response.text:
            response.failure(f"answer lacks «{marker}»")
            return None
        token = CSRF.search(response.text or "") if status == 200 else None
        if token:
            self.csrf = token.group(1) or token.group(2)
        response.success()
        return response

    def fail(self, name, message):
        """A failed check that is not about one answer's status (e.g. two answers differ)."""
        self.environment.events.request.fire(
            request_type="CHECK",
            name=name,
            response_time=0,
            response_length=0,
            exception=AssertionError(message),
            context={},
        )

    def _log_server_error(self, method, url, name, code):
        if not ERRORS_LOG:
            return
        line = {
            "at": time.strftime("%H:%M:%S"),
            "method": method,
            "url": url,
            "name": name,
            "status": code,
            "account": self.account["phone"],
        }
        with open(ERRORS_LOG, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")

    def form_post(self, url, name, data, *, location, status=303):
        return self.call(
            "POST",
            url,
            name,
            status=status,
            location=location,
            data={**data, "csrf_token": self.csrf},
        )

    # ------------------------------------------------------------ sign-in and out

    def sign_in(self, page=None):
        if page is None:
            page = self.call("GET", "/login", "sign-in: form", marker="Вход")
        if page is None:
            return False
        answer = self.form_post(
            "/login",
            "sign-in",
            {"login": self.account["phone"], "password": self.account["password"]},
            location="/",
        )
        if answer is None:
            return False
        return self.dashboard()

    @task(1)
    def sign_out_and_in(self):
        if not self.csrf:
            self.dashboard()
        if self.form_post("/logout", "sign-out", {}, location="/login") is None:
            return
        page = self.call(
            "GET", "/login?signed_out=1", "sign-in: form", marker="Вы вышли из кабинета"
        )
        if page is not None:
            self.sign_in(page)

    # ------------------------------------------------------------ pages

    @task(10)
    def dashboard(self):
        return self.call("GET", "/", "dashboard", marker="Здравствуйте") is not None

    @task(4)
    def record_page(self, marker="Профессиональные данные"):
        page = self.call("GET", "/profile/record", "record: page", marker=marker)
        if page is None:
            return set()
        links = {(kind, int(ident)) for kind, ident in RECORD_LINK.findall(page.text)}
        new = links - self.known
        self.known |= links
        return new

    # ------------------------------------------------------------ record edits

    def _job(self):
        org, inn, ogrn = random.choice(ORGS)
        start = _days_ago(400, 6000)
        return {
            "org_name": f"{org}, филиал № {self.index}-{next(self.serial)}",
            "org_inn": inn,
            "org_ogrn": ogrn,
            "org_oktmo": "45380000",
            "org_address": "",
            "department": "Терапевтическое отделение",
            "position": random.choice(POSITIONS),
            "specialty": "Терапия",
            "rate": random.choice(("1", "0,5", "0,25")),
            "kind": random.choice(("main", "external")),
            "start_date": start,
            "end_date": "",
            "document_kind": "order",
            "document_number": f"{random.randint(1, 999)}-к",
            "document_date": start,
        }

    def _course(self):
        organization, program = random.choice(COURSES)
        return {
            "kind": "pk",
            "organization": organization,
            "program": program,
            "start_date": "",
            "end_date": _days_ago(30, 1500),
            "doc_series": "",
            "doc_number": f"77{self.index:04d}{next(self.serial):06d}",
            "hours": random.choice(("36", "72", "144")),
            "study_form": random.choice(("remote", "mixed", "full")),
        }

    @task(3)
    def record_add(self):
        kind = random.choice(("employment", "education"))
        data = self._job() if kind == "employment" else self._course()
        if self.call("GET", f"/profile/{kind}/new", "record: add form", marker="Добавить") is None:
            return
        if (
            self.form_post(f"/profile/{kind}/new", "record: add", data, location="/profile/record")
            is None
        ):
            return
        added = [link for link in self.record_page(marker="Запись добавлена.") if link[0] == kind]
        if added:
            self.mine[max(added)] = data

    @task(3)
    def record_edit(self):
        if not self.mine:
            self.record_add()
            return
        (kind, ident), data = random.choice(list(self.mine.items()))
        url = f"/profile/{kind}/{ident}"
        number = data["document_number" if kind == "employment" else "doc_number"]
        if self.call("GET", url, "record: edit form", marker=number) is None:
            return
        if kind == "employment":
            changed = {**data, "position": random.choice(POSITIONS), "department": "Приёмное"}
        else:
            changed = {**data, "hours": random.choice(("36", "72", "144", "288"))}
        if self.form_post(url, "record: edit", changed, location="/profile/record") is None:
            return
        self.mine[(kind, ident)] = changed
        self.record_page(marker="Изменения сохранены.")

    @task(1)
    def contacts(self):
        if self.call("GET", "/profile/contacts", "contacts: form", marker="Контакты") is None:
            return
        data = {
            "extra_phone": f"+7 912 {random.randint(100, 999)}-{random.randint(10, 99)}-22",
            "telegram": f"doc_{self.index}_{random.randint(1, 99)}",
            "max_messenger": "",
            "viber": "",
            "reminders_email": "y",
            "applications_email": "y",
        }
        if random.random() < 0.5:
            data["applications_sms"] = "y"
        if self.form_post("/profile/contacts", "contacts: save", data, location="/profile/record"):
            self.record_page(marker="Контакты сохранены.")

    # ------------------------------------------------------------ НМО

    @task(3)
    def nmo_add(self):
        if self.call("GET", "/profile/nmo", "nmo: page", marker="Баллы НМО") is None:
            return
        if self.call("GET", "/profile/nmo/new", "nmo: add form", marker="Добавить баллы") is None:
            return
        entry = {
            "specialty": "Терапия",
            "day": _days_ago(1, 700),
            "element": random.choice(("course", "event", "module")),
            "title": random.choice(NMO_TITLES),
            "provider": "Портал НМО",
            "zet": str(random.choice((1, 2, 3, 4, 6, 12, 36))),
            "confirmation_code": (
                f"L{self.index}-{next(self.serial)}-{uuid.uuid4().hex[:6]}"
                if random.random() < 0.7
                else ""
            ),
        }
        if self.form_post("/profile/nmo/new", "nmo: add", entry, location="/profile/nmo"):
            self.call("GET", "/profile/nmo", "nmo: page", marker="Запись добавлена.")

    # ------------------------------------------------------------ documents

    @task(2)
    def upload(self):
        page = self.call("GET", "/documents/new", "upload: page", marker="Новый документ")
        if page is None:
            return
        key = IDEMPOTENCY.search(page.text)
        if key is None:
            self.fail("upload: page", "the form has no idempotency_key")
            return
        title = f"Нагрузочный документ {self.index}-{next(self.serial)}"
        pages = random.sample(JPEGS, random.choice((1, 1, 2)))
        body, content_type = _multipart(
            {
                "csrf_token": self.csrf,
                "idempotency_key": key.group(1),
                "doc_type": random.choice(DOC_TYPES),
                "title": title,
                "holder_name": "",
                "issued_on": _days_ago(100, 3000),
                "valid_until": "",
                "linked": "",
            },
            [(f"page-{n + 1}.jpg", data) for n, data in enumerate(pages)],
        )
        headers = {
            "Content-Type": content_type,
            "Accept": "application/json",
            "Idempotency-Key": key.group(1),
            "X-CSRFToken": self.csrf,
        }
        first = self._send_upload("upload", body, headers, 201, len(pages))
        if first is None:
            return
        if random.random() < RETRY_SHARE:
            again = self._send_upload("upload: retry, same key", body, headers, 200, len(pages))
            if again is not None and again != first:
                self.fail("upload: retry, same key", f"answer {again} differs from {first}")
                return
        self.call("GET", first["url"], "document: page", marker=title)

    def _send_upload(self, name, body, headers, status, pages):
        try:
            return self._post_upload(name, body, headers, status, pages)
        finally:
            self.last_answer = time.monotonic()

    def _post_upload(self, name, body, headers, status, pages):
        with self.client.request(
            "POST",
            "/documents/upload",
            name=name,
            data=body,
            headers=headers,
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code != status:
                response.failure(f"HTTP {response.status_code}, expected {status}")
                if response.status_code >= 500:
                    self._log_server_error("POST", "/documents/upload", name, response.status_code)
                return None
            try:
                answer = response.json()
            except ValueError:
                response.failure("answer is not JSON")
                return None
            if answer.get("pages") != pages or not str(answer.get("url", "")).startswith(
                "/documents/"
            ):
                response.failure(f"unexpected answer {answer}")
                return None
            response.success()
            return answer

    # ------------------------------------------------------------ notices

    @task(3)
    def notifications(self):
        page = self.call("GET", "/notifications", "notifications", marker="Уведомления")
        if page is None or "Отметить все прочитанными" not in page.text:
            return
        if random.random() < 0.5 and self.form_post(
            "/notifications/read-all",
            "notifications: read all",
            {},
            location="/notifications",
        ):
            self.call("GET", "/notifications", "notifications", marker="Все уведомления прочитаны.")
