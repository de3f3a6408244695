"""Walk the protocol registry: the console, the configuration, the archive and
the control op agree with it (tests/drivers/test_registry_layers.py does the
drivers, scheduler and simulator)."""

import click
import pytest

from drivers import meters as sessions
from gateway.cli import cli
from gateway.config import meter_rules, parse
from protocols import registry
from store import ArchiveError, normalise

ROWS = registry.PROTOCOLS
IDS = [r.name for r in ROWS]
ADDRESS = {"digits": lambda row: "1", "number_or_id": lambda row: "1", "number": lambda row: "1"}


def _choices(command, param):
    cmd = cli
    for name in command.split():
        cmd = cmd.commands[name]
    (p,) = [p for p in cmd.params if p.name == param]
    assert isinstance(p.type, click.Choice)
    return list(p.type.choices)


@pytest.mark.parametrize("command", ["probe", "scan", "meters list", "meters add"])
def test_console_protocol_choices_are_the_registry_names(command):
    assert _choices(command, "protocol") == list(registry.meter_protocols())


def test_decode_takes_every_codec_of_the_registry():
    assert _choices("decode", "protocol") == registry.names()


@pytest.mark.parametrize("command", ["probe", "scan", "meters add"])
def test_console_kind_choices_are_the_registry_kinds(command):
    assert _choices(command, "kind") == list(registry.KINDS)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_configuration_takes_every_protocol_for_a_port(tmp_path, row):
    data = {"concentrator": {"id": "c01", "data_dir": str(tmp_path), "socket": str(tmp_path / "s")},
            "port": [{"name": "bus1", "device": "/dev/null", "protocol": row.name}],
            "uplink": {"enabled": False}}
    cfg = parse(data, "<test>", check_devices=False)
    assert cfg.ports[0].protocol == row.name
    settings = sessions.default_settings(row.name)
    assert (settings.baud, settings.parity) == row.line[:2]


def test_configuration_names_the_registry_protocols_when_one_is_unknown(tmp_path):
    data = {"concentrator": {"id": "c01", "data_dir": str(tmp_path), "socket": str(tmp_path / "s")},
            "port": [{"name": "bus1", "device": "/dev/null", "protocol": "iec62056"}],
            "uplink": {"enabled": False}}
    with pytest.raises(Exception) as info:
        parse(data, "<test>", check_devices=False)
    assert ", ".join(registry.meter_protocols()) in str(info.value)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_archive_takes_the_row_kinds_and_options_and_nothing_else(row):
    rules = meter_rules()
    base = {"address": ADDRESS[row.address["form"]](row), "protocol": row.name, "port": "bus1"}
    for kind in registry.KINDS:
        if kind in row.kinds:
            assert normalise(dict(base, kind=kind), rules)["kind"] == kind
        else:
            with pytest.raises(ArchiveError, match="is not allowed for %s" % row.name):
                normalise(dict(base, kind=kind), rules)
    others = set(o[0] for r in ROWS for o in r.options) - set(row.option_names())
    for option in sorted(others):
        with pytest.raises(ArchiveError, match="is not an option of %s" % row.name):
            normalise(dict(base, kind=row.kinds[0], options={option: "1"}), rules)


def test_archive_knows_exactly_the_registry_protocols():
    assert meter_rules().names() == registry.meter_protocols()


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_sessions_take_the_controls_the_row_names(row):
    session_class = sessions.module_of(row.name).SESSION
    if row.controls:
        assert callable(getattr(session_class, "control", None))
