"""The [upgrade] table: checked like the others, every mistake named."""

import pytest

from gateway.config import load
from tests.gateway.test_config import MINIMAL, mistake, write

KEY = "6cecbc70f2381a8dc33381fa8c28c7cb6fdc58028a6703ce815147be898bf33b"


def test_defaults_without_the_table(tmp_path):
    u = load(write(tmp_path, MINIMAL)).upgrade
    assert u == {"trusted_keys": [], "prefix": "", "probation_s": 1800, "max_attempts": 3,
                 "probation_reading_round": True, "probation_batch_acked": True,
                 "store_copy": True}


def test_a_full_table(tmp_path):
    text = MINIMAL + """
[upgrade]
trusted_keys = ["%s"]
prefix = "/opt/concentrator"
probation_s = 900
max_attempts = 2
probation_reading_round = false
probation_batch_acked = true
store_copy = false
""" % KEY.upper()
    u = load(write(tmp_path, text)).upgrade
    assert u["trusted_keys"] == [KEY] and u["prefix"] == "/opt/concentrator"
    assert (u["probation_s"], u["max_attempts"]) == (900, 2)
    assert u["probation_reading_round"] is False and u["store_copy"] is False


@pytest.mark.parametrize("line, expected", [
    ('keys = ["x"]', "upgrade: unknown key keys; allowed: trusted_keys, prefix, probation_s"),
    ('trusted_keys = "%s"' % KEY, "upgrade.trusted_keys is '%s': it must be a list" % KEY),
    ('trusted_keys = ["abc"]', "upgrade.trusted_keys[0] is 'abc': 64 hex digits"),
    ("trusted_keys = [1]", "upgrade.trusted_keys[0] is 1: 64 hex digits"),
    ('probation_s = "1800"', "upgrade.probation_s is '1800': it must be an integer"),
    ("probation_s = 10", "upgrade.probation_s is 10: at least 60 seconds"),
    ("max_attempts = 0", "upgrade.max_attempts is 0: 1 to 100 starts"),
    ("probation_batch_acked = 1", "upgrade.probation_batch_acked is 1: it must be true or false"),
    ('prefix = "opt/concentrator"', "upgrade.prefix is 'opt/concentrator': an absolute path"),
])
def test_mistakes_name_the_key(tmp_path, line, expected):
    assert expected in mistake(tmp_path, MINIMAL + "\n[upgrade]\n" + line + "\n")


def test_upgrade_must_be_a_table(tmp_path):
    assert "upgrade must be a table" in mistake(tmp_path, MINIMAL.replace(
        "[concentrator]", "upgrade = 3\n[concentrator]"))
