"""Every console command explains itself on an 80-column terminal, with examples."""

import click
import pytest
from click.testing import CliRunner

from gateway.cli import cli


def commands(group=cli, path=()):
    for name, cmd in sorted(group.commands.items()):
        yield path + (name,)
        if isinstance(cmd, click.Group):
            for sub in commands(cmd, path + (name,)):
                yield sub


@pytest.mark.parametrize("path", [()] + list(commands()), ids=lambda p: " ".join(p) or "-")
def test_help_fits_80_columns_and_shows_examples(path):
    result = CliRunner().invoke(cli, list(path) + ["--help"])
    assert result.exit_code == 0, result.output
    wide = [line for line in result.output.splitlines() if len(line) > 80]
    assert wide == []
    cmd = cli
    for name in path:
        cmd = cmd.commands[name]
    if not isinstance(cmd, click.Group) or not path:
        assert "Examples:" in result.output or "Example:" in result.output


def test_the_spec_commands_are_all_there():
    names = set(cli.commands)
    # spec/cli.md, but users and report (they come with the operators)
    assert {"lcd", "run", "demo", "sim", "probe", "decode", "scan", "meters", "data", "read", "events",
            "logs", "params", "time", "freeze", "status"} <= names
    meters = set(cli.commands["meters"].commands)
    assert {"list", "add", "remove", "show", "import", "export"} <= meters
    assert {"get", "set"} <= set(cli.commands["params"].commands)
