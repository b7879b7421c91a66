"""End-to-end: `socklab state` lists the sockets a test creates (a listener,
an established pair, a TIME_WAIT socket) with the same states and ports as
`ss -tan`, TIME_WAIT with its time left, from netlink and from /proc, as
text and JSON; --watch counts down and stops on --count or SIGINT."""
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess

from harness import TestCase, SOCKLAB, run, wait_for, tcp_states, SLOW

ROW = re.compile(r"^(tcp|udp)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s*(.*)$")
SS_NAMES = {"ESTAB": "ESTABLISHED", "UNCONN": "UNCONN"}


def rows(text):
    """(proto, state, local, remote, rest) of each table row."""
    out = []
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            out.append((m.group(1), m.group(2), m.group(5), m.group(6), m.group(7)))
    return out


class State(TestCase):
    def setUp(self):
        # A listener, an established pair, and a connection the server closed
        # first, whose server side is left in TIME_WAIT.
        self.l = socket.socket()
        self.addCleanup(self.l.close)
        self.l.bind(("127.0.0.1", 0))
        self.l.listen(8)
        self.port = self.l.getsockname()[1]
        self.c = socket.create_connection(("127.0.0.1", self.port), timeout=10 * SLOW)
        self.addCleanup(self.c.close)
        self.a, _ = self.l.accept()
        self.addCleanup(self.a.close)
        c2 = socket.create_connection(("127.0.0.1", self.port), timeout=10 * SLOW)
        a2, _ = self.l.accept()
        self.tw_peer = c2.getsockname()[1]
        a2.close()
        self.assertEqual(c2.recv(1), b"")
        c2.close()
        wait_for(lambda: tcp_states(self.port).get("TIME_WAIT"), 10, "TIME_WAIT")

    def state(self, *args):
        r = run(["state", *args])
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.decode()

    def expected(self):
        p = self.port
        return sorted([
            ("LISTEN", "127.0.0.1:%d" % p, "0.0.0.0:*"),
            ("ESTABLISHED", "127.0.0.1:%d" % p, "127.0.0.1:%d" % self.c.getsockname()[1]),
            ("ESTABLISHED", "127.0.0.1:%d" % self.c.getsockname()[1], "127.0.0.1:%d" % p),
            ("TIME_WAIT", "127.0.0.1:%d" % p, "127.0.0.1:%d" % self.tw_peer),
        ])

    def test_lists_what_the_test_made(self):
        out = self.state(str(self.port))
        got = sorted((r[1], r[2], r[3]) for r in rows(out))
        self.assertEqual(got, self.expected())
        self.assertRegex(out, r"\n4 sockets: .*LISTEN 1.*\(from (netlink|/proc)\)\n$")
        self.assertIn("ESTABLISHED 2", out)
        self.assertIn("TIME_WAIT 1", out)
        listener = [r for r in rows(out) if r[1] == "LISTEN"][0]
        self.assertIn("[%d] fd %d" % (os.getpid(), self.l.fileno()), listener[4])

    def test_same_as_ss(self):
        if shutil.which("ss") is None:
            self.skipTest("ss (iproute2) is not installed")
        p = self.port
        ss = subprocess.run(["ss", "-tanH", "( sport = :%d or dport = :%d )" % (p, p)],
                            capture_output=True, text=True, timeout=30 * SLOW)
        self.assertEqual(ss.returncode, 0, ss.stderr)
        want = sorted((SS_NAMES.get(f[0], f[0].replace("-", "_")), f[3], f[4])
                      for f in (l.split() for l in ss.stdout.splitlines()) if f)
        got = sorted((r[1], r[2], r[3]) for r in rows(self.state("--tcp", str(p))))
        self.assertEqual(got, want)
        self.assertEqual(got, self.expected())

    def test_time_wait_time_left(self):
        out = self.state("--state", "TIME_WAIT", str(self.port))
        r = rows(out)
        self.assertEqual(len(r), 1, out)
        m = re.search(r"timewait (\d+\.\d) s", r[0][4])
        self.assertTrue(m, r[0])
        self.assertTrue(0 < float(m.group(1)) <= 60.0, m.group(1))

    def test_proc_agrees_with_netlink(self):
        a = sorted((r[1], r[2], r[3]) for r in rows(self.state(str(self.port))))
        out = self.state("--proc", str(self.port))
        self.assertIn("(from /proc)", out)
        self.assertEqual(sorted((r[1], r[2], r[3]) for r in rows(out)), a)

    def test_json(self):
        doc = json.loads(self.state("--json", "--tcp", str(self.port)))
        self.assertIn(doc["source"], ("netlink", "/proc"))
        socks = doc["sockets"]
        got = sorted((s["state"], "%s:%d" % (s["local_addr"], s["local_port"]),
                      "%s:%s" % (s["remote_addr"], s["remote_port"] or "*")) for s in socks)
        self.assertEqual(got, self.expected())
        tw = [s for s in socks if s["state"] == "TIME_WAIT"][0]
        self.assertEqual(tw["timer"], "timewait")
        self.assertTrue(0 < tw["expires_ms"] <= 60000, tw)
        self.assertEqual(doc["summary"]["total"], 4)
        self.assertEqual(doc["summary"]["ESTABLISHED"], 2)
        lst = [s for s in socks if s["state"] == "LISTEN"][0]
        self.assertEqual(lst["pid"], os.getpid())

    def test_filters(self):
        self.assertEqual(rows(self.state("--udp", str(self.port))), [])
        self.assertEqual(rows(self.state("-6", str(self.port))), [])
        est = rows(self.state("-s", "estab", "-4", str(self.port)))
        self.assertEqual([r[1] for r in est], ["ESTABLISHED", "ESTABLISHED"])
        # A UDP socket shows as UNCONN with its port.
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(u.close)
        u.bind(("127.0.0.1", 0))
        ur = rows(self.state("--udp", "--state", "UNCONN", str(u.getsockname()[1])))
        self.assertEqual([(r[0], r[1], r[2]) for r in ur],
                         [("udp", "UNCONN", "127.0.0.1:%d" % u.getsockname()[1])])

    def test_watch_counts_down_and_stops(self):
        r = run(["state", "--watch", "--count", "3", "--interval", "0.3", "--json",
                 "--state", "TIME_WAIT", str(self.port)])
        self.assertEqual(r.returncode, 0, r.stderr)
        docs = [json.loads(l) for l in r.stdout.decode().splitlines()]
        self.assertEqual(len(docs), 3)
        left = [d["sockets"][0]["expires_ms"] for d in docs]
        self.assertEqual(left, sorted(left, reverse=True))
        self.assertLess(left[-1], left[0])
        text = run(["state", "-w", "-n", "2", "-i", "0.1", str(self.port)])
        self.assertEqual(text.returncode, 0)
        self.assertEqual(text.stdout.decode().count("Proto State"), 2)
        self.assertNotIn(b"\x1b[", text.stdout)   # no screen clearing into a pipe

    def test_watch_stops_on_sigint(self):
        p = subprocess.Popen([SOCKLAB, "state", "--watch", str(self.port)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.wait(),
                                 p.stdout.close(), p.stderr.close()))
        r, _, _ = select.select([p.stdout], [], [], 10 * SLOW)
        self.assertTrue(r, "no table within 10 s")
        self.assertIn(b"Proto", p.stdout.readline())
        p.send_signal(signal.SIGINT)
        self.assertEqual(p.wait(10 * SLOW), 0)

    def test_usage_errors(self):
        for args in (["--tcp", "--udp"], ["--state", "BOGUS"], ["70000"], ["--count", "2"],
                     ["-w", "-n", "0"], ["-i", "x", "-w"], ["1", "2"], ["--bogus"]):
            r = run(["state", *args])
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertTrue(r.stderr.startswith(b"socklab: state: "), r.stderr)
