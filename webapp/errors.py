"""Error pages in the layout, in Russian."""

import errno
import sqlite3

from flask import (
    Response,
    current_app,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
)
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

MESSAGES = {
    400: ("Некорректный запрос", "Сервер не понял запрос. Вернитесь назад и попробуйте ещё раз."),
    403: ("Доступ запрещён", "У вас нет прав на эту страницу."),
    404: ("Страница не найдена", "Такой страницы нет или она была удалена."),
    405: ("Действие недоступно", "Так эту страницу открыть нельзя."),
    413: ("Слишком большой запрос", "Отправленные данные больше допустимого размера."),
    422: ("Данные не приняты", "Проверьте введённые данные и отправьте снова."),
    429: ("Слишком много попыток", "Подождите минуту и попробуйте снова."),
    500: ("Что-то пошло не так", "Мы уже знаем об ошибке. Попробуйте обновить страницу позже."),
    503: (
        "Хранилище документов недоступно",
        "Файлы документов сейчас не читаются и не сохраняются. Попробуйте через несколько "
        "минут — администратор уже знает об ошибке.",
    ),
    507: (
        "Не хватает места на сервере",
        "Сохранить не удалось: на сервере закончилось место. Попробуйте ещё раз позже — "
        "администратор уже знает об ошибке.",
    ),
}


def render_error(code: int, detail: str | None = None):
    """The error page for a status code."""
    title, text = MESSAGES.get(code, MESSAGES[500])
    if has_request_context() and request_ctx.url_adapter is None:
        # A Host the site does not answer to: no links can be built, so no layout either.
        return Response(f"{title}. {detail or text}", code, mimetype="text/plain")
    return render_template("errors/error.html", code=code, title=title, text=detail or text), code


def is_disk_full(error: BaseException | None) -> bool:
    """Whether the error, or one it arose from, is a full disk (files or the database)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return True
        error = error.__cause__ or error.__context__
    return False


def is_storage_down(error: BaseException | None) -> bool:
    """Whether the error, or one it arose from, is the document store (S3) not answering: no
    connection, a timeout, or a 5xx from the store (botocore's errors; no import needed)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if type(error).__module__.startswith("botocore"):
            response = getattr(error, "response", None)
            if response is None:  # BotoCoreError: connection refused, timeouts, …
                return True
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            return status >= 500
        error = error.__cause__ or error.__context__
    return False


def nearest_page(path: str) -> str:
    """The closest address above `path` that answers GET (at worst the home page)."""
    adapter = current_app.create_url_adapter(request)
    parts = path.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        candidate = "/".join(parts) or "/"
        try:
            adapter.match(candidate, method="GET")
        except RequestRedirect as moved:
            return moved.new_url
        except HTTPException:
            continue
        return candidate
    return "/"


def init_app(app) -> None:
    """Register handlers for HTTP errors, CSRF failures and crashes."""

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return render_error(
            400, "Страница устарела или была открыта в другой вкладке. Обновите её и повторите."
        )

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code is None or error.code < 400:
            return error
        if error.code == 405 and request.method in ("GET", "HEAD"):
            # A reload or a restored tab of a page a form POST answered (say a refused code at
            # /verify/totp): the step's own page, not a dead end.
            return redirect(nearest_page(request.path), code=303)
        response = render_error(error.code if error.code in MESSAGES else 400)
        if error.code == 405:
            return response[0], 405, {"Allow": ", ".join(error.valid_methods or [])}
        return response

    @app.errorhandler(Exception)
    def crash(error):
        app.logger.exception("unhandled error", exc_info=error)
        if is_disk_full(error):
            # Not a bug to hide behind «Что-то пошло не так»: say what happened, and that
            # nothing was kept (every write is one transaction; stored files are removed).
            if request.accept_mimetypes.best == "application/json":
                return jsonify(error="{}. {}".format(*MESSAGES[507])), 507
            return render_error(507)
        if is_storage_down(error):
            if request.accept_mimetypes.best == "application/json":
                return jsonify(error="{}. {}".format(*MESSAGES[503])), 503
            return render_error(503)
        return render_error(500)
