"""End-to-end: the bash and zsh completions complete every command that
`socklab --help` lists, every option of each built command's --help, and
the choices listed under an option (the models of --model). Both read the
binary's --help, so they are run here against the binary under test."""
import os
import re
import shlex
import shutil
import subprocess
import unittest

from harness import SOCKLAB, SLOW, run
from test_docs import commands, help_text, help_options

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BASH = os.path.join(SRC, "completions", "socklab.bash")
ZSH = os.path.join(SRC, "completions", "_socklab")
PROG = os.path.abspath(SOCKLAB)


def help_choices(cmd, opt):
    """Words listed under option opt in `socklab cmd --help` (e.g. models):
    lines indented less than the option's description column."""
    out, on, col = [], False, 0
    for line in help_text(cmd).splitlines():
        if re.match(r"^\s+-", line):
            spec = re.split(r"\s{2,}", line.strip(), 1)[0]
            on = opt in re.split(r"[ ,=]+", spec)
            m = re.search(r"\S\s{2,}\S", line)
            col = m.end() - 1 if m else 0
        elif on and line.strip() and len(line) - len(line.lstrip()) < col:
            out.append(line.split()[0])
        elif not line.startswith(" "):
            on = False
    return out


def built_commands():
    return [name for name, _ in commands() if help_text(name) is not None]


class BashCompletion(unittest.TestCase):
    def complete(self, *words):
        """COMPREPLY for `socklab WORDS...` with the cursor on the last word."""
        script = ("source %s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n_socklab\n"
                  "printf '%%s\\n' \"${COMPREPLY[@]}\"\n"
                  % (shlex.quote(BASH), " ".join(shlex.quote(w) for w in (PROG,) + words),
                     len(words)))
        r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script],
                           capture_output=True, timeout=60 * SLOW)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [w for w in r.stdout.decode().splitlines() if w]

    def test_registered(self):
        r = subprocess.run(["bash", "--norc", "--noprofile", "-c",
                            "source %s && complete -p socklab" % shlex.quote(BASH)],
                           capture_output=True, timeout=30 * SLOW)
        self.assertEqual(r.stdout.strip(), b"complete -F _socklab socklab")

    def test_every_command(self):
        names = [n for n, _ in commands()]
        self.assertGreater(len(names), 1)
        self.assertEqual(sorted(self.complete("")), sorted(names))
        self.assertEqual(sorted(self.complete("echo-")),
                         sorted(n for n in names if n.startswith("echo-")))
        self.assertEqual(sorted(self.complete("--")), ["--help", "--version"])

    def test_every_option_of_every_built_command(self):
        for cmd in built_commands():
            with self.subTest(command=cmd):
                want = help_options(help_text(cmd))
                got = set(self.complete(cmd, "-"))
                self.assertEqual(sorted(want - got), [])
                longs = set(self.complete(cmd, "--"))
                self.assertEqual(longs, {o for o in want if o.startswith("--")})

    def test_model_choices(self):
        models = help_choices("echo-server", "--model")
        self.assertIn("iterative", models)
        self.assertEqual(sorted(self.complete("echo-server", "--model", "")), sorted(models))
        self.assertEqual(self.complete("echo-server", "-q", "-m", "it"), ["iterative"])
        # A value that is not a list of choices completes to nothing, not to options.
        self.assertEqual(self.complete("wait", "--timeout", "-"), [])


class ZshCompletion(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("zsh") is None:
            raise unittest.SkipTest("zsh is not installed (Debian package zsh)")

    def complete(self, *words):
        """What _socklab offers for `socklab WORDS...`, with compadd,
        _describe and _files replaced by functions that print their words
        (the completion system itself needs a terminal)."""
        script = ("compdef() { : }\nsource %s\n"
                  "compadd() { while [[ $1 == -* && $1 != -- ]]; do shift; done; "
                  "[[ $1 == -- ]] && shift; print -rl -- \"$@\" }\n"
                  "_describe() { local n=${@[-1]}; print -rl -- ${${(P)n}%%%%:*} }\n"
                  "_files() { print -r -- FILES }\n"
                  "words=(%s)\nCURRENT=%d\n_socklab\n"
                  % (shlex.quote(ZSH), " ".join(shlex.quote(w) for w in (PROG,) + words),
                     len(words) + 1))
        r = subprocess.run(["zsh", "-f", "-c", script], capture_output=True,
                           timeout=60 * SLOW)
        self.assertEqual(r.stderr, b"")
        return [w for w in r.stdout.decode().splitlines() if w]

    def test_every_command(self):
        names = [n for n, _ in commands()]
        self.assertEqual(sorted(self.complete("")), sorted(names))

    def test_every_option_of_every_built_command(self):
        for cmd in built_commands():
            with self.subTest(command=cmd):
                want = help_options(help_text(cmd))
                self.assertEqual(sorted(set(self.complete(cmd, "-"))), sorted(want))

    def test_model_choices(self):
        models = help_choices("echo-server", "--model")
        self.assertEqual(sorted(self.complete("echo-server", "--model", "")), sorted(models))
        self.assertEqual(self.complete("echo-client", "127.0.0.1"), ["FILES"])
