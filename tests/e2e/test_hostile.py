"""End-to-end, hostile peers, for every server model that `socklab
echo-server --help` lists (a model added later is covered without a
change here): slow and idle clients, a client that sends without reading,
connect floods, abrupt disconnects. Each test ends by showing the server
still serves a fresh client. Signals and UDP are in test_hostile_signals.py,
file transfer under faults in test_hostile_files.py."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from harness import recv_exact, echo_roundtrip, wait_for, SLOW
from hostile import (MODELS, one_at_a_time, per_model, fd_count, rss_kb, children,
                     reset_close, SCALE, UNDER_VALGRIND)

IDLE_EVENT = int(1000 * SCALE)     # idle connections against an event-driven model
IDLE_BLOCKING = int(200 * SCALE)   # fork/threads: a process or thread each (cap 512)


class SlowAndIdle:
    def idle_count(self):
        return IDLE_EVENT if "event" in self.SUMMARY or "loop" in self.SUMMARY else IDLE_BLOCKING

    def test_slowloris_and_idle_clients_do_not_block_others(self):
        if one_at_a_time(self.SUMMARY):
            self.skipTest("%s serves one client at a time: a slow or idle client holds it "
                          "until --idle-timeout frees it (test_idle_timeout_frees_the_server)"
                          % self.MODEL)
        srv = self.echo_server()
        idle = []
        self.addCleanup(lambda: [s.close() for s in idle])
        for _ in range(self.idle_count()):
            idle.append(srv.connect(20))
        trickled = []

        def slowloris():
            # One byte per second, three bytes: each is echoed while it trickles.
            with srv.connect(20) as s:
                for b in (b"a", b"b", b"c"):
                    s.sendall(b)
                    trickled.append(recv_exact(s, 1))
                    if b != b"c":
                        time.sleep(1.0)
        t = threading.Thread(target=slowloris)
        t.start()
        wait_for(lambda: trickled, 20, "the slow client's first echo")
        for i in range(5):
            self.served(srv, b"real client %d" % i)
        served_during = len(trickled) < 3
        t.join(30 * SLOW)
        self.assertEqual(b"".join(trickled), b"abc")
        self.assertTrue(served_during, "the real clients waited for the slow one")
        for s in idle[:10]:                    # the idle ones are still open, and served
            s.sendall(b"!")
            self.assertEqual(recv_exact(s, 1), b"!")

    def test_idle_timeout_frees_the_server(self):
        srv = self.echo_server("--idle-timeout", "1")
        n = 1 if one_at_a_time(self.SUMMARY) else 20
        start = time.monotonic()
        idle = [srv.connect(20) for _ in range(n)]
        waiting = srv.connect(20)         # for iterative: queued behind the idle one
        waiting.sendall(b"waiting")
        for s in idle:
            s.settimeout(30 * SLOW)
            try:
                self.assertEqual(s.recv(1), b"")     # the server closed it
            except ConnectionResetError:
                pass
            s.close()
        self.assertGreaterEqual(time.monotonic() - start, 0.9)
        self.assertEqual(recv_exact(waiting, 7), b"waiting")
        waiting.close()
        self.served(srv)


class Greedy:
    def test_sender_that_never_reads_is_throttled(self):
        srv = self.echo_server()
        self.served(srv, b"warm up")
        base = rss_kb(srv.pid)
        s = srv.connect(20)
        self.addCleanup(s.close)
        s.setblocking(False)
        chunk, sent = os.urandom(1 << 16), 0
        end = time.monotonic() + 20 * SLOW
        stuck_since = None
        while time.monotonic() < end and sent < (256 << 20):
            try:
                sent += s.send(chunk)
                stuck_since = None
            except BlockingIOError:
                # Blocked: the server stopped reading us. Blocked for a
                # whole second means it stays so.
                stuck_since = stuck_since or time.monotonic()
                if time.monotonic() - stuck_since > 1.0:
                    break
                time.sleep(0.01)
        grown = rss_kb(srv.pid) - base
        self.assertLess(sent, 64 << 20, "the server kept reading a client that never reads")
        # A forked child counts its shared pages again: allow a whole copy.
        bound = 32 * 1024 + (base if "process" in self.SUMMARY else 0)
        if UNDER_VALGRIND:
            bound *= 3          # valgrind's shadow memory and redzones
        self.assertLess(grown, bound, "server memory grew by %d KiB" % grown)
        if not one_at_a_time(self.SUMMARY):
            self.served(srv)
        reset_close(s)
        self.served(srv)


class Floods:
    def flood_size(self):
        return int((500 if "process" in self.SUMMARY else 2000) * SCALE)

    def test_connect_flood_leaks_no_descriptor(self):
        srv = self.echo_server()
        self.served(srv, b"warm up")
        base = self.stable_fds(srv)
        for i in range(self.flood_size()):
            s = socket.socket()
            s.connect(srv.addr)
            if i % 3 == 0:
                s.sendall(b"x")
            if i % 2 == 0:
                reset_close(s)
            else:
                s.close()
        self.settled_fds(srv, base, "descriptors after %d connects" % self.flood_size())
        self.served(srv)
        self.settled_fds(srv, base)


class Abrupt:
    def test_reset_while_the_server_writes(self):
        srv = self.echo_server()
        self.served(srv, b"warm up")
        base = self.stable_fds(srv)
        for _ in range(3):
            s = srv.connect(20)
            s.setblocking(False)
            sent = 0
            end = time.monotonic() + 10 * SLOW
            while sent < (2 << 20) and time.monotonic() < end:
                try:
                    sent += s.send(b"w" * 65536)  # echoes pile up unread
                except BlockingIOError:
                    break
            reset_close(s)                        # RST while the echo is being written
        self.settled_fds(srv, base)
        self.served(srv)

    def test_client_killed_mid_echo(self):
        srv = self.echo_server()
        self.served(srv, b"warm up")
        base = self.stable_fds(srv)
        code = ("import socket,sys\n"
                "s=socket.create_connection(('127.0.0.1',%d))\n"
                "first=True\n"
                "while True:\n"
                "    s.sendall(b'k'*65536)\n"
                "    s.recv(65536)\n"
                "    if first:\n"
                "        print('echoing', flush=True); first=False\n" % srv.port)
        p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.wait(), p.stdout.close()))
        self.assertEqual(p.stdout.readline(), b"echoing\n")
        p.kill()                                  # the kernel closes its socket mid-echo
        p.wait()
        self.settled_fds(srv, base)
        self.served(srv)

    def test_connection_aborted_before_accept(self):
        srv = self.echo_server()
        self.served(srv, b"warm up")
        base = self.stable_fds(srv)
        srv.send_signal(signal.SIGSTOP)           # nothing is accepted meanwhile
        try:
            aborted = []
            for _ in range(10):
                s = socket.socket()
                s.connect(srv.addr)               # completed by the kernel, queued
                s.sendall(b"gone")
                aborted.append(s)
            for s in aborted:
                reset_close(s)                    # RST before the server accepts
        finally:
            srv.send_signal(signal.SIGCONT)
        self.served(srv)
        self.settled_fds(srv, base)


per_model(__name__, SlowAndIdle, "SlowIdle")
per_model(__name__, Greedy, "Greedy")
per_model(__name__, Floods, "Flood")
per_model(__name__, Abrupt, "Abrupt")
