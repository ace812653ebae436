"""One call from recorded data to the finished report: context (with charts), the unit's template (or the
default), the .docx bytes — and the PDF through LibreOffice. What the page, the CLI and the benchmark use.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fazhi import worker
from fazhi.catalog import Catalog
from fazhi.db import Database
from fazhi.errors import ReportTemplateError, StaleFigures
from fazhi.permissions import User
from fazhi.report import custom, frozen, pdf, texts
from fazhi.report.context import build_context, chart_images, with_charts
from fazhi.report.render import render
from fazhi.units import Unit


@dataclass
class Report:
    """A produced report: the .docx bytes and anything the user should be told about how it was made."""

    docx: bytes
    context: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def filename(self) -> str:
        """'燕山乡2020年法治政府建设情况报告.docx'."""
        return texts.text("report.file", unit=self.context["unit_name"], year=self.context["year"])


def generate(
    db: Database,
    user: User,
    catalog: Catalog,
    unit: Unit,
    year: int,
    *,
    charts: bool = True,
    template: bytes | None = None,
    today: date | None = None,
    allow_stale: bool = False,
    context: dict[str, Any] | None = None,
) -> Report:
    """The report as .docx. `template` (e.g. from the command line) must fit; otherwise the unit's own
    template is used, falling back to the default (with a note) if it no longer fits the data.
    StaleFigures when saved text quotes figures that have changed since (unless `allow_stale`).
    `context`: this unit-year's context already built without charts (the page's cached one), reused."""
    if context is None:
        context = build_context(db, user, catalog, unit, year, today=today, charts=charts)
    elif charts:
        context = with_charts(context, *chart_images(db, user, catalog, unit, year))
    if context["stale"] and not allow_stale:
        raise StaleFigures(context["stale"])
    notes = [context["charts_problem"]] if context["charts_problem"] else []
    if template is not None:
        return Report(worker.call(render, context, template, task="生成报告"), context, notes)
    kept = frozen.for_year(db, unit, year)  # a locked year keeps the template it was locked with
    own = kept.template(db, unit) if kept is not None else custom.stored_template(db, unit)
    if own is not None:
        try:
            return Report(worker.call(render, context, own, task="生成报告"), context, notes)
        except ReportTemplateError as error:
            notes.append(texts.text("messages.template_fallback", error=error.message))
    return Report(worker.call(render, context, None, task="生成报告"), context, notes)


def generate_pdf(report: Report) -> bytes:
    """The report converted to PDF (PdfUnavailable with the reason when LibreOffice cannot do it)."""
    return pdf.to_pdf(report.docx)


def timings(
    db: Database, user: User, catalog: Catalog, unit: Unit, year: int, *, repeat: int = 5
) -> dict[str, float]:
    """Warm timings in seconds (the median of `repeat`, after one untimed warm-up) of each piece, for the
    benchmark: build_context without charts, render from that precomputed context, the chart figures and
    their PNG images (drawn anew each time), and the whole report with and without charts (the report's
    images come from the cache while the data is unchanged, as for a user downloading twice). Raises
    ChartsUnavailable without a browser."""
    # plotly and kaleido load only when the benchmark times the charts
    from fazhi.report import figures, images

    def best(action: Any) -> float:  # the median: what a user typically waits, not the luckiest run
        action()
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            action()
            runs.append(time.perf_counter() - started)
        return statistics.median(runs)

    context = build_context(db, user, catalog, unit, year)
    made = figures.report_figures(db, user, catalog, unit, year)
    result = {
        "build_context": best(lambda: build_context(db, user, catalog, unit, year)),
        "render": best(lambda: render(context)),
        "figures": best(lambda: figures.report_figures(db, user, catalog, unit, year)),
        "images": best(lambda: images.to_png([figure for _, figure in made], cached=False)),
        "report_without_charts": best(lambda: generate(db, user, catalog, unit, year, charts=False)),
        "report_with_charts": best(lambda: generate(db, user, catalog, unit, year, charts=True)),
    }
    result["images_per_chart"] = result["images"] / max(1, len(made))
    result["context_to_render_ratio"] = result["build_context"] / result["render"]
    return result
