"""НМО: progress per specialty, the entries (keyset-paginated) and CSV/XLSX export of a period."""

import csv
import io
from datetime import date

from flask import Response, render_template, request
from flask_login import current_user, login_required
from openpyxl import Workbook
from openpyxl.styles import Font

from webapp import audit, htmx
from webapp.clock import today as today_in
from webapp.db import get_db
from webapp.paging import keyset
from webapp.profile import store
from webapp.profile.forms.records import NMO_ELEMENTS, NmoPeriodForm
from webapp.profile.summary import specialty_statuses
from webapp.profile.views import bp
from webapp.template_helpers import numeric_date

PAGE = 20
ELEMENT_TITLES = dict(NMO_ELEMENTS)
HEADER = ("Дата", "Специальность", "Вид элемента", "Название", "Организатор", "ЗЕТ", "Код")


def _cursor(value: str | None) -> tuple[str, int] | None:
    """`before=YYYY-MM-DD:id` → (day, id); anything else is ignored."""
    day, _, ident = (value or "").partition(":")
    try:
        return date.fromisoformat(day).isoformat(), int(ident)
    except ValueError:
        return None


@bp.get("/nmo")
@login_required
def nmo():
    """Progress towards 250 ЗЕТ per cycle and 50 per year; the entries, newest first."""
    db = get_db()
    rows = store.nmo_page(
        db, current_user.id, before=_cursor(request.args.get("before")), limit=PAGE + 1
    )
    page = keyset(rows, PAGE, key=lambda row: f"{row['day'].isoformat()}:{row['id']}")
    if htmx.wants_partial():
        return render_template("profile/_nmo_rows.html", page=page, titles=ELEMENT_TITLES)
    today = today_in(current_user.time_zone)
    record = store.everything(db, current_user.id)
    statuses = specialty_statuses(record["records"], record["nmo"], today, False)
    period = NmoPeriodForm(data={"since": date(today.year, 1, 1), "until": today})
    return render_template(
        "profile/nmo.html", statuses=statuses, page=page, titles=ELEMENT_TITLES, period=period
    )


def _lines(entries):
    for e in entries:
        yield (
            numeric_date(e["day"]),
            e["specialty"],
            ELEMENT_TITLES[e["element"]],
            e["title"],
            e["provider"] or "",
            e["zet"],
            e["confirmation_code"] or "",
        )


def _safe_cell(value):
    """Spreadsheet apps run cells starting with = + - @ as formulas: quote them."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@bp.get("/nmo/export.<fmt>")
@login_required
def nmo_export(fmt):
    """The period's entries as CSV (Excel-friendly: UTF-8 BOM, semicolons) or XLSX."""
    if fmt not in ("csv", "xlsx"):
        return Response("Формат выгрузки — csv или xlsx.", 404)
    since, until = NmoPeriodForm(request.args).period(today_in(current_user.time_zone))
    db = get_db()
    entries = store.nmo_entries(db, current_user.id, since=since, until=until)
    lines = [tuple(_safe_cell(v) for v in line) for line in _lines(entries)]
    total = sum(e["zet"] for e in entries)
    user = current_user
    name = f"nmo-{since:%Y%m%d}-{until:%Y%m%d}.{fmt}"
    audit.record(db, "profile.nmo.export", object_type="nmo", details={"format": fmt})
    if fmt == "csv":
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(lines)
        writer.writerow(("Итого", "", "", "", "", total, ""))
        body, mimetype = out.getvalue().encode(), "text/csv; charset=utf-8"
    else:
        book = Workbook()
        sheet = book.active
        sheet.title = "НМО"
        sheet.append((f"НМО: {user.full_name}",))
        sheet.append((f"Период: {since:%d.%m.%Y} — {until:%d.%m.%Y}",))
        sheet.append(HEADER)
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        for line in lines:
            sheet.append(line)
        sheet.append(("Итого", "", "", "", "", total, ""))
        for column, width in zip("ABCDEFG", (12, 22, 30, 50, 30, 8, 18), strict=True):
            sheet.column_dimensions[column].width = width
        out = io.BytesIO()
        book.save(out)
        body = out.getvalue()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
