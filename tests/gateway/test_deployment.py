"""The deployment files and the operator's guide agree with the code."""

import configparser
import os
import re

from gateway import config
from gateway.lcd import config as lcd_config
from store import params_table

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read(*path):
    with open(os.path.join(ROOT, *path), encoding="utf-8") as f:
        return f.read()


def section(text, heading):
    """The text of a '### heading' section of the guide, up to the next heading."""
    start = text.index("### " + heading)
    end = text.find("\n#", start + 4)
    return text[start:end if end > 0 else None]


def test_every_configuration_key_is_in_the_guide_under_its_table():
    guide = read("docs", "operator-guide.md")
    tables = {"`[concentrator]`": config.CONCENTRATOR, "`[[port]]`": config.PORT,
              "`[radio]`": config.RADIO, "`[uplink]`": config.UPLINK_KEYS,
              "`[[meter]]`": config.METER, "`[upgrade]`": config.UPGRADE,
              "`[lcd]`": lcd_config.LCD}
    for heading, keys in tables.items():
        text = section(guide, heading)
        missing = [k for k in keys if "`%s`" % k not in text]
        assert not missing, "%s keys not in the guide: %s" % (heading, missing)
    live = section(guide, "`[uplink]`")
    for key in config.LIVE:                       # said to be parameters, not keys
        assert "`%s`" % key in live


def test_the_guides_parameters_exist():
    guide = section(read("docs", "operator-guide.md"), "`[params]`")
    keys = set(p.key for p in params_table.ALL)
    named = re.findall(r"`([a-z_]+\.[a-z_.]+)`", guide)
    assert named and all(k in keys for k in named), [k for k in named if k not in keys]


def test_the_example_configuration_is_a_good_one():
    path = os.path.join(ROOT, "deploy", "concentrator.toml")
    cfg = config.load(path, check_devices=False)     # the board's /dev/ttyS* are not here
    assert [p.device for p in cfg.ports] == ["/dev/ttyS1", "/dev/ttyS2", "/dev/ttyS3", "/dev/ttyS4"]
    assert all(p.rs485 for p in cfg.ports if p.protocol != "mbus")
    assert cfg.radio.device == "/dev/ttyS5" and cfg.uplink.tls_ca
    assert cfg.params and len(cfg.meters) == 1


def test_the_unit_runs_the_checked_agent_under_the_watchdog():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read_string(read("deploy", "concentrator.service"))
    service = unit["Service"]
    assert service["Type"] == "notify" and int(service["WatchdogSec"]) > 0
    assert service["ExecStart"].split()[1:] == ["run", "--config",
                                                "/etc/concentrator/concentrator.toml"]
    assert service["ExecStartPre"].split()[1:] == ["run", "--config",
                                                   "/etc/concentrator/concentrator.toml", "--check"]
    assert service["RestartPreventExitStatus"] == "2"        # a bad configuration waits
    assert int(service["LimitNOFILE"]) >= 1024
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_unit_runs_the_upgrade_boot_check_first_from_outside_the_releases():
    from gateway.upgrade import bootcopy
    pre = [line.split("=", 1)[1] for line in read("deploy", "concentrator.service").splitlines()
           if line.startswith("ExecStartPre=")]
    assert len(pre) == 2 and pre[1].endswith("--check")
    boot = pre[0].lstrip("-").split()
    assert boot == ["/usr/bin/python3", "/opt/concentrator/" + bootcopy.FILE, "boot-check",
                    "--prefix", "/opt/concentrator"]
    assert "/current/" not in pre[0]
