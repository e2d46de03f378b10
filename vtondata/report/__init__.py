"""The quality report: ``report.json`` and a self-contained ``report.html``, from the outputs alone."""

from vtondata.report.build import ReportLimits, build_report
from vtondata.report.render import ReportFiles, write_report

__all__ = ["ReportFiles", "ReportLimits", "build_report", "write_report"]
