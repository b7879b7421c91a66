"""End-to-end: every `socklab demo` runs to the end, exits 0, and its key
observations hold: EADDRINUSE then success (timewait), the late reply
received after half-close and lost after close, zombies counted then zero,
three datagrams against one read, CLOSING on both sides of a simultaneous
close; the trace of timewait shows the server's FIN first, ACKs one past
each FIN's SEQ, and the final ACK."""
import os
import re
import shutil
import subprocess

from harness import TestCase, SOCKLAB, run, SLOW

NOT_HERE = 3    # documented in `socklab demo --help`
SEG = re.compile(r"^\s+(\d+)\s+[\d.]+ s\s+(\S+)\s+\|(<-|--) (\S+)\s+SEQ (\d+) ACK (\d+|-) "
                 r"len (\d+) -+(?:->)?-*\|\s+(\S+)\s+raw SEQ (\d+) ACK (\d+)(.*)$")
SIDES = re.compile(r"^\s+A = (client|server) \S+, B = (client|server) \S+$")


def results(out):
    """The key observation lines ("  => ...") in order."""
    return [l[5:] for l in out.splitlines() if l.startswith("  => ")]


def trace(out):
    """Segments of the (last) trace: dicts with who sent them and the numbers."""
    segs, sides = [], None
    for line in out.splitlines():
        m = SIDES.match(line)
        if m:
            sides, segs = (m.group(1), m.group(2)), []
            continue
        m = SEG.match(line)
        if m and sides:
            sender = sides[0] if m.group(3) == "--" else sides[1]
            segs.append(dict(sender=sender, flags=m.group(4).split(","),
                             seq=int(m.group(5)), ack=m.group(6), len=int(m.group(7)),
                             raw_seq=int(m.group(9)), raw_ack=int(m.group(10)),
                             note=m.group(11)))
    return segs


class Demo(TestCase):
    def demo(self, *args, ok=(0,)):
        r = run(["demo", *args], timeout=60)
        out = r.stdout.decode()
        if r.returncode == NOT_HERE and NOT_HERE not in ok:
            self.skipTest("not possible here: " + out.strip().splitlines()[-1])
        self.assertIn(r.returncode, ok, out + r.stderr.decode())
        if r.returncode == 0 and args:
            self.assertTrue(out.rstrip().endswith("done."), out[-300:])
        return out

    def test_list(self):
        out = self.demo()
        for name in ("timewait", "halfclose", "zombie", "close", "udp-boundary", "tcp-stream"):
            self.assertRegex(out, r"(?m)^  %s " % name)

    def check_timewait(self, out):
        res = results(out)
        rx = r"bind 127\.0\.0\.1:(\d+) (with|without) SO_REUSEADDR: (succeeded|failed: EADDRINUSE)"
        got = [re.match(rx, l).groups() for l in res if re.match(rx, l)]
        self.assertEqual([(w, s) for _, w, s in got], [
            ("without", "failed: EADDRINUSE"), ("with", "succeeded"),   # server closed first
            ("with", "failed: EADDRINUSE"),                             # old one had no SO_REUSEADDR
            ("without", "succeeded")])                                  # client closed first
        self.assertEqual(got[0][0], got[1][0])
        port = got[0][0]
        m = re.search(r"kernel: TIME_WAIT\s+127\.0\.0\.1:%s -> 127\.0\.0\.1:\d+ .*timewait "
                      r"(\d+\.\d) s" % port, out)
        self.assertTrue(m, out)
        self.assertTrue(0 < float(m.group(1)) <= 60)
        self.assertIn("the library says: bind 127.0.0.1:%s: Address already in use. 1 "
                      "connection on port %s is in TIME_WAIT" % (port, port), out)
        # Client first: the TIME_WAIT is the client's, the server port is free.
        last = got[3][0]
        self.assertRegex(out, r"kernel: TIME_WAIT\s+127\.0\.0\.1:\d+ -> 127\.0\.0\.1:%s " % last)

    def test_timewait(self):
        self.check_timewait(self.demo("timewait"))

    def test_timewait_host_network(self):
        out = self.demo("timewait", "--host-net")
        self.assertIn("on the host's loopback", out)
        self.check_timewait(out)

    def test_timewait_trace(self):
        out = self.demo("timewait", "--trace")
        if "trace not available" in out:
            self.skipTest(re.search(r"trace not available: ([^\n]*)", out).group(1))
        segs = trace(out)
        self.assertTrue(segs, out)
        self.assertEqual(segs[0]["flags"], ["SYN"])
        self.assertEqual(segs[0]["sender"], "client")
        fins = [s for s in segs if "FIN" in s["flags"]]
        self.assertEqual([f["sender"] for f in fins], ["server", "client"], out)
        sfin, cfin = fins
        # Every ACK after the server's FIN acknowledges it: one past its SEQ.
        after = segs[segs.index(sfin) + 1:]
        cacks = [s for s in after if s["sender"] == "client" and "ACK" in s["flags"]]
        self.assertTrue(cacks)
        for s in cacks:
            self.assertEqual(int(s["ack"]), sfin["seq"] + sfin["len"] + 1)
            self.assertEqual(s["raw_ack"], (sfin["raw_seq"] + sfin["len"] + 1) % 2**32)
        final = segs[-1]
        self.assertEqual((final["sender"], final["flags"]), ("server", ["ACK"]))
        self.assertEqual(int(final["ack"]), cfin["seq"] + cfin["len"] + 1)
        self.assertEqual(final["raw_ack"], (cfin["raw_seq"] + cfin["len"] + 1) % 2**32)
        self.assertEqual(final["seq"], sfin["seq"] + 1)
        self.assertRegex(out, r"TIME_WAIT\s+raw SEQ %d " % final["raw_seq"])

    def test_trace_without_privilege(self):
        setpriv = shutil.which("setpriv")
        if os.geteuid() != 0 or setpriv is None:
            self.skipTest("needs root and setpriv to drop privileges")
        r = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                            "--inh-caps=-all", SOCKLAB, "demo", "timewait", "--trace"],
                           capture_output=True, timeout=60 * SLOW)
        if r.returncode in (126, 127) or b"Permission denied" in r.stderr:
            self.skipTest("the binary cannot be run as nobody: %r" % r.stderr[-200:])
        out = r.stdout.decode()
        self.assertEqual(r.returncode, 0, out + r.stderr.decode())
        self.assertIn("trace not available", out)
        self.assertIn("not permitted here", out)
        self.check_timewait(out)

    def test_halfclose(self):
        out = self.demo("halfclose")
        res = results(out)
        self.assertIn('after shutdown(SHUT_WR) the server still received: "Thank you"', res)
        self.assertIn("after close() the late reply was lost: the server's kernel answered "
                      "it with RST", res)
        self.assertIn("the client's next write: Broken pipe (EPIPE)", res)
        self.assertIn("the client's next read: Connection reset by peer (ECONNRESET)", res)
        self.assertRegex(out, r"kernel: FIN_WAIT2 .*\n.*kernel: CLOSE_WAIT|kernel: CLOSE_WAIT"
                              r" .*\n(.*\n)?.*kernel: FIN_WAIT2")

    def test_halfclose_trace_shows_rst(self):
        out = self.demo("halfclose", "--trace")
        if "trace not available" in out:
            self.skipTest("capture not permitted")
        segs = trace(out)       # the last trace: close() over unread input
        rst = [s for s in segs if "RST" in s["flags"]]
        self.assertTrue(rst and rst[0]["sender"] == "server", out)

    def test_zombie(self):
        res = results(self.demo("zombie"))
        m = re.match(r"zombies: (\d+) of (\d+) children", res[0])
        self.assertTrue(m, res)
        n = int(m.group(2))
        self.assertEqual(int(m.group(1)), n)
        self.assertEqual(res[1], "after waitpid: zombies: 0")
        self.assertEqual(res[2], "zombies before the handler runs: %d" % n)
        self.assertRegex(res[3], r"loop: SIGCHLD handled 1 time, %d reaped, zombies left: 0$" % n)
        self.assertEqual(res[4], "zombies before the handler runs: %d" % n)
        self.assertRegex(res[5], r"per signal.*: SIGCHLD handled 1 time, 1 reaped, "
                                 r"zombies left: %d$" % (n - 1))

    def test_udp_boundary_and_tcp_stream(self):
        out = self.demo("udp-boundary")
        self.assertEqual(results(out), ["UDP: 3 writes, 3 reads"])
        self.assertRegex(out, r'read 1: 3 bytes "one"\n.*read 2: 3 bytes "two"\n'
                              r'.*read 3: 5 bytes "three"')
        out = self.demo("tcp-stream")
        self.assertEqual(results(out), ['TCP: 3 writes, 1 read: 11 bytes "onetwothree"'])
        self.assertIn("Recv-Q 11 bytes", out)

    def test_close_step_by_step(self):
        out = self.demo("close", "--trace")
        states = re.findall(r"kernel: (\S+)\s+10\.77\.0\.(\d):", out)
        a = [s for s, side in states if side == "1"]
        b = [s for s, side in states if side == "2"]
        self.assertEqual(a, ["ESTABLISHED", "FIN_WAIT1", "FIN_WAIT1", "FIN_WAIT2", "FIN_WAIT2",
                             "TIME_WAIT", "TIME_WAIT"])
        self.assertEqual(b, ["ESTABLISHED", "ESTABLISHED", "CLOSE_WAIT", "CLOSE_WAIT",
                             "LAST_ACK", "LAST_ACK"])
        self.assertIn("no TCP socket on port", out.split("[7]")[1])
        fins = [s for s in trace(out) if "FIN" in s["flags"] and "released" in s["note"]]
        self.assertEqual([f["sender"] for f in fins], ["client", "server"])

    def test_close_simultaneous(self):
        out = self.demo("close", "--simultaneous", "--trace")
        self.assertEqual(results(out), ["both sides are in CLOSING", "both sides are in TIME_WAIT"])
        step = out.split("[3]")[1].split("=>")[0]
        self.assertEqual(re.findall(r"kernel: (\S+)", step), ["CLOSING", "CLOSING"])
        segs = trace(out)
        held_fins = [s for s in segs if "FIN" in s["flags"] and "held" in s["note"]]
        self.assertEqual(sorted(s["sender"] for s in held_fins[:2]), ["client", "server"])
        self.assertIn("CLOSING", out.split("trace:")[1])

    def test_usage(self):
        for args in (["nosuch"], ["zombie", "--trace"], ["timewait", "--simultaneous"],
                     ["--bogus"], ["timewait", "extra"]):
            r = run(["demo", *args])
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertTrue(r.stderr.startswith(b"socklab: demo: "), r.stderr)
        r = run(["demo", "--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"3 the demo cannot be done", r.stdout)
