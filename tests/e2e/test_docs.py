"""End-to-end: the documentation agrees with the program. For every command
that `socklab --help` lists and whose `--help` works (commands still "not
built yet" are skipped), every option in --help appears in its man page
socklab-CMD(1) and every option the man page documents is in --help;
socklab(1) names every command; the man pages are built to roff when scdoc
is there; and each command keeps the output conventions of
docs/architecture.md (help on stdout, usage errors: one line on stderr and
exit 2; no colour when NO_COLOR is set or the output is not a terminal)."""
import os
import re
import unittest

from harness import BUILD, run

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAN_SRC = os.path.join(SRC, "man")
OPT_RX = re.compile(r"(?<![\w-])(--?[A-Za-z0-9][A-Za-z0-9-]*)")


def commands():
    """(name, summary) for each command of `socklab --help`."""
    out = run(["--help"]).stdout.decode()
    section = out.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [tuple(l.split(None, 1)) for l in section.splitlines() if l.startswith("  ")]


def help_text(cmd):
    """The command's --help, or None when it is not built yet."""
    r = run([cmd, "--help"])
    text = r.stdout.decode()
    if r.returncode != 0 or "not built yet" in (text + r.stderr.decode()):
        return None
    return text


def help_options(text):
    """Options defined by --help: the first column of lines starting with '-'."""
    opts = set()
    for line in text.splitlines():
        if re.match(r"^\s+-", line):
            spec = re.split(r"\s{2,}", line.strip(), 1)[0]
            opts.update(OPT_RX.findall(spec))
    return opts


def man_options(text):
    """Options defined by an scdoc page: the terms of its OPTIONS section
    (lines starting with *-, their description indented by a tab)."""
    opts = set()
    section = re.split(r"^# OPTIONS\n", text, flags=re.M)
    if len(section) < 2:
        return opts
    body = re.split(r"^# ", section[1], flags=re.M)[0]
    for line in body.splitlines():
        if line.startswith("*-"):
            opts.update(OPT_RX.findall(line.replace("\\", "")))
    return opts


class ManPages(unittest.TestCase):
    def test_options_agree_with_help(self):
        checked = 0
        for name, _ in commands():
            with self.subTest(command=name):
                text = help_text(name)
                if text is None:
                    continue            # not built yet: nothing to document
                path = os.path.join(MAN_SRC, "socklab-%s.1.scd" % name)
                self.assertTrue(os.path.exists(path),
                                "socklab %s has --help but no man page %s" % (name, path))
                with open(path) as f:
                    man = man_options(f.read())
                helped = help_options(text)
                self.assertEqual(sorted(helped - man), [],
                                 "options in `socklab %s --help` missing from %s" % (name, path))
                self.assertEqual(sorted(man - helped), [],
                                 "options in %s that `socklab %s --help` lacks" % (path, name))
                checked += 1
        self.assertGreater(checked, 0)

    def test_socklab_1_names_every_command(self):
        with open(os.path.join(MAN_SRC, "socklab.1.scd")) as f:
            page = f.read()
        for name, _ in commands():
            self.assertIn("*%s*" % name, page, "socklab(1) does not list %s" % name)

    def test_libsocklab_3_names_every_header(self):
        with open(os.path.join(MAN_SRC, "libsocklab.3.scd")) as f:
            page = f.read()
        for h in sorted(os.listdir(os.path.join(SRC, "include", "socklab"))):
            if h.endswith(".h"):
                self.assertIn("socklab/" + h, page, "libsocklab(3) does not cover %s" % h)

    def test_pages_are_built(self):
        with open(os.path.join(BUILD, "man", "STATUS")) as f:
            status = f.read().strip()
        if not status.startswith("built"):
            self.skipTest("man pages " + status)
        for src in os.listdir(MAN_SRC):
            if not src.endswith(".scd"):
                continue
            page = os.path.join(BUILD, "man", src[:-4])
            self.assertTrue(os.path.exists(page), page)
            with open(page) as f:
                roff = f.read()
            self.assertIn('.TH "%s" "%s"' % tuple(src[:-4].rsplit(".", 1)), roff)
            self.assertIn(".SH NAME", roff)


class Conventions(unittest.TestCase):
    def each_built(self):
        for name, _ in commands():
            if help_text(name) is not None:
                yield name

    def test_help_on_stdout_exit_0(self):
        for name in self.each_built():
            with self.subTest(command=name):
                r = run([name, "--help"])
                self.assertEqual(r.returncode, 0)
                self.assertEqual(r.stderr, b"")
                self.assertTrue(r.stdout.startswith(b"usage: socklab " + name.encode()),
                                r.stdout[:80])

    def test_unknown_option_is_one_line_and_exit_2(self):
        for name in self.each_built():
            with self.subTest(command=name):
                r = run([name, "--no-such-option"])
                self.assertEqual(r.returncode, 2)
                self.assertEqual(r.stdout, b"")
                lines = r.stderr.decode().splitlines()
                self.assertTrue(lines and lines[0].startswith("socklab: %s: " % name), lines)
                self.assertIn("no-such-option", lines[0])

    def test_unknown_command_exit_2(self):
        r = run(["no-such-command"])
        self.assertEqual((r.returncode, r.stdout), (2, b""))
        self.assertIn(b"not a command", r.stderr)

    def test_no_colour_without_terminal_or_with_no_color(self):
        for name in self.each_built():
            with self.subTest(command=name):
                for env in (None, dict(os.environ, NO_COLOR="1")):
                    r = run([name, "--help"], env=env)
                    self.assertNotIn(b"\x1b[", r.stdout + r.stderr)
                    r = run([name, "--no-such-option"], env=env)
                    self.assertNotIn(b"\x1b[", r.stdout + r.stderr)

    def test_version(self):
        r = run(["--version"])
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout.decode(), r"^socklab \d+\.\d+\.\d+\n$")
