"""Quality filters: one module per family, each with ``measure`` (statistics) apart from ``decide``.

Keeping the numbers apart from the verdict lets the same statistics feed the
thresholds, the report's histograms and what-if tables, and ``calibrate``.
"""
