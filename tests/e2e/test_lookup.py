"""End-to-end: socklab lookup, compared with getent and Python's resolver.

No test may cause a DNS query. Every lookup here runs, when the system
allows it, inside a private mount namespace (unshare -m, else unshare -rm)
where /etc/resolv.conf is bind-mounted over by a file naming 127.0.0.1,
where nothing answers: a query that slipped through would fail at once on
loopback instead of leaving the machine. There, /etc/hosts and
/etc/nsswitch.conf can be replaced too, so ::1 and unknown names are
tested deterministically. Without a namespace only localhost and
127.0.0.1 are looked up, and only when the hosts file answers them (files
first in nsswitch.conf); the rest skips with the reason.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from harness import TestCase, SOCKLAB, SLOW

RESOLV = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"
HOSTS = "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n"
FILES_ONLY = "hosts: files\n"

# The script run inside the namespace: $1 resolv.conf, $2 hosts or '-',
# $3 nsswitch.conf or '-', then the command.
SCRIPT = ('set -e; mount --bind "$1" /etc/resolv.conf; '
          '[ "$2" = - ] || mount --bind "$2" /etc/hosts; '
          '[ "$3" = - ] || mount --bind "$3" /etc/nsswitch.conf; '
          'shift 3; exec "$@"')

_probe = {}


def write_tmp(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def namespace_prefix():
    """The unshare command that works here, or (None, reason)."""
    if "prefix" in _probe:
        return _probe["prefix"], _probe["reason"]
    _probe["prefix"], _probe["reason"] = None, "unshare not found"
    if shutil.which("unshare") and shutil.which("mount"):
        d = tempfile.mkdtemp(prefix="sl-lookup-")
        try:
            rc = write_tmp(d, "resolv.conf", RESOLV)
            for prefix in (["unshare", "-m"], ["unshare", "-rm"]):
                try:
                    r = subprocess.run(prefix + ["sh", "-c", SCRIPT, "sh", rc, "-", "-",
                                                 "cat", "/etc/resolv.conf"],
                                       capture_output=True, timeout=30 * SLOW)
                except (OSError, subprocess.TimeoutExpired) as e:
                    _probe["reason"] = "%s: %s" % (" ".join(prefix), e)
                    continue
                if r.returncode == 0 and r.stdout.decode() == RESOLV:
                    _probe["prefix"] = prefix
                    break
                _probe["reason"] = "%s with mount --bind failed: %s" % (
                    " ".join(prefix), r.stderr.decode(errors="replace").strip()[:200])
        finally:
            shutil.rmtree(d)
    return _probe["prefix"], _probe["reason"]


def hosts_file_answers_localhost():
    """True when the real hosts file maps localhost to 127.0.0.1 and nsswitch
    reads files first: then localhost and 127.0.0.1 never reach DNS."""
    try:
        with open("/etc/nsswitch.conf") as f:
            hosts = [l.split(":", 1)[1].split() for l in f if l.startswith("hosts:")]
        with open("/etc/hosts") as f:
            lines = [l.split("#")[0].split() for l in f]
    except OSError:
        return False
    if not hosts or not hosts[0] or hosts[0][0] != "files":
        return False
    return any(l and l[0] == "127.0.0.1" and "localhost" in l[1:] for l in lines)


class LookupCase(TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sl-lookup-")
        self.addCleanup(shutil.rmtree, self.tmp)
        self.prefix, self.why = namespace_prefix()

    def need_namespace(self):
        if self.prefix is None:
            self.skipTest("no private mount namespace, so a lookup could reach DNS: "
                          + self.why)

    def run_cmd(self, argv, hosts=None, nsswitch=None):
        """Run argv; isolated in the namespace when there is one (required
        when hosts or nsswitch are given)."""
        if self.prefix is None:
            if hosts is not None or nsswitch is not None:
                self.need_namespace()
            if not hosts_file_answers_localhost():
                self.skipTest("no namespace, and the hosts file does not answer localhost")
            return subprocess.run(argv, capture_output=True, timeout=60 * SLOW)
        rc = write_tmp(self.tmp, "resolv.conf", RESOLV)
        h = write_tmp(self.tmp, "hosts", hosts) if hosts is not None else "-"
        n = write_tmp(self.tmp, "nsswitch.conf", nsswitch) if nsswitch is not None else "-"
        return subprocess.run(self.prefix + ["sh", "-c", SCRIPT, "sh", rc, h, n] + list(argv),
                              capture_output=True, timeout=60 * SLOW)

    def lookup(self, *args, **kw):
        return self.run_cmd([SOCKLAB, "lookup"] + list(args), **kw)

    def lookup_json(self, *args, **kw):
        r = self.lookup("--json", *args, **kw)
        return r, json.loads(r.stdout)

    def getent(self, *args, **kw):
        r = self.run_cmd(["getent"] + list(args), **kw)
        return [l.split() for l in r.stdout.decode().splitlines()]

    def python_reason(self, name, **kw):
        """The C library's own gai_strerror for name, through Python."""
        code = ("import socket\ntry:\n socket.getaddrinfo(%r, None, 0, socket.SOCK_STREAM)\n"
                " print('found')\nexcept socket.gaierror as e:\n print(e.strerror)\n" % name)
        return self.run_cmd([sys.executable, "-c", code], **kw).stdout.decode().strip()


def text_fields(out):
    """The hostent fields from the text output."""
    f = {"h_addr_list": []}
    for line in out.splitlines():
        parts = line.split()
        if "h_name" in parts:
            f["h_name"] = parts[parts.index("h_name") + 1]
        elif "h_aliases" in parts:
            f["h_aliases"] = [a for a in parts[parts.index("h_aliases") + 1:] if a != "-"]
        elif "h_addr_list" in parts:
            f["h_addr_list"].append(parts[-1])
        elif len(parts) == 1 and f["h_addr_list"] and "h_name" in f:
            f["h_addr_list"].append(parts[0])
        elif line.strip().startswith("answered by"):
            f["answered"] = line.split("answered by", 1)[1].strip()
        if line.startswith("legacy:"):
            break
    return f


class Forward(LookupCase):
    def test_localhost_agrees_with_getent(self):
        r, d = self.lookup_json("localhost")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(d["ok"])
        self.assertEqual(d["direction"], "forward")
        ahosts = self.getent("ahosts", "localhost")
        want = {l[0] for l in ahosts if len(l) > 1 and l[1] == "STREAM"}
        self.assertEqual(set(d["hostent"]["h_addr_list"]), want)
        canon = [l[2] for l in ahosts if len(l) > 2]
        self.assertEqual(d["hostent"]["h_name"], canon[0])
        self.assertEqual(d["source"]["kind"], "hosts")
        self.assertGreater(d["source"]["hosts_line"], 0)

    def test_text_matches_json(self):
        t = self.lookup("localhost")
        self.assertEqual(t.returncode, 0, t.stderr)
        f = text_fields(t.stdout.decode())
        _, d = self.lookup_json("localhost")
        h = d["hostent"]
        self.assertEqual(f["h_name"], h["h_name"])
        self.assertEqual(f["h_aliases"], h["h_aliases"])
        self.assertEqual(f["h_addr_list"], h["h_addr_list"])
        self.assertIn("hosts file %s, line %d" % (d["source"]["hosts_file"],
                                                  d["source"]["hosts_line"]), f["answered"])
        self.assertIn(d["source"]["nsswitch"], f["answered"])
        self.assertIn("AF_INET", t.stdout.decode())

    def test_both_families_and_minus_6(self):
        self.need_namespace()
        r, d = self.lookup_json("localhost", hosts=HOSTS)
        self.assertEqual(r.returncode, 0, r.stderr)
        want = {l[0] for l in self.getent("ahosts", "localhost", hosts=HOSTS) if l[1] == "STREAM"}
        self.assertEqual(set(d["hostent"]["h_addr_list"]), want)
        self.assertEqual(set(d["hostent"]["h_addrtype"]), {"AF_INET", "AF_INET6"})
        r, d = self.lookup_json("-6", "localhost", hosts=HOSTS)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(d["hostent"]["h_addr_list"], ["::1"])
        self.assertEqual(d["hostent"]["h_length"], [16])
        r, d = self.lookup_json("-4", "localhost", hosts=HOSTS)
        self.assertEqual(d["hostent"]["h_addr_list"], ["127.0.0.1"])
        self.assertEqual(d["hostent"]["h_length"], [4])

    def test_legacy(self):
        r, d = self.lookup_json("--legacy", "localhost")
        self.assertEqual(r.returncode, 0, r.stderr)
        leg = d["legacy"]
        self.assertEqual(leg["call"], "gethostbyname")
        self.assertTrue(leg["ok"])
        self.assertEqual(leg["hostent"]["h_addrtype"], ["AF_INET"])
        self.assertIn("127.0.0.1", leg["hostent"]["h_addr_list"])
        self.assertTrue(any("thread" in w for w in leg["obsolete"]))
        self.assertTrue(any("IPv4 only" in w for w in leg["obsolete"]))
        out = self.lookup("--legacy", "localhost").stdout.decode()
        self.assertIn("legacy: gethostbyname(localhost)", out)
        self.assertIn("obsolete", out)


class Reverse(LookupCase):
    def test_127_0_0_1_agrees_with_getent(self):
        r, d = self.lookup_json("127.0.0.1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(d["direction"], "reverse")
        self.assertEqual(d["call"], "getnameinfo")
        g = self.getent("hosts", "127.0.0.1")
        self.assertEqual(g[0][0], "127.0.0.1")
        self.assertEqual(d["hostent"]["h_name"], g[0][1])
        self.assertEqual(d["hostent"]["h_aliases"], g[0][2:])
        self.assertEqual(d["hostent"]["h_addr_list"], ["127.0.0.1"])
        self.assertEqual(d["source"]["kind"], "hosts")
        t = text_fields(self.lookup("127.0.0.1").stdout.decode())
        self.assertEqual(t["h_name"], d["hostent"]["h_name"])
        self.assertEqual(t["h_addr_list"], d["hostent"]["h_addr_list"])

    def test_ipv6_loopback(self):
        self.need_namespace()
        r, d = self.lookup_json("::1", hosts=HOSTS)
        self.assertEqual(r.returncode, 0, r.stderr)
        g = self.getent("hosts", "::1", hosts=HOSTS)
        self.assertEqual(d["hostent"]["h_name"], g[0][1])
        self.assertEqual(d["hostent"]["h_aliases"], g[0][2:])
        self.assertEqual(d["hostent"]["h_addrtype"], ["AF_INET6"])
        self.assertEqual(d["hostent"]["h_length"], [16])
        r, d = self.lookup_json("--legacy", "::1", hosts=HOSTS)
        self.assertEqual(d["legacy"]["call"], "gethostbyaddr")
        self.assertEqual(d["legacy"]["hostent"]["h_name"], g[0][1])

    def test_family_mismatch_exits_2(self):
        # A numeric address is never sent to a resolver: safe anywhere.
        r = subprocess.run([SOCKLAB, "lookup", "-4", "::1"], capture_output=True,
                           timeout=30 * SLOW)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"IPv6", r.stderr)


class Failures(LookupCase):
    def test_unknown_name_no_dns_server(self):
        self.need_namespace()
        name = "no-such-name.test"
        r, d = self.lookup_json(name)
        self.assertEqual(r.returncode, 1, r.stderr)
        reason = self.python_reason(name)
        self.assertNotEqual(reason, "found")
        self.assertEqual(d["error"]["kind"], "resolve")
        self.assertEqual(d["error"]["message"], "getaddrinfo %s: %s" % (name, reason))
        self.assertEqual(d["source"]["kind"], "resolver")
        t = self.lookup(name)
        self.assertEqual(t.returncode, 1)
        self.assertIn(("getaddrinfo %s: %s" % (name, reason)).encode(), t.stderr)

    def test_unknown_name_hosts_only(self):
        self.need_namespace()
        name = "no-such-name.test"
        r, d = self.lookup_json(name, nsswitch=FILES_ONLY)
        self.assertEqual(r.returncode, 1, r.stderr)
        reason = self.python_reason(name, nsswitch=FILES_ONLY)
        self.assertEqual(d["error"]["message"], "getaddrinfo %s: %s" % (name, reason))
        r = self.lookup(name, nsswitch=FILES_ONLY)
        self.assertEqual(r.returncode, 1)
        self.assertIn(reason.encode(), r.stderr)

    def test_reverse_not_found(self):
        self.need_namespace()
        r, d = self.lookup_json("192.0.2.1", nsswitch=FILES_ONLY)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(d["call"], "getnameinfo")
        self.assertEqual(d["error"]["kind"], "resolve")

    def test_hostile_names_refused(self):
        self.need_namespace()
        bad = ["a" * 254, "a" * 64 + ".test", "a..test", ".test", "a b.test", "a\tb",
               "a\x01b", "a\x7fb", "a/b", "a\xe9b", "x" * 5000]
        for name in bad:
            r = self.lookup(name, nsswitch=FILES_ONLY)
            self.assertEqual(r.returncode, 2, repr(name))
            self.assertEqual(r.stdout, b"", repr(name))
            err = r.stderr.decode(errors="replace").strip()
            self.assertTrue(err.startswith("socklab: lookup: name:"), err)
            self.assertEqual(len(err.splitlines()), 1, err)
            r, d = self.lookup_json(name, nsswitch=FILES_ONLY)
            self.assertEqual(r.returncode, 2)
            self.assertFalse(d["ok"])
            self.assertEqual(d["error"]["kind"], "input")
            self.assertEqual(d["query"], name)
        empty = self.lookup("", nsswitch=FILES_ONLY)
        self.assertEqual(empty.returncode, 2)

    def test_length_limits_are_exact(self):
        self.need_namespace()
        label63 = "a" * 63
        name253 = ".".join([label63] * 3 + ["b" * 61])
        self.assertEqual(len(name253), 253)
        for name in (name253, name253 + ".", label63 + ".test"):
            r = self.lookup(name, nsswitch=FILES_ONLY)
            self.assertEqual(r.returncode, 1, (len(name), r.stderr))   # asked, not found
        self.assertEqual(self.lookup(name253 + "c", nsswitch=FILES_ONLY).returncode, 2)


if __name__ == "__main__":
    import unittest
    unittest.main()
