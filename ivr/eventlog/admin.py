"""The administrator's page: the call report as charts and CSV, behind a password."""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from io import StringIO

from flask import Blueprint, Response, abort, current_app, g, render_template, request

from .database import errors
from .store import reason
from .report import Names, Report, names, parse_since, report, sections, write_csv

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

DEFAULT_SINCE = "7d"


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: its whole label, its count, and its length in per cent of the longest."""

    label: str
    value: int
    width: int


def bars(counts: dict[str, int]) -> list[Bar]:
    """Scale counts to bars, the largest 100 % long."""
    top = max(counts.values(), default=0)
    return [Bar(label, n, round(100 * n / top) if top else 0) for label, n in counts.items()]


def charts(figures: Report, named: Names = Names()) -> list[tuple[str, list[Bar]]]:
    """Return the report's counts as titled bar charts, labelled by name."""
    return [(title, bars(counts)) for title, counts in sections(figures, named)]


def translations(hotline) -> dict[str, dict[str, int]]:
    """Return each translated language's reviewed and draft texts, as counted when the configuration was loaded."""
    return {code: {"reviewed": reviewed, "draft": draft} for code, (reviewed, draft) in hotline.catalogs.review.items()}


def authorised() -> bool:
    """Tell whether this request carries the administrator's password (any user name; never without a password set)."""
    password = current_app.config.get("IVR_ADMIN_PASSWORD", "")
    auth = request.authorization
    given = (auth.password or "") if auth and auth.type == "basic" else ""
    return bool(password) and hmac.compare_digest(given.encode(), password.encode())


@bp.before_request
def guard():
    """Answer 404 without a configured password, and 401 without the right one."""
    if not current_app.config["IVR_ADMIN_PASSWORD"]:
        abort(404)
    if not authorised():
        return Response("The admin page needs its password (any user name).\n", status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Basic realm="ivr admin", charset="UTF-8"'})
    return None


@bp.after_request
def lock_down(response: Response) -> Response:
    """Allow no scripts and nothing from elsewhere; keep the figures out of shared caches."""
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def figures_since(since: str) -> Report:
    """Return the report since a moment (with test calls if ?tests=1); 400 or 503 with the reason when that cannot be."""
    try:
        moment = parse_since(since, datetime.now().astimezone())
    except ValueError as exc:
        abort(Response(f"since: {exc}\n", status=400, mimetype="text/plain"))
    try:
        return report(current_app.extensions["ivr.events"], moment, tests=request.args.get("tests") == "1")
    except errors() as exc:
        abort(Response(f"The call-event log cannot be read: {reason(exc)}\n", status=503, mimetype="text/plain"))


@bp.get("")
def page():
    """Show the figures since ?since= (7d by default) as charts."""
    since = request.args.get("since", DEFAULT_SINCE)
    figures = figures_since(since)
    hotline = g.ivr.hotline
    languages = {lang.code: lang.name for lang in hotline.configured}
    return render_template("admin.html", since=since, report=figures, charts=charts(figures, names(hotline)),
                           translations=translations(hotline), names=languages)


@bp.get("/report.csv")
def report_csv():
    """Send the figures since ?since= as CSV."""
    figures = figures_since(request.args.get("since", DEFAULT_SINCE))
    out = StringIO()
    write_csv(figures, out)
    name = f"calls-since-{figures.since:%Y-%m-%dT%H%M}.csv"
    return Response(out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})
