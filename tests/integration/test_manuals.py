"""Issue 17: the manuals (man/*.8, man/*.5, mdoc) render with no warning and
stay true to the code: every config key server/config_keys.c knows is described
in neuvo.ini(5), every neuvo-admin command in neuvo-admin(8); and `cmake
--install` puts the programs, the web root, the manuals, the example config
and the systemd unit where they belong."""
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, ROOT

MAN = ROOT / "man"
PAGES = ["neuvo-server.8", "neuvo-admin.8", "neuvo.ini.5"]


@pytest.mark.parametrize("page", PAGES)
def test_man_renders_without_warnings(page):
    r = subprocess.run(["man", "--warnings", "-l", str(MAN / page)], capture_output=True,
                       text=True, timeout=30, env={**os.environ, "MANWIDTH": "80"})
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr
    name = page.rsplit(".", 1)[0]
    assert "NAME" in r.stdout and name in r.stdout and "SEE ALSO" in r.stdout


@pytest.mark.skipif(not shutil.which("mandoc"), reason="mandoc not installed")
@pytest.mark.parametrize("page", PAGES)
def test_mandoc_lint_finds_nothing(page):
    # -W warning: everything but style notes such as "referenced manual not
    # found", which depends on what this machine has installed.
    r = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", str(MAN / page)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr


def config_keys():
    """(section, key) of every key in server/config_keys.c's table."""
    src = (ROOT / "server" / "config_keys.c").read_text()
    keys = re.findall(r'\b(?:SPECIAL|INT|BOOL|TEXT|NONEMPTY)\("(\w+)", "(\w+)"', src)
    keys += [("hours", day) for day in re.findall(r'\bDAY\("(\w+)"', src)]
    assert len(keys) > 30, keys
    return keys


def subsections(page):
    """{section name: its text} of the .Ss [section] parts of a page."""
    out, name = {}, None
    for line in (MAN / page).read_text().splitlines():
        m = re.match(r"\.S[sh] \[?([\w ]+?)\]?$", line)
        if m:
            name = m.group(1)
            out[name] = ""
        elif name:
            out[name] += line + "\n"
    return out


def test_every_config_key_is_described():
    parts = subsections("neuvo.ini.5")
    missing = []
    for section, key in config_keys():
        items = re.findall(r"^\.It (.*)$", parts.get(section, ""), re.M)
        if not any(re.search(rf"\b{key}\b", item) for item in items):
            missing.append(f"[{section}] {key}")
    assert not missing, "not in man/neuvo.ini.5: " + ", ".join(missing)


def test_every_admin_command_is_described():
    src = (ROOT / "server" / "admin.c").read_text()
    commands = re.findall(r'strcmp\(a\.words\[0\], "(\w+)"\)', src)
    assert {"advisor", "backup", "restore", "report"} <= set(commands), commands
    page = (MAN / "neuvo-admin.8").read_text()
    missing = [c for c in commands if not re.search(rf"^\.It Cm {c}\b", page, re.M)]
    assert not missing, missing


def test_every_admin_option_is_described():
    src = (ROOT / "server" / "admin.c").read_text()
    options = set(re.findall(r'strcmp\(arg, "--(\w+)"\)', src))
    assert {"config", "lang", "help", "version"} <= options, options
    page = (MAN / "neuvo-admin.8").read_text()
    missing = [o for o in options if f"Fl \\-{o}" not in page]
    assert not missing, missing


def test_cmake_install_puts_everything_in_place(tmp_path):
    prefix = tmp_path / "usr"
    r = subprocess.run(["cmake", "--install", str(BUILD), "--prefix", str(prefix)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    for f in ["sbin/neuvo-server", "sbin/neuvo-admin",
              "share/man/man8/neuvo-server.8", "share/man/man8/neuvo-admin.8",
              "share/man/man5/neuvo.ini.5", "share/doc/neuvo/examples/neuvo.ini",
              "share/neuvo/client-web/index.html", "share/neuvo/client-web/advisor/index.html",
              "share/neuvo/client-web/i18n/fi.json", "share/neuvo/client-web/i18n/sv.json",
              "share/neuvo/client-web/i18n/en.json", "lib/systemd/system/neuvo.service"]:
        assert (prefix / f).is_file(), f
    assert os.access(prefix / "sbin/neuvo-server", os.X_OK)
    assert not list((prefix / "share/neuvo/client-web").glob("*.md"))   # notes, not pages
    unit = (prefix / "lib/systemd/system/neuvo.service").read_text()
    assert "@" not in re.sub(r"SystemCallFilter=.*", "", unit)          # all filled in
    assert re.search(r"^ExecStart=/\S+/neuvo-server --config /\S+/neuvo/neuvo.ini$", unit, re.M)
    assert "Type=notify" in unit
