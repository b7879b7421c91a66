"""End-to-end, hostile world for the file transfer: a transfer through
`socklab relay` that is cut (FIN or RST), corrupted (one flipped byte),
stalled or too slow is detected by file-client, which exits 1 and leaves
no file at all in the destination; a slow but steady one is verified. The
same over a real network path (two network namespaces joined by a veth
pair with a tbf rate limit) where the machine allows it. Then the
receiver's filesystem turns hostile: a read-only directory, a full tmpfs,
a file-size limit (RLIMIT_FSIZE): a clear error, no file left."""
import ctypes
import os
import re
import resource
import shutil
import subprocess
import tempfile
import time

from harness import TestCase, Server, run, SOCKLAB, SLOW

SIZE = 1000000


def file_transfer_built():
    r = run(["file-client", "--help"])
    if r.returncode != 0 or b"not built" in r.stdout + r.stderr:
        return "file-client is not built yet (issue 5)"
    return None


class Files(TestCase):
    @classmethod
    def setUpClass(cls):
        why = file_transfer_built()
        if why:
            raise __import__("unittest").SkipTest(why)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sl-hostile-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.src = os.path.join(self.dir, "src")
        self.dst = os.path.join(self.dir, "dst")
        os.mkdir(self.src)
        os.mkdir(self.dst)
        self.data = os.urandom(SIZE)
        self.path = os.path.join(self.src, "data.bin")
        with open(self.path, "wb") as f:
            f.write(self.data)

    def file_server(self, **kw):
        return self.server("file-server", "-q", "-p", "0", "-b", "127.0.0.1", self.path, **kw)

    def relay(self, port, *faults):
        return self.server("relay", "-q", "-p", "0", "-b", "127.0.0.1", *faults,
                           "127.0.0.1", str(port))

    def fetch(self, port, *opts, host="127.0.0.1", **kw):
        args = [SOCKLAB, "file-client", "-q", *opts, "-o", self.dst + "/", host, str(port)]
        r = subprocess.run(args, capture_output=True, timeout=120 * SLOW, **kw)
        return r.returncode, r.stderr.decode(errors="replace")

    def assert_detected(self, rc, err, pattern):
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, r"(?i)" + pattern)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertEqual(os.listdir(self.dst), [], "a file was left behind")

    def assert_verified(self, rc, err):
        self.assertEqual(rc, 0, err)
        with open(os.path.join(self.dst, "data.bin"), "rb") as f:
            self.assertEqual(f.read(), self.data)


class ThroughRelay(Files):
    def test_control_no_fault_is_verified(self):
        fs = self.file_server()
        r = self.relay(fs.port)
        self.assert_verified(*self.fetch(r.port))

    def test_cut_with_fin(self):
        fs = self.file_server()
        r = self.relay(fs.port, "--cut-after", "300000", "--dir", "down")
        self.assert_detected(*self.fetch(r.port), r"short|ended|closed|truncat|early")

    def test_cut_with_rst(self):
        fs = self.file_server()
        r = self.relay(fs.port, "--cut-after", "300000", "--cut-mode", "rst", "--dir", "down")
        self.assert_detected(*self.fetch(r.port), r"reset|short|ended")

    def test_one_flipped_byte(self):
        fs = self.file_server()
        for offset in ("40", "500000", str(SIZE + 30)):   # header, data, trailer
            with self.subTest(offset=offset):
                r = self.relay(fs.port, "--flip-at", offset, "--dir", "down")
                self.assert_detected(*self.fetch(r.port),
                                     r"checksum|mismatch|damaged|header|trailer|invalid|bad")
                r.stop()

    def test_flipped_request(self):
        fs = self.file_server()
        r = self.relay(fs.port, "--flip-at", "2", "--dir", "up")
        rc, err = self.fetch(r.port)
        self.assertEqual(rc, 1, err)
        self.assertEqual(os.listdir(self.dst), [])

    def test_stalled(self):
        fs = self.file_server()
        r = self.relay(fs.port, "--stall", "30", "--stall-after", "200000", "--dir", "down")
        start = time.monotonic()
        self.assert_detected(*self.fetch(r.port, "-t", "1"), r"nothing from the sender|timed out")
        self.assertLess(time.monotonic() - start, 25 * SLOW)

    def test_slow_but_steady_is_verified(self):
        fs = self.file_server()
        r = self.relay(fs.port, "--rate", "1M", "--dir", "down")
        start = time.monotonic()
        self.assert_verified(*self.fetch(r.port, "-t", "2"))
        self.assertGreaterEqual(time.monotonic() - start, 0.8)   # 1 MB at 1 MiB/s

    def test_slower_than_the_timeout(self):
        fs = self.file_server()
        r = self.relay(fs.port, "--delay", "3000", "--dir", "down")
        self.assert_detected(*self.fetch(r.port, "-t", "0.5"), r"nothing from the sender|timed out")


class ChangedWhileSent(Files):
    """The served file changes while the server sends it (slowed by a relay,
    and large enough to be hashed by its own thread): the receiver keeps
    nothing, and the server says why and goes on serving."""
    BIG = 32 << 20

    def setUp(self):
        super().setUp()
        self.data = os.urandom(self.BIG)
        with open(self.path, "wb") as f:
            f.write(self.data)

    def start_slow(self):
        fs = self.server("file-server", "-p", "0", "-b", "127.0.0.1", self.path)
        r = self.relay(fs.port, "--rate", "16M", "--dir", "down")
        p = subprocess.Popen([SOCKLAB, "file-client", "-q", "-o", self.dst + "/", "127.0.0.1",
                              str(r.port)], stderr=subprocess.PIPE)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        fs.wait_line(rb"sending data\.bin")
        return fs, r, p

    def finish(self, p):
        _, err = p.communicate(timeout=60 * SLOW)
        return p.returncode, err.decode(errors="replace")

    def assert_serves_again(self, fs):
        with open(self.path, "rb") as f:
            self.data = f.read()
        self.assert_verified(*self.fetch(fs.port))

    def test_rewritten_in_place(self):
        fs, _, p = self.start_slow()
        with open(self.path, "r+b") as f:      # same size, new mtime
            f.seek(self.BIG - 100)
            f.write(b"changed")
        self.assert_detected(*self.finish(p), r"checksum|before the checksum|short|closed")
        fs.wait_line(rb"changed while being sent")
        self.assert_serves_again(fs)

    def test_truncated(self):
        fs, _, p = self.start_slow()
        os.truncate(self.path, 1 << 20)
        self.assert_detected(*self.finish(p), r"short|closed|reset")
        fs.wait_line(rb"ended \d+ bytes early|shrank|changed while being sent")
        self.assert_serves_again(fs)


CLONE_NEWNET = 0x40000000


class Namespaces(Files):
    """File server in namespace A, relay and client in namespace B, joined
    by a veth pair whose A side sends through a tbf rate limit."""

    def ip(self, *args, ns=None):
        cmd = (["ip", "netns", "exec", ns, "ip"] if ns else ["ip"]) + list(args)
        return subprocess.run(cmd, capture_output=True, timeout=30)

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("tc") is None:
            self.skipTest("needs root, ip and tc to make network namespaces")
        tag = "%d" % (os.getpid() % 100000)
        self.ns_a, self.ns_b = "slh9a" + tag, "slh9b" + tag
        veth_a, veth_b = "vh9a" + tag, "vh9b" + tag
        net = "10.%d.%d" % (200 + os.getpid() % 50, os.getpid() % 250)
        self.addr_a = net + ".1"
        for ns in (self.ns_a, self.ns_b):
            r = self.ip("netns", "add", ns)
            if r.returncode != 0:
                self.skipTest("cannot make a network namespace: %s" % r.stderr.decode().strip())
            self.addCleanup(self.ip, "netns", "del", ns)
        steps = [
            self.ip("link", "add", veth_a, "netns", self.ns_a, "type", "veth",
                    "peer", "name", veth_b, "netns", self.ns_b),
            self.ip("addr", "add", net + ".1/30", "dev", veth_a, ns=self.ns_a),
            self.ip("addr", "add", net + ".2/30", "dev", veth_b, ns=self.ns_b),
            self.ip("link", "set", veth_a, "up", ns=self.ns_a),
            self.ip("link", "set", veth_b, "up", ns=self.ns_b),
            self.ip("link", "set", "lo", "up", ns=self.ns_a),
            self.ip("link", "set", "lo", "up", ns=self.ns_b),
        ]
        for r in steps:
            if r.returncode != 0:
                self.skipTest("cannot set up the veth pair: %s" % r.stderr.decode().strip())
        tc = subprocess.run(["ip", "netns", "exec", self.ns_a, "tc", "qdisc", "add", "dev",
                             veth_a, "root", "tbf", "rate", "4mbit", "burst", "16kb",
                             "latency", "200ms"], capture_output=True, timeout=30)
        if tc.returncode != 0:
            self.skipTest("cannot add a tbf qdisc (sch_tbf missing?): %s"
                          % tc.stderr.decode().strip())
        self.libc = ctypes.CDLL(None, use_errno=True)

    def enter(self, ns):
        """A preexec_fn that moves the child into network namespace ns."""
        fd = os.open("/run/netns/" + ns, os.O_RDONLY | os.O_CLOEXEC)
        self.addCleanup(os.close, fd)
        setns = self.libc.setns

        def pre():
            if setns(fd, CLONE_NEWNET) != 0:
                os._exit(126)
        return pre

    def test_through_veth_and_tbf(self):
        fs = self.track(Server(["file-server", "-q", "-p", "0", "-b", self.addr_a, self.path],
                               preexec_fn=self.enter(self.ns_a)))
        clean = self.track(Server(["relay", "-q", "-p", "0", "-b", "127.0.0.1",
                                   self.addr_a, str(fs.port)], preexec_fn=self.enter(self.ns_b)))
        start = time.monotonic()
        self.assert_verified(*self.fetch(clean.port, preexec_fn=self.enter(self.ns_b)))
        self.assertGreaterEqual(time.monotonic() - start, 1.5)   # 8 Mbit at 4 Mbit/s
        os.unlink(os.path.join(self.dst, "data.bin"))
        for faults, pattern in ((["--cut-after", "400000"], r"short|ended|closed|truncat|early"),
                                (["--flip-at", "700000"], r"checksum|mismatch|damaged")):
            with self.subTest(faults=faults):
                r = self.track(Server(["relay", "-q", "-p", "0", "-b", "127.0.0.1", "--dir",
                                       "down", *faults, self.addr_a, str(fs.port)],
                                      preexec_fn=self.enter(self.ns_b)))
                self.assert_detected(*self.fetch(r.port, preexec_fn=self.enter(self.ns_b)),
                                     pattern)


MOUNT_SCRIPT = r'''
mount -t tmpfs -o "$4" tmpfs "$1" || exit 99
"$2" file-client -q -t 30 -o "$1/" 127.0.0.1 "$3"
rc=$?
echo "LISTING:$(ls -A "$1" | tr '\n' ' ')"
exit $rc
'''


class Filesystem(Files):
    def fetch_on_tmpfs(self, options):
        """Run file-client writing into a fresh tmpfs mounted with options,
        in a private mount namespace (the mount ends with it)."""
        if os.geteuid() != 0 or shutil.which("unshare") is None:
            self.skipTest("needs root and unshare to mount a private tmpfs")
        fs = self.file_server()
        r = subprocess.run(["unshare", "-m", "sh", "-c", MOUNT_SCRIPT, "sh", self.dst,
                            SOCKLAB, str(fs.port), options],
                           capture_output=True, timeout=120 * SLOW)
        if r.returncode == 99:
            self.skipTest("cannot mount a tmpfs: %s" % r.stderr.decode().strip())
        listing = re.search(rb"LISTING:(.*)", r.stdout).group(1).decode().split()
        return r.returncode, r.stderr.decode(errors="replace"), listing

    def test_read_only_directory(self):
        rc, err, listing = self.fetch_on_tmpfs("ro,size=4m")
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, r"Read-only file system")
        self.assertEqual(listing, [])

    def test_full_filesystem(self):
        rc, err, listing = self.fetch_on_tmpfs("size=256k")
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, r"disk full|No space left on device")
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertEqual(listing, [])

    def test_file_size_limit(self):
        fs = self.file_server()

        def limit():
            resource.setrlimit(resource.RLIMIT_FSIZE, (100000, 100000))
        rc, err = self.fetch(fs.port, preexec_fn=limit)
        self.assert_detected(rc, err, r"File too large")
