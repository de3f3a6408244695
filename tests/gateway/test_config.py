"""The configuration file: every mistake named (file, key, what is allowed), the agent not started."""

import os

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.config import ConfigError, load
from tests.gateway.agent_rig import runner

MINIMAL = """
[concentrator]
id = "c01"
data_dir = "{tmp}/data"
socket = "{tmp}/control.sock"

[[port]]
name = "bus1"
device = "{dev}"

[uplink]
host = "mqtt.example.net"
"""


# a serial device that exists for the whole module: a pty's terminal side
# (the check opens the device and asks it is a terminal, as /dev/ttyS1 is)
_PTY = os.openpty()
TTY = os.ttyname(_PTY[1])


@pytest.fixture
def dev():
    return TTY


def write(tmp_path, text, dev=TTY):
    path = tmp_path / "concentrator.toml"
    path.write_text(text.replace("{tmp}", str(tmp_path)).replace("{dev}", dev))
    return str(path)


def mistake(tmp_path, text, dev=TTY):
    path = write(tmp_path, text, dev)
    with pytest.raises(ConfigError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(path + ": "), message
    return message


def test_minimal_file_gets_sensible_defaults(tmp_path, dev):
    cfg = load(write(tmp_path, MINIMAL, dev))
    assert cfg.id == "c01"
    port = cfg.ports[0]
    assert (port.name, port.device, port.protocol, port.retries) == ("bus1", dev, "dlt645-2007", 2)
    assert cfg.uplink.host == "mqtt.example.net" and cfg.uplink.port == 1883
    assert cfg.uplink.cid == "c01" and cfg.uplink.enabled
    assert cfg.concentrator["log_level"] == "info"
    assert cfg.radio is None and cfg.meters == [] and cfg.params == {}
    from gateway.config import line_settings
    s = line_settings(port)
    assert (s.baud, s.parity) == (2400, "E")


@pytest.mark.parametrize("table, line, expected", [
    ("[concentrator]", 'colour = "red"',
     "concentrator: unknown key colour; allowed: id, data_dir, socket, log_level"),
    ("[[port]]", "speed = 2400", "port[0]: unknown key speed; allowed: name, device, protocol"),
    ("[uplink]", 'hostname = "x"', "uplink: unknown key hostname; allowed: cid, host, port"),
])
def test_unknown_key(tmp_path, table, line, expected):
    text = MINIMAL.replace(table + "\n", table + "\n" + line + "\n", 1)
    assert expected in mistake(tmp_path, text)


def test_unknown_table(tmp_path):
    message = mistake(tmp_path, MINIMAL + "\n[mqtt]\nhost = \"x\"\n")
    assert "unknown table or key mqtt; allowed: concentrator, port, radio, uplink, meter, params" \
        in message


@pytest.mark.parametrize("line, expected", [
    ('baud = "2400"', "port[0].baud is '2400': it must be an integer (bits per second"),
    ("rs485 = 1", "port[0].rs485 is 1: it must be true or false"),
    ("retries = 2.5", "port[0].retries is 2.5: it must be an integer"),
    ('parity = "X"', "port 'bus1'.parity is 'X': one of N, E, O"),
    ('protocol = "iec62056"', "port 'bus1'.protocol is 'iec62056': one of dlt645-2007, "
                              "dlt645-1997, cjt188, mbus, modbus"),
    ("baud = 12", "port 'bus1'.baud is 12: bits per second, e.g. 2400"),
])
def test_wrong_type_or_value(tmp_path, line, expected):
    text = MINIMAL.replace('name = "bus1"', 'name = "bus1"\n' + line)
    assert expected in mistake(tmp_path, text)


def test_wrong_type_in_uplink(tmp_path):
    text = MINIMAL.replace('host = "mqtt.example.net"', 'host = "m"\nport = "1883"')
    assert "uplink.port must be an integer, got '1883'" in mistake(tmp_path, text)


def test_port_that_does_not_exist(tmp_path):
    message = mistake(tmp_path, MINIMAL, dev="/dev/ttyS99-not-here")
    assert "port 'bus1'.device /dev/ttyS99-not-here does not exist: check the port name " \
           "(ls /dev/tty*)" in message


def test_pyserial_url_is_not_checked_for_existence(tmp_path):
    cfg = load(write(tmp_path, MINIMAL, dev="socket://10.0.0.5:4001"))
    assert cfg.ports[0].device == "socket://10.0.0.5:4001"


METERS = """
[[meter]]
address = "000000000101"
protocol = "dlt645-2007"
port = "bus1"

[[meter]]
address = "101"
protocol = "dlt645-2007"
port = "bus1"
"""


def test_two_meters_with_one_address_on_a_bus(tmp_path, dev):
    message = mistake(tmp_path, MINIMAL + METERS, dev)
    assert "meter[0] and meter[1] have the same address 000000000101 on bus1: give each meter " \
           "its own address" in message


def test_same_address_on_two_buses_is_fine(tmp_path, dev):
    text = MINIMAL + '[[port]]\nname = "bus2"\ndevice = "{dev}"\n' + \
        METERS.replace('port = "bus1"\n\n[[meter]]\naddress = "101"\nprotocol = "dlt645-2007"\n'
                       'port = "bus1"', 'port = "bus1"\n\n[[meter]]\naddress = "101"\n'
                       'protocol = "dlt645-2007"\nport = "bus2"')
    cfg = load(write(tmp_path, text, dev))
    assert [m["port"] for m in cfg.meters] == ["bus1", "bus2"]
    assert cfg.meters[1]["address"] == "000000000101"      # stored form, zero-padded


@pytest.mark.parametrize("meter, expected", [
    ('address = "1"\nprotocol = "dlt645-2007"\nport = "bus9"',
     "meter[0].port 'bus9' is not a [[port]] or the [radio]: one of bus1"),
    ('address = "1"\nport = "bus1"', "meter[0].protocol is missing"),
    ('address = "12345678901234"\nprotocol = "dlt645-2007"\nport = "bus1"',
     "meter[0]: meter (new): address '12345678901234' is not valid for dlt645-2007"),
    ('address = "1"\nprotocol = "cjt188"\nport = "bus1"\nkind = "steam"',
     "meter[0]: meter (new): kind 'steam'"),
])
def test_meter_mistakes(tmp_path, dev, meter, expected):
    assert expected in mistake(tmp_path, MINIMAL + "\n[[meter]]\n" + meter + "\n", dev)


def test_live_uplink_key_belongs_to_params(tmp_path, dev):
    text = MINIMAL.replace('host = "mqtt.example.net"', 'host = "m"\ncompress = "zlib"')
    message = mistake(tmp_path, text, dev)
    assert "uplink.compress is a parameter, not a configuration key: set it with " \
           "`concentrator params set uplink.compress ...` or in [params]" in message


@pytest.mark.parametrize("params, expected", [
    ("plan.realtime_interval = 15", "params.plan.realtime_interval is not a parameter (did you "
                                    "mean plan.realtime_interval_min"),
    ('uplink.compress = "gzip"', "params.uplink.compress is 'gzip'"),
])
def test_params_mistakes(tmp_path, dev, params, expected):
    assert expected in mistake(tmp_path, MINIMAL + "\n[params]\n" + params + "\n", dev)


def test_params_are_flattened(tmp_path, dev):
    cfg = load(write(tmp_path, MINIMAL + "\n[params]\nuplink.compress = \"zlib\"\n"
                     "[params.plan]\nrealtime_interval_min = 30\n", dev))
    assert cfg.params == {"uplink.compress": "zlib", "plan.realtime_interval_min": 30}


def test_missing_pieces(tmp_path, dev):
    no_concentrator = MINIMAL.split("[[port]]", 1)[1]
    assert '[concentrator] is missing: at least id = "c01"' in mistake(
        tmp_path, "[[port]]" + no_concentrator, dev)
    no_ports = MINIMAL.replace('[[port]]\nname = "bus1"\ndevice = "{dev}"\n', "")
    assert "[[port]] is missing: the agent needs at least one bus" in mistake(tmp_path, no_ports)
    no_uplink = MINIMAL.replace('[uplink]\nhost = "mqtt.example.net"\n', "")
    assert "[uplink] is missing: name the broker" in mistake(tmp_path, no_uplink, dev)
    bad_id = MINIMAL.replace('id = "c01"', 'id = "c 01"')
    assert "concentrator.id is 'c 01': it must be 1-32 of A-Z a-z 0-9 _ -" in \
        mistake(tmp_path, bad_id, dev)


def test_not_toml_and_no_file(tmp_path):
    assert "not valid TOML" in mistake(tmp_path, "[concentrator\nid = 1\n")
    with pytest.raises(ConfigError) as info:
        load(str(tmp_path / "nowhere.toml"))
    assert "nowhere.toml: no such configuration file (give one with --config" in str(info.value)


def test_run_refuses_a_bad_file_and_starts_nothing(tmp_path):
    path = write(tmp_path, MINIMAL, dev="/dev/ttyS99-not-here")
    result = CliRunner().invoke(cli, ["run", "--config", path])
    assert result.exit_code == 2
    assert "/dev/ttyS99-not-here does not exist" in result.output
    assert "hint: see docs/operator-guide.md" in result.output
    assert not os.path.exists(tmp_path / "data") and not os.path.exists(tmp_path / "control.sock")


def test_run_check(tmp_path, dev):
    path = write(tmp_path, MINIMAL, dev)
    result = CliRunner().invoke(cli, ["run", "--config", path, "--check"])
    assert result.exit_code == 0, result.output
    assert "good (1 port(s), 0 declared meter(s), uplink to mqtt.example.net:1883)" in result.output
    assert not os.path.exists(tmp_path / "data")


def test_a_configuration_path_that_is_a_directory_is_named(tmp_path):
    with pytest.raises(ConfigError, match="is a directory: give the configuration file itself"):
        load(str(tmp_path))


def test_a_file_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "concentrator.toml"
    path.write_bytes(MINIMAL.replace("{tmp}", str(tmp_path)).replace("{dev}", TTY)
                     .encode("utf-8") + b'\n# \xc4\xe3\xba\xc3 (GBK)\n')
    with pytest.raises(ConfigError, match="not UTF-8 text .* save the file as UTF-8"):
        load(str(path))


def test_a_port_device_that_is_a_directory_is_named(tmp_path):
    message = mistake(tmp_path, MINIMAL, dev=str(tmp_path))
    assert "port 'bus1'.device %s is a directory, not a serial device" % tmp_path in message


def test_duplicate_meter_ids_are_refused_by_check(tmp_path, dev):
    text = MINIMAL + """
[[meter]]
id = "m-0001"
address = "000000000001"
protocol = "dlt645-2007"
port = "bus1"

[[meter]]
id = "m-0001"
address = "000000000002"
protocol = "dlt645-2007"
port = "bus1"
"""
    message = mistake(tmp_path, text, dev)
    assert "meter[0] and meter[1] have the same id m-0001" in message


def test_uplink_channel_and_signal_file(tmp_path, dev):
    text = MINIMAL.replace('host = "mqtt.example.net"', 'host = "m"\nchannel = "cellular"\n'
                           'signal_file = "/run/modem/csq"')
    cfg = load(write(tmp_path, text, dev))
    assert cfg.link == {"channel": "cellular", "signal_file": "/run/modem/csq",
                        "signal_max_age_s": 300}
    assert cfg.uplink.host == "m"                      # the rest goes to the uplink
    assert load(write(tmp_path, MINIMAL, dev)).link["channel"] == ""


@pytest.mark.parametrize("lines, expected", [
    ('channel = "wifi"', "uplink.channel is 'wifi': ethernet or cellular (or leave it out)"),
    ('signal_file = "/run/csq"', 'uplink.signal_file is for a cellular link: set channel = '
                                 '"cellular" too'),
    ('channel = "cellular"\nsignal_max_age_s = 0', "uplink.signal_max_age_s is 0: 1 .. 86400"),
    ('channel = 4', "uplink.channel is 4: it must be text"),
])
def test_uplink_link_mistakes(tmp_path, dev, lines, expected):
    text = MINIMAL.replace('host = "mqtt.example.net"', 'host = "m"\n' + lines)
    assert expected in mistake(tmp_path, text, dev)


def test_run_check_warns_of_broker_acks_until_the_master_acknowledges(tmp_path, dev):
    path = write(tmp_path, MINIMAL, dev)
    result = runner().invoke(cli, ["run", "--config", path, "--check"])
    assert result.exit_code == 0, result.output
    (warning,) = result.stderr.splitlines()
    assert warning.startswith('warning: uplink.ack is "broker": ') and \
        '"uplink.ack" = "master"' in warning
    path = write(tmp_path, MINIMAL + '\n[params]\n"uplink.ack" = "master"\n', dev)
    result = runner().invoke(cli, ["run", "--config", path, "--check"])
    assert result.exit_code == 0 and result.stderr == ""
    from store import Params                     # set since: the stored value wins
    os.makedirs(tmp_path / "data", exist_ok=True)
    Params(str(tmp_path / "data" / "params.json")).set("uplink.ack", "master")
    path = write(tmp_path, MINIMAL, dev)
    result = runner().invoke(cli, ["run", "--config", path, "--check"])
    assert result.stderr == ""


def test_the_deployment_file_uses_end_to_end_acks():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cfg = load(os.path.join(root, "deploy", "concentrator.toml"), check_devices=False)
    assert cfg.params["uplink.ack"] == "master"
    from gateway.config import warnings
    assert warnings(cfg) == []
