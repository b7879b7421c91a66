"""End-to-end: UDP echo. The server answers TCP and UDP on one port number
(the seed's point: the two protocols' ports are separate), echoes each
datagram whole (boundaries kept, zero-length included, up to 65,507 bytes),
reports a datagram cut by a small buffer instead of echoing it, and does not
answer well-known reflector ports; under every model its --help lists. The
client: unconnected (ignores and reports datagrams from a third socket,
times out on a closed port and says why), connected (a closed port is
"connection refused" at once), retries after a loss, skips a late
duplicate, and checks generated datagrams with --size/--count."""
import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
import time

from harness import TestCase, run, recv_exact, wait_for, SOCKLAB, SLOW

LOCAL = "127.0.0.1"
REFLECTOR_PORTS = (7, 19, 13, 17, 37)


def server_models():
    """The models listed under --model in `socklab echo-server --help`."""
    lines = run(["echo-server", "--help"]).stdout.decode().splitlines()
    start = next(i for i, l in enumerate(lines) if "--model" in l)
    names = []
    for line in lines[start + 1:]:
        if re.match(r"^ {1,4}-", line):
            break                    # the next option
        m = re.match(r"^ {5,}([a-z][\w-]*)\s{2,}\S", line)
        if m:
            names.append(m.group(1))
    return names


def udp_socket(port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((LOCAL, port))
    except OSError:
        s.close()
        raise
    s.settimeout(10 * SLOW)
    return s


def closed_udp_port():
    """A loopback UDP port nobody has bound (bound, then closed)."""
    s = udp_socket()
    port = s.getsockname()[1]
    s.close()
    return port


def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# Run "$@" with /etc/hosts, resolv.conf and nsswitch.conf from directory $1,
# in a private mount namespace: hosts come from the file only, and the
# resolver points at 127.0.0.1, so no DNS query can leave the machine.
PRIVATE_HOSTS = ('d=$1; shift; mount --bind "$d/resolv.conf" /etc/resolv.conf && '
                 'mount --bind "$d/nsswitch.conf" /etc/nsswitch.conf && '
                 'mount --bind "$d/hosts" /etc/hosts && exec "$@"')


def nothing_arrives(sock, seconds=0.2):
    r, _, _ = select.select([sock], [], [], seconds)
    return not r


class UdpTestCase(TestCase):
    def udp_server(self, *args):
        """echo-server on 127.0.0.1, TCP and UDP; .udp is the UDP address."""
        srv = self.server("echo-server", "-p", "0", "-b", LOCAL, *args)
        m = srv.wait_line(rb"listening on udp (\S+):(\d+)")
        srv.udp = (LOCAL, int(m.group(2)))
        return srv

    def stop_and_count(self, srv):
        """Stop srv (exit 0) and return its UDP summary line."""
        self.assertEqual(srv.stop(), 0)
        return srv.wait_line(rb"udp: \d+ datagrams in, .*").group(0).decode()

    def sock(self, port=0):
        s = udp_socket(port)
        self.addCleanup(s.close)
        return s

    def echo(self, srv, data, s=None):
        s = s or self.sock()
        s.sendto(data, srv.udp)
        got, frm = s.recvfrom(65536)
        self.assertEqual(frm, srv.udp)
        return got


class EveryModel(UdpTestCase):
    def test_models_are_listed(self):
        models = server_models()
        self.assertIn("iterative", models)
        self.assertEqual(len(models), len(set(models)))

    def test_udp_under_every_model(self):
        for model in server_models():
            with self.subTest(model=model):
                self.check_model(model)

    def check_model(self, model):
        srv = self.udp_server("-m", model)
        self.assertEqual(srv.udp[1], srv.port)          # the same number, both protocols
        for n in (1, 0, 1400, 65507):
            data = os.urandom(n)
            self.assertEqual(self.echo(srv, data), data, "%d bytes" % n)
        self.check_boundaries(srv)
        self.check_tcp_and_udp_at_once(srv)
        self.check_reflector_not_answered(srv)
        r = run(["echo-client", "--udp", "-q", "--size", "1400", "--count", "20",
                 LOCAL, str(srv.udp[1])])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"20 of 20 datagrams of 1400 bytes echoed intact", r.stdout)
        self.assertRegex(self.stop_and_count(srv), r"udp: \d+ datagrams in, \d+ echoed")
        self.check_truncation(model)

    def check_boundaries(self, srv):
        """Three datagrams back to back come back as three, each whole."""
        s = self.sock()
        sent = [b"first", b"", b"the third datagram"]
        for d in sent:
            s.sendto(d, srv.udp)
        got = [s.recvfrom(65536)[0] for _ in sent]
        # Event models may answer from several loops: the order may change,
        # the boundaries may not.
        self.assertEqual(sorted(got), sorted(sent))
        self.assertTrue(nothing_arrives(s))

    def check_tcp_and_udp_at_once(self, srv):
        with srv.connect() as t:
            t.sendall(b"over tcp")
            self.assertEqual(recv_exact(t, 8), b"over tcp")
            # The TCP client is being served (the iterative model is busy
            # with it): UDP on the same port number is answered meanwhile.
            self.assertEqual(self.echo(srv, b"over udp"), b"over udp")
            t.sendall(b"tcp again")
            self.assertEqual(recv_exact(t, 9), b"tcp again")

    def reflector_socket(self):
        """A socket on a reflector port, or None (with the reason printed)."""
        for port in REFLECTOR_PORTS:
            try:
                return udp_socket(port)
            except PermissionError:
                print("reflector check skipped: binding a port below 1024 needs root")
                return None
            except OSError:
                continue
        print("reflector check skipped: no reflector port free to bind")
        return None

    def check_reflector_not_answered(self, srv):
        refl = self.reflector_socket()
        if refl is None:
            return
        with refl:
            port = refl.getsockname()[1]
            refl.sendto(b"start a loop?", srv.udp)
            self.assertEqual(self.echo(srv, b"control"), b"control")
            srv.wait_line(rb"udp 127\.0\.0\.1:%d: not answered: source port is a "
                          rb"well-known reflector" % port)
            self.assertTrue(nothing_arrives(refl), "an echo went to reflector port %d" % port)

    def check_truncation(self, model):
        srv = self.udp_server("-m", model, "--udp-buffer", "100")
        s = self.sock()
        s.sendto(b"B" * 200, srv.udp)
        srv.wait_line(rb"udp 127\.0\.0\.1:%d: datagram of 200 bytes truncated to the "
                      rb"100-byte buffer \(MSG_TRUNC\): not echoed" % s.getsockname()[1])
        self.assertEqual(self.echo(srv, b"k" * 100, s), b"k" * 100)
        self.assertTrue(nothing_arrives(s), "a cut datagram was echoed")
        self.assertIn("1 truncated", self.stop_and_count(srv))


class ServerOptions(UdpTestCase):
    def test_udp_only_and_tcp_only(self):
        u = self.server("echo-server", "-p", "0", "-b", LOCAL, "--udp", proto="udp")
        s = self.sock()
        s.sendto(b"only udp", (LOCAL, u.port))
        self.assertEqual(s.recvfrom(100)[0], b"only udp")
        self.stop_and_count(u)
        self.assertNotIn("listening on tcp", u.stderr_text())
        t = self.server("echo-server", "-p", "0", "-b", LOCAL, "--tcp")
        with t.connect() as c:
            c.sendall(b"x")
            self.assertEqual(recv_exact(c, 1), b"x")
        self.assertEqual(t.stop(), 0)
        t.wait_line(rb"client 1 .* left")
        self.assertNotIn("listening on udp", t.stderr_text())
        self.assertNotIn("udp:", t.stderr_text())

    def test_zero_length_and_largest(self):
        srv = self.udp_server()
        self.assertEqual(self.echo(srv, b""), b"")
        big = os.urandom(65507)
        self.assertEqual(self.echo(srv, big), big)

    def test_fixed_port_with_udp_taken_fails_and_explains(self):
        holder = self.sock()
        port = holder.getsockname()[1]
        tcp = socket.socket()
        self.addCleanup(tcp.close)
        try:
            tcp.bind((LOCAL, port))      # is the TCP port of that number free?
        except OSError:
            self.skipTest("TCP port %d happens to be in use" % port)
        tcp.close()
        r = run(["echo-server", "-p", str(port), "-b", LOCAL])
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"bind 127.0.0.1:%d: Address already in use" % port, r.stderr)

    def test_rate_limit(self):
        srv = self.udp_server("--udp-rate", "1")
        s = self.sock()
        for _ in range(10):
            s.sendto(b"r", srv.udp)
        self.assertEqual(s.recvfrom(10)[0], b"r")          # the first is answered
        srv.wait_line(rb"not answered: over the rate limit of 1 datagrams/s")
        # Every datagram gets one line (fewer than the 20 a second shown).
        wait_for(lambda: srv.count_lines(rb"bytes echoed|over the rate limit") == 10, 10,
                 "all 10 datagrams handled")
        line = self.stop_and_count(srv)
        m = re.search(r"udp: (\d+) datagrams in, (\d+) echoed .* (\d+) over the rate", line)
        self.assertTrue(m, line)
        received, echoed, limited = map(int, m.groups())
        self.assertEqual(received, 10)
        self.assertEqual(echoed + limited, 10)
        self.assertGreaterEqual(limited, 1)

    def test_reply_from_the_address_it_was_sent_to(self):
        # Bound to every address, the server must answer from the address
        # each datagram was sent to (a wildcard socket's default source is
        # the route's, 127.0.0.1 here): a connected client accepts nothing else.
        for family in ([], ["-4"]):
            with self.subTest(bind="0.0.0.0" if family else "[::] dual stack"):
                self.check_reply_source(family)

    def check_reply_source(self, family):
        srv = self.server("echo-server", "-p", "0", *family)
        port = int(srv.wait_line(rb"listening on udp (\S+):(\d+)").group(2))
        for dst in ("127.0.0.1", "127.0.0.2"):
            c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.addCleanup(c.close)
            c.settimeout(10 * SLOW)
            c.connect((dst, port))
            c.send(b"to " + dst.encode())
            self.assertEqual(c.recv(100), b"to " + dst.encode())

    def test_usage_errors(self):
        bad = [
            ["echo-server", "--udp", "--tcp"],
            ["echo-server", "--udp", "-b", "unix:/tmp/x.sock"],
            ["echo-server", "--udp", "--count", "5"],
            ["echo-server", "--tcp", "--udp-rate", "5"],
            ["echo-server", "--udp-buffer", "0"],
            ["echo-server", "--udp-buffer", "70000"],
            ["echo-server", "--udp-rate", "x"],
            ["echo-client", "--connected", LOCAL, "9"],
            ["echo-client", "--udp", "--raw", LOCAL, "9"],
            ["echo-client", "--udp", "--count", "3", LOCAL, "9"],
            ["echo-client", "--udp", "--size", "70000", LOCAL, "9"],
            ["echo-client", "--udp", "--retries", "-1", LOCAL, "9"],
            ["echo-client", "--size", "10", LOCAL, "9"],
        ]
        for args in bad:
            r = run(args, input=b"")
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertTrue(r.stderr.startswith(b"socklab: "), (args, r.stderr))


class Client(UdpTestCase):
    def client(self, *args):
        return self.proc("echo-client", "--udp", *args, stdin=subprocess.PIPE)

    def say(self, p, line):
        p.p.stdin.write(line)
        p.p.stdin.flush()

    def finish(self, p):
        p.p.stdin.close()
        rc = p.wait()
        return rc, p.p.stdout.read()

    def test_lines_against_the_server(self):
        srv = self.udp_server("-q")
        for extra in ([], ["--connected"]):
            r = run(["echo-client", "--udp", *extra, LOCAL, str(srv.udp[1])],
                    input=b"hello\nworld\nQ\nnever sent\n")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, b"Message from server: hello\nMessage from server: world\n")
        self.assertIn(" 4 echoed", self.stop_and_count(srv))   # 'never sent' was not

    def test_generated_sizes(self):
        srv = self.udp_server("-q")
        for size in ("0", "1", "1400", "65507"):
            r = run(["echo-client", "--udp", "--size", size, "--count", "5", LOCAL,
                     str(srv.udp[1])])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(b"5 of 5 datagrams of %s bytes echoed intact" % size.encode(),
                          r.stdout)

    def test_unconnected_ignores_a_third_socket(self):
        fake = self.sock()
        third = self.sock()
        p = self.client("-t", "30", LOCAL, str(fake.getsockname()[1]))
        self.say(p, b"hello\n")
        data, caddr = fake.recvfrom(100)
        self.assertEqual(data, b"hello\n")
        # The kernel bound the client's port at its first sendto, and it said so.
        p.wait_line(rb"local address 0\.0\.0\.0:%d \(bound by the kernel at the first "
                    rb"sendto\(\)\)" % caddr[1])
        third.sendto(b"intruder", caddr)
        p.wait_line(rb"ignored a datagram of 8 bytes from 127\.0\.0\.1:%d: not the "
                    rb"server's address" % third.getsockname()[1])
        fake.sendto(data, caddr)
        self.say(p, b"q\n")
        rc, out = self.finish(p)
        self.assertEqual((rc, out), (0, b"Message from server: hello\n"), p.stderr_text())

    def test_connected_never_sees_a_third_socket(self):
        fake = self.sock()
        third = self.sock()
        p = self.client("--connected", "-t", "30", LOCAL, str(fake.getsockname()[1]))
        self.say(p, b"hello\n")
        data, caddr = fake.recvfrom(100)
        third.sendto(b"intruder", caddr)     # dropped by the kernel: not the peer
        fake.sendto(data, caddr)
        rc, out = self.finish(p)
        self.assertEqual((rc, out), (0, b"Message from server: hello\n"), p.stderr_text())
        self.assertNotIn("ignored", p.stderr_text())

    def test_lost_datagram_is_sent_again(self):
        fake = self.sock()
        p = self.client("-t", "0.3", "--retries", "5", LOCAL, str(fake.getsockname()[1]))
        self.say(p, b"again\n")
        first, caddr = fake.recvfrom(100)          # "lost": not answered
        second, caddr2 = fake.recvfrom(100)
        self.assertEqual((second, caddr2), (first, caddr))
        fake.sendto(second, caddr)
        p.wait_line(rb"no echo after 0\.300 s: sending the datagram again \(try 2 of 6\)")
        rc, out = self.finish(p)
        self.assertEqual((rc, out), (0, b"Message from server: again\n"), p.stderr_text())

    def test_late_duplicate_is_skipped(self):
        fake = self.sock()
        p = self.client("-t", "30", LOCAL, str(fake.getsockname()[1]))
        self.say(p, b"a\n")
        data, caddr = fake.recvfrom(100)
        fake.sendto(data, caddr)
        fake.sendto(data, caddr)                  # a duplicate, as after a resend
        self.say(p, b"b\n")
        data, _ = fake.recvfrom(100)
        self.assertEqual(data, b"b\n")
        fake.sendto(data, caddr)
        rc, out = self.finish(p)
        self.assertEqual(rc, 0, p.stderr_text())
        self.assertEqual(out, b"Message from server: a\nMessage from server: b\n")

    def test_wrong_echo_exits_1(self):
        fake = self.sock()
        p = self.proc("echo-client", "--udp", "-t", "30", "--size", "64", "--count", "3",
                      LOCAL, str(fake.getsockname()[1]))
        data, caddr = fake.recvfrom(100)
        fake.sendto(data[:-1] + bytes([data[-1] ^ 1]), caddr)
        self.assertEqual(p.wait(), 1)
        self.assertIn("wrong echo: 64 bytes came back for the 64 sent, with different bytes",
                      p.stderr_text())
        self.assertIn(b"0 of 3 datagrams", p.p.stdout.read())

    def test_connected_closed_port_is_refused_at_once(self):
        port = closed_udp_port()
        t0 = time.monotonic()
        # A long timeout: only the ICMP error can end this quickly.
        r = run(["echo-client", "--udp", "--connected", "-t", "30", "--retries", "3",
                 LOCAL, str(port)], input=b"anyone there?\n", timeout=200)
        elapsed = time.monotonic() - t0
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"connection refused (ECONNREFUSED)", r.stderr)
        self.assertIn(b"ICMP port unreachable", r.stderr)
        self.assertLess(elapsed, 15 * SLOW, "waited for the timeout instead")

    def with_hosts(self, hosts, args, input):
        """Run socklab ARGS where /etc/hosts is hosts (see PRIVATE_HOSTS)."""
        if shutil.which("unshare") is None:
            self.skipTest("unshare(1) is not installed")
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        for name, text in (("hosts", hosts), ("resolv.conf", "nameserver 127.0.0.1\n"),
                           ("nsswitch.conf", "hosts: files\n")):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        probe = subprocess.run(["unshare", "-m", "sh", "-c", PRIVATE_HOSTS, "sh", d, "true"],
                               capture_output=True, timeout=30 * SLOW)
        if probe.returncode != 0:
            self.skipTest("no private mount namespace: %s" % probe.stderr.decode().strip())
        return subprocess.run(["unshare", "-m", "sh", "-c", PRIVATE_HOSTS, "sh", d, SOCKLAB,
                               *args], input=input, capture_output=True, timeout=60 * SLOW)

    def test_name_with_two_addresses_tries_the_next(self):
        # "twohosts" is ::1 then 127.0.0.1; the server listens on 127.0.0.1
        # only. The first address refuses (connected) or stays silent
        # (unconnected): the client goes on to the next, as TCP clients do.
        srv = self.udp_server("-q")
        hosts = "127.0.0.1 localhost\n::1 twohosts\n127.0.0.1 twohosts\n"
        for extra in (["--connected", "-t", "30"], ["-t", "0.2", "--retries", "1"]):
            with self.subTest(mode=extra[0]):
                r = self.with_hosts(hosts, ["echo-client", "--udp", *extra, "twohosts",
                                            str(srv.udp[1])], b"hi\n")
                self.assertEqual((r.returncode, r.stdout), (0, b"Message from server: hi\n"),
                                 r.stderr)
                if ipv6_loopback():
                    self.assertIn(b"[::1]:%d: trying the next address" % srv.udp[1],
                                  r.stderr)

    def test_unconnected_closed_port_times_out_after_retries(self):
        port = closed_udp_port()
        r = run(["echo-client", "--udp", "-t", "0.2", "--retries", "2", LOCAL, str(port)],
                input=b"anyone there?\n")
        self.assertEqual(r.returncode, 1, r.stderr)
        err = r.stderr.decode()
        self.assertEqual(err.count("sending the datagram again"), 2, err)
        self.assertIn("timed out: no echo from 127.0.0.1:%d" % port, err)
        self.assertIn("after 3 tries of 0.200 s", err)
        self.assertIn("cannot see the ICMP port unreachable", err)
        self.assertIn("--connected", err)
