"""Every `vtondata` command line in README.md and docs/*.md names a subcommand and options that exist.

Command lines are read from fenced and indented code blocks and from inline
code spans; each option is checked against the options of the subcommand the
line names, as `vtondata COMMAND --help` lists them.
"""

import re
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

from vtondata.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMAND = re.compile(r"(?:^|[\s/])vtondata\s+([a-z][a-z-]*(?:\|[a-z-]+)*)(.*)")
OPTION = re.compile(r"(?<![\w./-])(--[a-z][a-z0-9-]*|-[a-zA-Z](?![\w-]))")


def _code_lines(text: str) -> list[str]:
    """Lines of fenced blocks, of four-space indented blocks, and inline code spans."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif fenced or line.startswith("    "):
            lines.append(line)
        else:
            lines.extend(re.findall(r"`([^`]+)`", line))
    return lines


def _command_lines() -> list[tuple[str, str]]:
    found = []
    for document in DOCUMENTS:
        for line in _code_lines(document.read_text(encoding="utf-8")):
            code = line.split(" #", 1)[0]
            if COMMAND.search(code):
                found.append((document.relative_to(ROOT).as_posix(), code.strip()))
    return found


def _options(command: typer.core.TyperCommand) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def _resolve(line: str) -> list[tuple[typer.core.TyperCommand, str]]:
    """The subcommand(s) a line names, each with the rest of the line; fails on an unknown name."""
    group = typer.main.get_command(app)
    name, rest = COMMAND.search(line).groups()
    resolved = []
    for alternative in name.split("|"):
        command = group.get_command(typer.Context(group), alternative)
        assert command is not None, f"no subcommand '{alternative}'"
        if isinstance(command, TyperGroup):
            sub_name, _, sub_rest = rest.strip().partition(" ")
            for sub in sub_name.split("|"):
                subcommand = command.get_command(typer.Context(command), sub)
                assert subcommand is not None, f"no subcommand '{alternative} {sub}'"
                resolved.append((subcommand, sub_rest))
        else:
            resolved.append((command, rest))
    return resolved


COMMAND_LINES = _command_lines()


def test_the_docs_show_command_lines():
    documents = {document for document, _ in COMMAND_LINES}
    assert {"README.md", "docs/cli.md", "docs/export.md", "docs/training.md"} <= documents
    assert len(COMMAND_LINES) > 30


@pytest.mark.parametrize(("document", "line"), COMMAND_LINES)
def test_documented_command_exists_with_its_options(document, line):
    for command, rest in _resolve(line):
        unknown = set(OPTION.findall(rest)) - _options(command) - {"--help"}
        assert not unknown, f"{document}: `{line}`: {command.name} has no {', '.join(sorted(unknown))}"
