"""The configuration's device check (`run --check` finds what `run` would
refuse): a device that is not a serial port; a port's frame deadline."""

import os

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.config import line_settings, load
from tests.gateway.test_config import MINIMAL, TTY, write


@pytest.mark.parametrize("device", ["/dev/null", "plain-file"])
def test_a_device_that_is_not_a_serial_port_is_refused_by_check(tmp_path, device):
    if device == "plain-file":
        device = str(tmp_path / "ttyS1")
        open(device, "w").close()
    path = write(tmp_path, MINIMAL, device)
    result = CliRunner().invoke(cli, ["run", "--config", path, "--check"])
    assert result.exit_code == 2
    assert ("port 'bus1'.device %s is not a serial port (not a terminal device): give the port "
            "itself" % device) in result.output
    assert not os.path.exists(tmp_path / "data")


def test_a_port_frame_deadline_reaches_its_line_settings(tmp_path):
    dev = TTY
    default = load(write(tmp_path, MINIMAL, dev)).ports[0]
    s = line_settings(default)
    assert s.frame_deadline is None
    assert s.frame_time(s.reply_timeout, s.byte_gap) == s.reply_timeout + 300 * 11 / 2400 + \
        s.byte_gap
    text = MINIMAL.replace('device = "{dev}"', 'device = "{dev}"\nframe_deadline = 5.0')
    assert line_settings(load(write(tmp_path, text, dev)).ports[0]).frame_deadline == 5.0
