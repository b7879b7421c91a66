"""End-to-end: the half-close file transfer (file-server, file-client).

Round trips checked byte for byte; the sender killed in flight; a byte
flipped in flight by a relay in this file; path traversal refused on both
sides; no overwrite without --force; a planted symlink never followed; a
full disk; --raw against nc and against a textbook-style peer; every
server model that `socklab echo-server --help` lists."""
import json
import os
import pty
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import unittest

from harness import closed_port, TestCase, Server, run, wait_for, SOCKLAB, SLOW, deadline

MiB = 1 << 20


def models():
    """The model names listed under --model in `socklab echo-server --help`."""
    out = run(["echo-server", "--help"]).stdout.decode()
    names, inside = [], False
    for line in out.splitlines():
        if re.match(r"^\s+-m, --model", line):
            inside = True
        elif inside and re.match(r"^\s+-", line):
            break
        elif inside:
            m = re.match(r"^\s{4,}([A-Za-z][\w-]*)\s{2,}\S", line)
            if m:
                names.append(m.group(1))
    return names


def checksum_missing():
    """The 'not built: ...' reason when the checksum library is missing, else None."""
    r = run(["file-server", "-p", "0", "-b", "127.0.0.1", "/nonexistent-socklab-test"])
    err = r.stderr.decode()
    return err.strip() if "not built" in err else None


NOT_BUILT = checksum_missing()


def nc_openbsd():
    """OpenBSD netcat's path, or None (netcat-openbsd: scripts/packages.d/file.txt)."""
    for name in ("nc.openbsd", "nc"):
        path = shutil.which(name)
        if path is None:
            continue
        r = subprocess.run([path, "-h"], capture_output=True, timeout=10)
        if b"OpenBSD netcat" in r.stdout + r.stderr:
            return path
    return None


def request_frame(name):
    data = name.encode() if isinstance(name, str) else name
    return b"SLFR\x01\x00" + struct.pack(">H", len(data)) + data


def header_frame(name, size):
    data = name.encode() if isinstance(name, str) else name
    return b"SLFH\x01\x01" + struct.pack(">HQ", len(data), size) + data


def recv_all(sock, limit=64 * MiB):
    out = bytearray()
    while len(out) < limit:
        chunk = sock.recv(1 << 16)
        if not chunk:
            break
        out += chunk
    return bytes(out)


class Relay:
    """A TCP relay for one connection between a client and target, which
    can flip one byte of the server's stream at flip_at, or stop reading the
    server after pause_after bytes until resume() (the sender is then
    blocked with the file in flight). EOF and resets are passed on."""

    def __init__(self, target, flip_at=None, pause_after=None):
        self.target = target
        self.flip_at = flip_at
        self.pause_after = pause_after
        self.paused = threading.Event()
        self.resumed = threading.Event()
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(1)
        self.port = self.lsock.getsockname()[1]
        self.threads = []
        self.socks = []
        t = threading.Thread(target=self._serve, daemon=True)
        t.start()
        self.threads.append(t)

    def _serve(self):
        self.lsock.settimeout(60 * SLOW)
        try:
            client, _ = self.lsock.accept()
        except OSError:
            return
        server = socket.create_connection(self.target, timeout=60 * SLOW)
        client.settimeout(120 * SLOW)
        server.settimeout(120 * SLOW)
        self.socks += [client, server]
        for args in ((client, server, False), (server, client, True)):
            t = threading.Thread(target=self._pump, args=args, daemon=True)
            t.start()
            self.threads.append(t)

    @staticmethod
    def _reset(sock):
        """Close with SO_LINGER 0: the peer gets a reset, as from a dead process."""
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        except OSError:
            pass

    def _pump(self, src, dst, down):
        seen = 0
        while True:
            if down and self.pause_after is not None and seen >= self.pause_after \
                    and not self.paused.is_set():
                self.paused.set()
                self.resumed.wait(60 * SLOW)
            try:
                data = src.recv(1 << 16)
            except ConnectionResetError:
                return self._reset(dst)
            except OSError:
                return None
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return None
            if down and self.flip_at is not None and seen <= self.flip_at < seen + len(data):
                data = bytearray(data)
                data[self.flip_at - seen] ^= 0x01
                data = bytes(data)
            seen += len(data)
            try:
                dst.sendall(data)
            except OSError:
                return self._reset(src)

    def resume(self):
        self.resumed.set()

    def close(self):
        self.resumed.set()
        for s in self.socks + [self.lsock]:
            try:
                s.close()
            except OSError:
                pass


class FakeSender:
    """A scripted sender for one connection: reads the request (unless raw),
    sends `answer`, half-closes, and keeps the receiver's reply."""

    def __init__(self, answer, raw=False):
        self.answer = answer
        self.raw = raw
        self.request = b""
        self.reply = None
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(1)
        self.port = self.lsock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.lsock.settimeout(60 * SLOW)
        try:
            c, _ = self.lsock.accept()
        except OSError:
            return
        with c:
            c.settimeout(60 * SLOW)
            try:
                if not self.raw:
                    head = c.recv(8)
                    n = struct.unpack(">H", head[6:8])[0] if len(head) == 8 else 0
                    self.request = head + (c.recv(n) if n else b"")
                c.sendall(self.answer)
                c.shutdown(socket.SHUT_WR)
                self.reply = recv_all(c)
            except OSError:
                self.reply = b"<reset>"

    def done(self):
        self.thread.join(30 * SLOW)
        self.lsock.close()
        return self.reply


class FileTest(TestCase):
    """A server directory and a destination directory per test."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sl-file-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.src = os.path.join(self.tmp, "srv")
        self.dst = os.path.join(self.tmp, "dst")
        os.mkdir(self.src)
        os.mkdir(self.dst)

    def need_checksum(self):
        if NOT_BUILT:
            self.skipTest(NOT_BUILT)

    def make(self, name, size=None, data=None):
        path = os.path.join(self.src, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if data is None:
            data = os.urandom(size) if size <= 8 * MiB else self.big(size)
        with open(path, "wb") as f:
            f.write(data)
        return path, data

    @staticmethod
    def big(size):
        """Random-looking bytes quickly: a random 1 MiB block, varied per MiB."""
        block = os.urandom(MiB)
        out = bytearray()
        i = 0
        while len(out) < size:
            out += struct.pack(">Q", i) + block[8:]
            i += 1
        return bytes(out[:size])

    def serve(self, path, *opts):
        """file-server on port 0 in its own process group (killpg ends a
        forked child too)."""
        return self.server("file-server", "-p", "0", "-b", "127.0.0.1", *opts, path,
                           preexec_fn=os.setsid)

    def fetch(self, port, *args, timeout=120, stderr=subprocess.PIPE):
        """file-client run in the destination directory (stderr: a pipe or a pty)."""
        return subprocess.run([SOCKLAB, "file-client", *args, "127.0.0.1", str(port)],
                              cwd=self.dst, stdout=subprocess.PIPE, stderr=stderr,
                              timeout=timeout * SLOW)

    def fetch_named(self, port, name, *args, timeout=120):
        return subprocess.run([SOCKLAB, "file-client", *args, "127.0.0.1", str(port), name],
                              cwd=self.dst, capture_output=True, timeout=timeout * SLOW)

    def read_dst(self, name):
        with open(os.path.join(self.dst, name), "rb") as f:
            return f.read()

    def assert_dst_empty(self):
        self.assertEqual(os.listdir(self.dst), [], "a failed transfer left files behind")


class RoundTrip(FileTest):
    def round_trip(self, size, *server_opts):
        path, data = self.make("data.bin", size)
        srv = self.serve(path, *server_opts)
        r = self.fetch(srv.port)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read_dst("data.bin"), data)
        out = r.stdout.decode()
        self.assertTrue(out.startswith("Received file data\n"), out)
        self.assertRegex(out, r"data\.bin: %d bytes in [0-9.]+ s \([0-9.]+ \S+/s\), "
                         r"verified xxh3-128:[0-9a-f]{32}, saved as data\.bin" % size)
        srv.wait_line(rb"Message from client: Thank you$")
        digest = re.search(r"xxh3-128:([0-9a-f]{32})", out).group(1)
        srv.wait_line(rb"sent data\.bin: %d bytes, xxh3-128:%s" % (size, digest.encode()))
        srv.wait_line(rb"client 1 .* left")
        self.assertEqual(srv.stop(), 0)
        return data

    def test_sizes_0_1_1mib(self):
        self.need_checksum()
        for size in (0, 1, MiB):
            with self.subTest(size=size):
                for f in os.listdir(self.dst):
                    os.unlink(os.path.join(self.dst, f))
                self.round_trip(size)

    def test_100mib(self):
        self.need_checksum()
        self.round_trip(100 * MiB)

    def test_file_changed_between_transfers_sends_new_checksum(self):
        """The sender keeps the checksum of a file it sent whole; a change,
        even one that puts the old size and mtime back, is never sent with
        the old checksum."""
        self.need_checksum()
        path, data = self.make("ch.bin", 200000)
        srv = self.serve(path)
        r = self.fetch(srv.port, "-o", "one.bin")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.fetch(srv.port, "-o", "two.bin")             # the same file again
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read_dst("two.bin"), data)
        srv.wait_line(rb"client 2 .*kept from an earlier transfer")
        st = os.stat(path)
        new = bytes(b ^ 0xFF for b in data[:100]) + data[100:]
        with open(path, "r+b") as f:
            f.write(new[:100])
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))   # size and mtime as before
        r = self.fetch(srv.port, "-o", "three.bin")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read_dst("three.bin"), new)
        srv.wait_line(rb"client 3 .* left")
        self.assertEqual(srv.count_lines(rb"kept from an earlier"), 1)

    def test_names_with_spaces_and_utf8_from_a_directory(self):
        self.need_checksum()
        names = ["with space.bin", "\u00fc\u65e5\u672c \u00e9.bin", "sub dir/\u00e4 b.txt"]
        files = {n: self.make(n, 1000 + i)[1] for i, n in enumerate(names)}
        srv = self.serve(self.src)
        for n in names:
            r = self.fetch_named(srv.port, n)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(self.read_dst(os.path.basename(n)), files[n])
        wait_for(lambda: srv.count_lines(rb"Message from client: Thank you") == 3, 10,
                 "3 replies")

    def test_json_summaries(self):
        self.need_checksum()
        import json
        path, data = self.make("j.bin", 5000)
        srv = self.serve(path, "--json")
        r = self.fetch(srv.port, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual((doc["ok"], doc["name"], doc["bytes"], doc["verified"]),
                         (True, "j.bin", 5000, True))
        self.assertRegex(doc["xxh3_128"], r"^[0-9a-f]{32}$")
        wait_for(lambda: srv.p.poll() is None and srv.count_lines(rb"left") == 1, 10, "log")
        self.assertEqual(srv.stop(), 0)
        line = json.loads(srv.p.stdout.read().decode().splitlines()[0])
        self.assertEqual((line["client"], line["ok"], line["error"]), (1, True, None))

    def test_data_to_stdout_never_mixed_with_messages(self):
        self.need_checksum()
        path, data = self.make("s.bin", 300000)
        srv = self.serve(path)
        r = self.fetch(srv.port, "-o", "-")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, data)
        self.assertIn(b"Received file data", r.stderr)

    def test_progress_line_on_a_terminal_only(self):
        self.need_checksum()
        path, data = self.make("p.bin", 2 * MiB)
        srv = self.serve(path)
        for quiet in (False, True):
            master, slave = pty.openpty()
            try:
                r = self.fetch(srv.port, "-f", *(["-q"] if quiet else []), stderr=slave)
                os.close(slave)
                slave = -1
                shown = b""
                while True:
                    try:
                        chunk = os.read(master, 65536)
                    except OSError:
                        break
                    if not chunk:
                        break
                    shown += chunk
            finally:
                os.close(master)
                if slave >= 0:
                    os.close(slave)
            self.assertEqual(r.returncode, 0)
            self.assertEqual(self.read_dst("p.bin"), data)
            if quiet:
                self.assertNotIn(b"ETA", shown)
            else:
                self.assertRegex(shown, rb"2\.0 MiB / 2\.0 MiB +100% .*/s +ETA")
            self.assertNotIn(b"ETA", r.stdout)


    def test_count_1_exits_with_the_transfer_status(self):
        self.need_checksum()
        path, data = self.make("one.bin", 1000)
        srv = self.serve(path, "--count", "1")     # the seed's server served one client
        r = self.fetch(srv.port)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(srv.wait(), 0)
        srv = self.serve(path, "--count", "1")
        r = self.fetch(srv.port)                   # exists: the client says Error
        self.assertEqual(r.returncode, 1)
        self.assertEqual(srv.wait(), 1)
        srv.wait_line(rb"1 of 1 transfers failed")

    @unittest.skipUnless(os.environ.get("SOCKLAB_TEST_BIG"),
                         "moves 4.5 GiB through loopback: set SOCKLAB_TEST_BIG=1 to run it")
    def test_over_4gib(self):
        self.need_checksum()
        path = os.path.join(self.src, "sparse.bin")
        size = (4 << 30) + (512 << 20) + 3          # past 2^32: 64-bit sizes and offsets
        with open(path, "wb") as f:
            f.seek(size - 5)
            f.write(b"tail!")                         # sparse: cheap to make and to read
        srv = self.serve(path)
        p = subprocess.Popen([SOCKLAB, "file-client", "-q", "--json", "-o", "-", "127.0.0.1",
                              str(srv.port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        got, tail = 0, b""
        for chunk in iter(lambda: p.stdout.read(1 << 20), b""):   # counted, not kept
            got += len(chunk)
            tail = (tail + chunk)[-5:]
        err = p.stderr.read().decode()
        p.stdout.close()
        p.stderr.close()
        self.assertEqual(p.wait(600 * SLOW), 0, err)
        import json
        doc = json.loads(err.splitlines()[-1])
        self.assertEqual((doc["bytes"], doc["verified"]), (size, True))
        self.assertEqual((got, tail), (size, b"tail!"))


class Failures(FileTest):
    def test_sender_killed_mid_transfer(self):
        self.need_checksum()
        self.kill_mid_transfer()

    def kill_mid_transfer(self, *server_opts, raw=False):
        path, _ = self.make("big.bin", 64 * MiB)
        srv = self.serve(path, *server_opts, *(["--raw"] if raw else []))
        relay = Relay(srv.addr, pause_after=2 * MiB)
        self.addCleanup(relay.close)
        client = subprocess.Popen([SOCKLAB, "file-client", "-q", *(["--raw"] if raw else []),
                                   "127.0.0.1", str(relay.port)], cwd=self.dst,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: client.poll() is None and client.kill())
        self.assertTrue(relay.paused.wait(60 * SLOW), "the transfer never started")
        os.killpg(srv.pid, signal.SIGKILL)       # the sender dies with the file in flight
        srv.p.wait(30 * SLOW)
        relay.resume()
        out, err = client.communicate(timeout=60 * SLOW)
        return client.returncode, err.decode()

    def test_corrupted_byte_detected(self):
        self.need_checksum()
        path, data = self.make("c.bin", MiB)
        srv = self.serve(path)
        relay = Relay(srv.addr, flip_at=16 + len("c.bin") + 123457)
        self.addCleanup(relay.close)
        r = self.fetch(relay.port)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"checksum mismatch", r.stderr)
        self.assert_dst_empty()
        srv.wait_line(rb"Message from client: Error: checksum mismatch")
        srv.wait_line(rb"client 1 .* failed .*did not confirm")
        self.assertEqual(srv.stop(), 1)          # a failed transfer: exit status 1

    def test_client_killed_leaves_nothing(self):
        self.need_checksum()
        path, _ = self.make("k.bin", 32 * MiB)
        srv = self.serve(path)
        relay = Relay(srv.addr, pause_after=MiB)
        self.addCleanup(relay.close)
        client = subprocess.Popen([SOCKLAB, "file-client", "-q", "127.0.0.1", str(relay.port)],
                                  cwd=self.dst, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        self.assertTrue(relay.paused.wait(60 * SLOW))
        client.kill()
        client.wait(30 * SLOW)
        relay.resume()
        self.assert_dst_empty()
        srv.wait_line(rb"client 1 .* failed")

    def test_short_data_says_by_how_much(self):
        self.need_checksum()
        fake = FakeSender(header_frame("s.bin", 1000) + b"x" * 990)
        r = self.fetch(fake.port)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"short by 10 bytes", r.stderr)
        self.assertIn(b"after 990 of 1000 bytes", r.stderr)
        self.assert_dst_empty()
        self.assertTrue(fake.done().startswith(b"Error: short by 10 bytes"))

    def test_missing_trailer(self):
        self.need_checksum()
        fake = FakeSender(header_frame("t.bin", 10) + b"y" * 10 + b"SLFT\x01")
        r = self.fetch(fake.port)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"before the checksum", r.stderr)
        self.assert_dst_empty()
        fake.done()

    def test_huge_announced_size_is_refused_before_receiving(self):
        self.need_checksum()
        fake = FakeSender(header_frame("h.bin", 1 << 62) + b"z" * 100)
        r = self.fetch(fake.port)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, rb"disk full|too large")
        self.assert_dst_empty()
        fake.done()

    def test_not_a_file_server(self):
        self.need_checksum()
        fake = FakeSender(b"HTTP/1.0 200 OK\r\n\r\nhello")
        r = self.fetch(fake.port)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"bad magic", r.stderr)
        self.assert_dst_empty()
        fake.done()

    def test_disk_full(self):
        self.need_checksum()
        probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
        if probe.returncode != 0:
            self.skipTest("cannot make a small file system: unshare -rm failed: %s"
                          % probe.stderr.decode().strip())
        path, _ = self.make("full.bin", 3 * MiB)
        srv = self.serve(path)
        script = 'mount -t tmpfs -o size=1m tmpfs "$0" && cd "$0" && exec "$@"'
        r = subprocess.run(["unshare", "-rm", "sh", "-c", script, self.dst, SOCKLAB,
                            "file-client", "127.0.0.1", str(srv.port)],
                           capture_output=True, timeout=60 * SLOW)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"disk full", r.stderr)
        srv.wait_line(rb"Message from client: Error: disk full")


class Names(FileTest):
    TRAVERSALS = ["../x", "/etc/passwd", "a/../../x"]

    def test_client_refuses_to_ask(self):
        for name in self.TRAVERSALS:
            r = self.fetch_named(1, name)
            self.assertEqual(r.returncode, 2, (name, r.stderr))
            self.assertIn(b"name:", r.stderr)

    def test_server_refuses_hostile_requests(self):
        self.need_checksum()
        self.make("ok.bin", 10)
        outside = os.path.join(self.tmp, "secret")
        with open(outside, "w") as f:
            f.write("secret")
        os.symlink(outside, os.path.join(self.src, "link"))
        os.mkfifo(os.path.join(self.src, "fifo"))
        os.mkdir(os.path.join(self.src, "adir"))
        srv = self.serve(self.src)
        cases = [(n.encode(), b"refused") for n in self.TRAVERSALS] + [
            (b"x\x00y", b"NUL"), (b"a" * 300, b"255"), (b"link", b"outside|symbolic link"),
            (b"fifo", b"not a regular file"), (b"adir", b"not a regular file"),
            (b"nothere", b"no such file"), (b"", b"name a file")]
        for name, why in cases:
            with self.subTest(name=name[:20]):
                with srv.connect() as s:
                    s.sendall(request_frame(name))
                    answer = recv_all(s)
                self.assertTrue(answer.startswith(b"SLFE\x01"), answer[:40])
                self.assertRegex(answer[8:], why)
                self.assertNotIn(b"secret", answer)
        r = self.fetch_named(srv.port, "ok.bin")        # still serving
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_client_refuses_hostile_names(self):
        self.need_checksum()
        for name in self.TRAVERSALS:
            with self.subTest(name=name):
                fake = FakeSender(header_frame(name, 4) + b"evil")
                r = self.fetch(fake.port)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn(b"refused", r.stderr)
                fake.done()
                self.assert_dst_empty()
                self.assertFalse(os.path.exists(os.path.join(self.tmp, "x")))

    def test_existing_file_kept_without_force(self):
        self.need_checksum()
        path, data = self.make("e.bin", 4000)
        with open(os.path.join(self.dst, "e.bin"), "wb") as f:
            f.write(b"keep me")
        srv = self.serve(path)
        for args in ([], ["e.bin"]):   # found after the header, or before asking
            r = self.fetch_named(srv.port, *args) if args else self.fetch(srv.port)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(b"exists", r.stderr)
            self.assertEqual(self.read_dst("e.bin"), b"keep me")
        r = self.fetch(srv.port, "--force")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read_dst("e.bin"), data)
        self.assertEqual(sorted(os.listdir(self.dst)), ["e.bin"])

    def test_planted_symlink_not_followed(self):
        self.need_checksum()
        path, data = self.make("l.bin", 4000)
        victim = os.path.join(self.tmp, "victim")
        with open(victim, "wb") as f:
            f.write(b"victim")
        link = os.path.join(self.dst, "l.bin")
        os.symlink(victim, link)
        srv = self.serve(path)
        r = self.fetch(srv.port)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"symbolic link", r.stderr)
        self.assertTrue(os.path.islink(link))
        r = self.fetch(srv.port, "--force")        # replaces the link, not its target
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.islink(link))
        self.assertEqual(self.read_dst("l.bin"), data)
        with open(victim, "rb") as f:
            self.assertEqual(f.read(), b"victim")


class Raw(FileTest):
    def test_nc_receives_from_raw_server(self):
        nc = nc_openbsd()
        if nc is None:
            self.skipTest("OpenBSD netcat is not installed (Debian: netcat-openbsd)")
        path, data = self.make("n.bin", 3 * MiB + 7)
        srv = self.serve(path, "--raw")
        r = subprocess.run([nc, "-N", "127.0.0.1", str(srv.port)], input=b"Thank you\n",
                           capture_output=True, timeout=60 * SLOW)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, data)
        srv.wait_line(rb"Message from client: Thank you$")
        srv.wait_line(rb"client 1 .* left")

    def test_raw_server_logs_any_reply_and_fails_without_thanks(self):
        path, data = self.make("r.bin", 1000)
        srv = self.serve(path, "--raw")
        with srv.connect() as s:
            s.sendall(b"no thanks")
            s.shutdown(socket.SHUT_WR)
            self.assertEqual(recv_all(s), data)
        srv.wait_line(rb"Message from client: no thanks$")
        srv.wait_line(rb"client 1 .* failed")
        self.assertEqual(srv.stop(), 1)

    def test_raw_client_against_textbook_server(self):
        data = os.urandom(100000)
        fake = FakeSender(data, raw=True)
        r = self.fetch(fake.port, "--raw")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(fake.done(), b"Thank you\x00")     # what file_client.c writes
        self.assertEqual(self.read_dst("receive.dat"), data)
        self.assertIn(b"Received file data", r.stdout)

    def test_raw_pair(self):
        path, data = self.make("pair.bin", MiB)
        srv = self.serve(path, "--raw")
        r = self.fetch(srv.port, "--raw", "-o", "out.bin")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read_dst("out.bin"), data)
        srv.wait_line(rb"Message from client: Thank you$")

    def test_raw_cannot_tell_a_cut_transfer(self):
        """The seed's flaw, shown: with --raw a sender that dies is just EOF."""
        returncode, err = Failures.kill_mid_transfer(self, raw=True)
        self.assertEqual(returncode, 0, err)
        size = os.path.getsize(os.path.join(self.dst, "receive.dat"))
        self.assertLess(size, 64 * MiB)


class EveryModel(FileTest):
    def test_each_model(self):
        names = models()
        self.assertIn("iterative", names)
        for model in names:
            with self.subTest(model=model):
                self.one_model(model)

    def one_model(self, model):
        for d in (self.src, self.dst):
            for f in os.listdir(d):
                os.unlink(os.path.join(d, f))
        raw_path, raw_data = self.make("raw-%s.bin" % model, 2 * MiB + 3)
        raw = self.serve(raw_path, "--raw", "-m", model)
        r = self.fetch(raw.port, "--raw", "-o", "raw-%s.bin" % model)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read_dst("raw-%s.bin" % model), raw_data)
        raw.wait_line(rb"Message from client: Thank you$")
        self.assertEqual(raw.stop(), 0)
        if NOT_BUILT:
            return
        path, data = self.make("m-%s.bin" % model, 2 * MiB + 5)
        srv = self.serve(self.src, "-m", model)
        clients = [subprocess.Popen([SOCKLAB, "file-client", "-q", "-o", "m-%d.bin" % i,
                                     "127.0.0.1", str(srv.port), os.path.basename(path)],
                                    cwd=self.dst, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE) for i in range(3)]
        for i, c in enumerate(clients):                 # three at once
            _, err = c.communicate(timeout=120 * SLOW)
            self.assertEqual(c.returncode, 0, err)
            self.assertEqual(self.read_dst("m-%d.bin" % i), data)
        wait_for(lambda: srv.count_lines(rb"Message from client: Thank you$") == 3, 10, "3 replies")
        r = self.fetch_named(srv.port, "nothere")         # refused: a failed transfer,
        self.assertEqual(r.returncode, 1, r.stderr)       # counted even in a forked child
        self.assertIn(b"no such file", r.stderr)
        srv.wait_line(rb"failed .*nothere: no such file")
        self.assertEqual(srv.stop(), 1)
        for f in os.listdir(self.dst):
            os.unlink(os.path.join(self.dst, f))
        returncode, err = Failures.kill_mid_transfer(self, "-m", model)
        self.assertEqual(returncode, 1, err)
        self.assertRegex(err, r"short by \d+ bytes|connection reset")
        self.assert_dst_empty()
        os.unlink(os.path.join(self.src, "big.bin"))


class CommandLine(FileTest):
    def test_usage_errors_exit_2(self):
        path, _ = self.make("u.bin", 1)
        bad = [["file-server"], ["file-server", "-p", "x", path], ["file-server", path, "extra"],
               ["file-server", "--raw", self.src], ["file-server", "-m", "nosuch", path],
               ["file-client"], ["file-client", "127.0.0.1"], ["file-client", "127.0.0.1", "0x"],
               ["file-client", "--raw", "127.0.0.1", "1", "name"],
               ["file-client", "127.0.0.1", "1", "a", "b"], ["file-client", "-o", "", "h", "1"]]
        for args in bad:
            r = run(args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertTrue(r.stderr.startswith(b"socklab: file-"), r.stderr)

    def test_missing_file_exits_1(self):
        r = run(["file-server", "-p", "0", "--raw", os.path.join(self.src, "none")])
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"No such file", r.stderr)


if __name__ == "__main__":
    unittest.main()


class JsonOnFailure(TestCase):
    def test_connect_failure_is_a_json_result(self):
        # --json: a failure is a result too, on stdout, with the same exit status.
        port = closed_port()            # nothing listens there
        r = run(["file-client", "--json", "127.0.0.1", str(port), "x"])
        self.assertEqual(r.returncode, 1)
        doc = json.loads(r.stdout)
        self.assertFalse(doc["ok"])
        self.assertIn("Connection refused", doc["error"])
