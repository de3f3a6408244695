"""The README and docs say what is true: every `concentrator ...` command they
show names a command that exists and only options it takes, and the package
table of the README claims only what the code has."""

import os
import re
import shlex
from pathlib import Path

import click
import pytest

from gateway.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
INLINE = re.compile(r"`(concentrator [^`]+)`")
SHELL = re.compile(r"^\s*(\$ )?(concentrator .+)$")


def shown_commands(path):
    """(line number, command text) of every console command ``path`` shows."""
    out = []
    fenced = False
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            m = SHELL.match(line)
            # a command (after "$ ", or naming one); not output such as "concentrator c01  fw"
            if m and (m.group(1) or m.group(2).split()[1] in cli.commands):
                out.append((n, re.split(r"\s{3,}", m.group(2))[0]))
        else:
            out.extend((n, m) for m in INLINE.findall(line))
    return out


def _tokens(text):
    text = text.split(" # ")[0].split(" | ")[0].split(" > ")[0].split(" < ")[0]
    text = text.replace("\\", " ").replace("[", " ").replace("]", " ").rstrip(" &")
    try:
        return shlex.split(text)[1:]
    except ValueError:
        return text.split()[1:]


def problems(text):
    """What is wrong with one shown command line (empty when nothing)."""
    tokens = _tokens(text)
    cmd, ctx_path = cli, []
    while isinstance(cmd, click.Group) and tokens and not tokens[0].startswith("-"):
        sub = cmd.commands.get(tokens[0])
        if sub is None:
            if tokens[0] in ("...", "X") or not ctx_path and tokens[0].startswith("<"):
                return []
            return ["%r is not a command of %s" % (tokens[0], " ".join(["concentrator"] +
                                                                      ctx_path))]
        cmd, ctx_path, tokens = sub, ctx_path + [tokens[0]], tokens[1:]
    if isinstance(cmd, click.Group):
        return []                              # e.g. `concentrator meters` alone
    names = set(["--help", "-h"])
    for p in cmd.params:
        names.update(p.opts + p.secondary_opts)
    out = []
    for t in tokens:
        if t.startswith("-") and len(t) > 1 and not re.match(r"^-\d", t):
            name = t.split("=", 1)[0]
            if name not in names and name != "-v" * (len(name) // 2):
                out.append("%s takes no option %s" % (" ".join(ctx_path), name))
    if ctx_path == ["params", "set"]:
        out += ["params set takes KEY=VALUE, not %r" % t for t in tokens
                if not t.startswith("-") and "=" not in t and t not in ("...",)]
    return out


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_every_command_the_docs_show_exists_with_its_options(path):
    wrong = ["%s:%d: `%s`: %s" % (path.name, n, text, "; ".join(p))
             for n, text in shown_commands(path) for p in [problems(text)] if p]
    assert wrong == []


def test_read_and_data_name_the_quantity_option_alike():
    def opts(command):
        return [o for p in command.params if p.name in ("items", "quantities") for o in p.opts]
    assert set(["--item", "-i"]) <= set(opts(cli.commands["read"]))
    assert set(["--item", "-i"]) <= set(opts(cli.commands["data"]))


def test_the_package_table_claims_only_what_exists():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = [line for line in readme.splitlines() if line.startswith("| `")]
    assert table
    for line in table:
        package = re.match(r"\| `(\w+)/`", line).group(1)
        for sub in re.findall(r"`(\w+)/`", line.split("|")[2]):
            assert (ROOT / package / sub).is_dir() or (ROOT / sub).is_dir(), (package, sub)
        for library in ("TinyDB", "SQLite", "MicroPython", "MQTT"):
            if library in line and library != "MicroPython":
                assert _uses(package, library), "%s claims %s" % (package, library)


def _uses(package, library):
    module = {"TinyDB": "tinydb", "SQLite": "sqlite3", "MQTT": "paho"}[library]
    pattern = re.compile(r"^\s*(import|from) %s\b" % module, re.M)
    return any(pattern.search(f.read_text(encoding="utf-8"))
               for f in (ROOT / package).rglob("*.py"))


def test_the_readme_says_what_run_check_needs_and_it_is_so(tmp_path):
    from click.testing import CliRunner
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = [t for _, t in shown_commands(ROOT / "README.md") if " run " in t + " "]
    assert example and all("--check" in t for t in example)
    before = readme[:readme.index(example[0])]
    said = before[-600:]                          # the paragraph that leads to it
    assert "/dev/ttyS1" in said and "/etc/concentrator/ca.pem" in said
    # on a PC the check names what is missing: the devices, then the CA file
    r = CliRunner().invoke(cli, ["run", "--config", str(ROOT / "deploy" / "concentrator.toml"),
                                 "--check"])
    assert r.exit_code == 2 and "/dev/ttyS1 does not exist" in r.output
    copy = tmp_path / "c.toml"
    master, slave = os.openpty()               # a terminal where the board has its UARTs
    try:
        copy.write_text(re.sub(r"/dev/ttyS\d", os.ttyname(slave),
                               (ROOT / "deploy" / "concentrator.toml").read_text(encoding="utf-8")))
        r = CliRunner().invoke(cli, ["run", "--config", str(copy), "--check"])
    finally:
        os.close(master)
        os.close(slave)
    assert r.exit_code == 2 and "/etc/concentrator/ca.pem does not exist" in r.output
