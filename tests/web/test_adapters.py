"""SMS and mail adapters against real local servers."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from webapp.adapters.mail import MailError, send_mail
from webapp.adapters.sms import SmsError, render_body, send_sms


def test_smtp_backend_delivers_to_a_real_server(app, smtp_server):
    controller, inbox = smtp_server
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    with app.app_context():
        send_mail("maria@example.ru", "Подтвердите адрес почты", "Ссылка: http://x/1")
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.rcpt_tos == ["maria@example.ru"]
    text = envelope.content.decode()
    assert "Subject: =?utf-8?" in text


def test_smtp_failure_raises_mail_error(app):
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_TIMEOUT=2)
    with app.app_context(), pytest.raises(MailError):
        send_mail("maria@example.ru", "x", "y")


def test_registration_mail_goes_through_smtp(app, client, smtp_server, outbox):
    from tests.conftest import code_from, post_form
    from tests.web.test_register import form

    controller, inbox = smtp_server
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    post_form(client, "/register", form())
    post_form(client, "/register/confirm", {"code": code_from(outbox("+79125550102")[0]["body"])})
    assert [m.rcpt_tos for m in inbox.messages] == [["smirnov@example.ru"]]


class Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Gateway.received.append((self.path, dict(self.headers), body))
        self.send_response(Gateway.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    Gateway.received = []
    Gateway.status = 200
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/send"
    server.shutdown()
    server.server_close()


def test_http_sms_backend_posts_the_template(app, gateway):
    app.config.update(SMS_BACKEND="http", SMS_HTTP_URL=gateway, SMS_HTTP_TOKEN="t0k")
    with app.app_context():
        send_sms("+79120000001", 'Код: 123456 "кавычки"\n\n@medkab.test #123456')
    path, headers, body = Gateway.received[0]
    assert path == "/send" and headers["Authorization"] == "Bearer t0k"
    data = json.loads(body)
    assert data == {"to": "+79120000001", "text": 'Код: 123456 "кавычки"\n\n@medkab.test #123456'}


def test_http_sms_backend_reports_gateway_errors(app, gateway):
    Gateway.status = 500
    app.config.update(SMS_BACKEND="http", SMS_HTTP_URL=gateway)
    with app.app_context(), pytest.raises(SmsError):
        send_sms("+79120000001", "x")


def test_gateway_failure_during_registration_saves_nothing(app, client, db, gateway):
    from tests.conftest import post_form
    from tests.web.test_register import form

    Gateway.status = 503
    app.config.update(SMS_BACKEND="http", SMS_HTTP_URL=gateway)
    response = post_form(client, "/register", form())
    assert response.status_code == 422
    assert "Не удалось отправить SMS" in response.get_data(as_text=True)
    for table in ("users", "sms_codes", "consents"):
        assert db.execute(f"select count(*) from {table}").fetchone()[0] == 0  # noqa: S608


def test_body_template_values_cannot_break_out():
    body = render_body('{"to": "{phone}", "text": "{text}"}', "+7", 'a", "admin": true, "x": "')
    assert json.loads(body)["text"] == 'a", "admin": true, "x": "'
