"""``python -m vtondata`` is the ``vtondata`` command."""

from vtondata.cli import app

app()
