"""End-to-end: socklab sockopt -- defaults against /proc/sys, --set read back
against what the kernel gives Python's own socket, usage errors, the
connected socket over loopback, and the JSON output against the text."""
import json
import socket

from harness import TestCase, run


def proc(path, field=0):
    with open("/proc/sys/" + path) as f:
        return int(f.read().split()[field])


def sockopt(*args):
    return run(["sockopt"] + list(args))


def sockopt_json(*args):
    r = sockopt("--json", *args)
    return r, json.loads(r.stdout)


def options(d):
    return {o["name"]: o for o in d["options"]}


class Defaults(TestCase):
    def test_tcp_defaults_are_the_kernels(self):
        r, d = sockopt_json()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(d["ok"])
        self.assertEqual(d["socket"], {"family": "AF_INET", "type": "SOCK_STREAM",
                                       "connected": False})
        o = options(d)
        self.assertEqual(o["SO_TYPE"]["text"], "SOCK_STREAM")
        self.assertEqual(o["SO_RCVBUF"]["value"], proc("net/ipv4/tcp_rmem", 1))
        self.assertEqual(o["SO_SNDBUF"]["value"], proc("net/ipv4/tcp_wmem", 1))
        self.assertEqual(o["TCP_KEEPIDLE"]["value"], proc("net/ipv4/tcp_keepalive_time"))
        self.assertEqual(o["TCP_KEEPINTVL"]["value"], proc("net/ipv4/tcp_keepalive_intvl"))
        self.assertEqual(o["TCP_KEEPCNT"]["value"], proc("net/ipv4/tcp_keepalive_probes"))
        self.assertEqual(o["IP_TTL"]["value"], proc("net/ipv4/ip_default_ttl"))
        self.assertEqual(o["SO_RCVBUF"]["kernel_default"]["sysctl"], "net.ipv4.tcp_rmem[1]")
        for name in ("SO_REUSEADDR", "SO_KEEPALIVE", "TCP_NODELAY", "SO_REUSEPORT"):
            self.assertEqual(o[name]["value"], 0, name)
        self.assertFalse(o["SO_TYPE"]["settable"])
        self.assertNotIn("SO_BROADCAST", o)          # a UDP option

    def test_udp_defaults_are_the_kernels(self):
        r, d = sockopt_json("--udp")
        self.assertEqual(r.returncode, 0, r.stderr)
        o = options(d)
        self.assertEqual(o["SO_TYPE"]["text"], "SOCK_DGRAM")
        self.assertEqual(o["SO_RCVBUF"]["value"], proc("net/core/rmem_default"))
        self.assertEqual(o["SO_SNDBUF"]["value"], proc("net/core/wmem_default"))
        self.assertNotIn("TCP_NODELAY", o)

    def test_ipv6_socket(self):
        r, d = sockopt_json("-6")
        if r.returncode != 0 and b"Address family not supported" in r.stderr:
            self.skipTest("no IPv6 in this kernel")
        o = options(d)
        self.assertEqual(o["SO_DOMAIN"]["text"], "AF_INET6")
        self.assertIn("IPV6_V6ONLY", o)
        self.assertNotIn("IP_TTL", o)

    def test_text_matches_json(self):
        for args in ((), ("--udp",), ("--set", "SO_RCVBUF=3072", "--set", "SO_LINGER=2")):
            t = sockopt(*args)
            self.assertEqual(t.returncode, 0, t.stderr)
            lines = t.stdout.decode().splitlines()
            _, d = sockopt_json(*args)
            for o in d["options"]:
                want = "%-20s %-13s %-13s %s" % (o["name"], o["level"], o["text"], o["meaning"])
                self.assertTrue(any(l.startswith(want) for l in lines), want)
            for s in d["set"]:
                want = "%-20s %-14s %-14s %s" % (s["name"], s["requested_text"],
                                                 s["actual_text"], s["explanation"])
                self.assertIn(want, lines)


class Set(TestCase):
    def test_rcvbuf_3072(self):
        py = socket.socket()
        py.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 3072)
        kernel = py.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        py.close()
        r, d = sockopt_json("--set", "SO_RCVBUF=3072")
        self.assertEqual(r.returncode, 0, r.stderr)
        s = d["set"][0]
        self.assertEqual(s["requested"], 3072)
        self.assertEqual(s["actual"], kernel)
        self.assertEqual(options(d)["SO_RCVBUF"]["value"], kernel)
        if kernel == 6144:
            self.assertEqual(s["note"], "doubled")
        out = sockopt("--set", "SO_RCVBUF=3072").stdout.decode()
        self.assertRegex(out, r"SO_RCVBUF\s+3072\s+%d\s" % kernel)

    def test_clamped_to_rmem_max(self):
        big = proc("net/core/rmem_max") + 1000
        r, d = sockopt_json("--udp", "--set", "SO_RCVBUF=%d" % big)
        self.assertEqual(r.returncode, 0, r.stderr)
        s = d["set"][0]
        self.assertEqual(s["actual"], 2 * proc("net/core/rmem_max"))
        self.assertEqual(s["note"], "clamped")
        self.assertEqual(s["sysctl"], "net.core.rmem_max")
        self.assertIn("net.core.rmem_max", s["explanation"])

    def test_several_options(self):
        r, d = sockopt_json("--set", "TCP_NODELAY=1", "--set", "SO_KEEPALIVE=on",
                            "--set", "SO_RCVTIMEO=1.5", "--set", "SO_REUSEADDR=7",
                            "--set", "TCP_KEEPIDLE=60")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = {s["name"]: s for s in d["set"]}
        self.assertEqual(got["TCP_NODELAY"]["actual"], 1)
        self.assertEqual(got["SO_KEEPALIVE"]["actual_text"], "on")
        self.assertAlmostEqual(got["SO_RCVTIMEO"]["actual"], 1.5, delta=0.02)
        self.assertEqual(got["SO_REUSEADDR"]["note"], "boolean")
        self.assertEqual(options(d)["TCP_KEEPIDLE"]["value"], 60)

    def test_so_type_cannot_be_set(self):
        r = sockopt("--set", "SO_TYPE=2")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"SO_TYPE cannot be set", r.stderr)
        self.assertIn(b"created", r.stderr)

    def test_bad_names_and_values_exit_2(self):
        bad = [("SO_NOPE=1", b"unknown option"), ("SO_RCVBUF=abc", b"not a valid value"),
               ("SO_RCVBUF=-5", b"out of range"), ("SO_RCVBUF", b"NAME=VALUE"),
               ("=1", b"NAME=VALUE"), ("IP_TTL=300", b"out of range"),
               ("TCP_NODELAY=perhaps", b"not a valid value"),
               ("SO_RCVTIMEO=-1", b"not a valid value")]
        for arg, why in bad:
            r = sockopt("--set", arg)
            self.assertEqual(r.returncode, 2, arg)
            self.assertIn(why, r.stderr, arg)
            self.assertIn(b"known options:", r.stderr)
            self.assertIn(b"TCP_NODELAY", r.stderr)
            self.assertEqual(r.stdout, b"")
            r, d = sockopt_json("--set", arg)
            self.assertEqual(r.returncode, 2)
            self.assertFalse(d["ok"])
            self.assertEqual(d["error"]["kind"], "input")
            self.assertIn("SO_RCVBUF", d["known_options"])
        r = sockopt("--udp", "--set", "TCP_NODELAY=1")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"does not apply", r.stderr)
        r = sockopt("--set", "SO_RCVBUF=1", "--set", "so_rcvbuf=2")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"twice", r.stderr)
        self.assertEqual(sockopt("--bogus").returncode, 2)

    def test_kernel_refusal_exits_1(self):
        r, d = sockopt_json("--set", "TCP_CONGESTION=nosuchalgo")
        self.assertEqual(r.returncode, 1)
        self.assertFalse(d["ok"])
        self.assertEqual(d["error"]["kind"], "system")
        self.assertFalse(d["set"][0]["ok"])

    def test_list(self):
        r = sockopt("--list")
        self.assertEqual(r.returncode, 0)
        for name in (b"SO_TYPE", b"SO_SNDBUF", b"SO_RCVBUF", b"SO_REUSEADDR", b"SO_REUSEPORT",
                     b"SO_KEEPALIVE", b"SO_LINGER", b"SO_RCVLOWAT", b"SO_SNDLOWAT",
                     b"SO_RCVTIMEO", b"SO_SNDTIMEO", b"TCP_NODELAY", b"TCP_MAXSEG",
                     b"TCP_KEEPIDLE", b"TCP_KEEPINTVL", b"TCP_KEEPCNT", b"IP_TTL"):
            self.assertIn(name, r.stdout)
        _, d = sockopt_json("--list")
        self.assertEqual(len(r.stdout.decode().splitlines()), len(d["known_options"]))


class Connected(TestCase):
    def test_connected_loopback(self):
        r, d = sockopt_json("--connected")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(d["socket"]["connected"])
        self.assertTrue(d["socket"]["local"].startswith("127.0.0.1:"))
        self.assertTrue(d["socket"]["peer"].startswith("127.0.0.1:"))
        fresh = options(sockopt_json()[1])
        o = options(d)
        self.assertEqual(fresh["TCP_MAXSEG"]["value"], 536)
        self.assertGreater(o["TCP_MAXSEG"]["value"], 536)
        # What Python's own connected loopback socket reports, for comparison.
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        c = socket.create_connection(srv.getsockname())
        a, _ = srv.accept()
        mss = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
        for s in (a, c, srv):
            s.close()
        self.assertEqual(o["TCP_MAXSEG"]["value"], mss)
        text = sockopt("--connected").stdout.decode()
        self.assertIn("a connected TCP socket", text)
        self.assertRegex(text, r"TCP_MAXSEG\s+IPPROTO_TCP\s+%d\s" % mss)

    def test_set_before_connect(self):
        r, d = sockopt_json("--connected", "--set", "TCP_MAXSEG=1000",
                            "--set", "SO_RCVBUF=3072")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = {s["name"]: s for s in d["set"]}
        self.assertLessEqual(got["TCP_MAXSEG"]["actual"], 1000)
        self.assertIn(got["TCP_MAXSEG"]["note"], ("same", "mss"))

    def test_connected_udp(self):
        r, d = sockopt_json("--udp", "--connected")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(d["socket"]["connected"])
        self.assertEqual(options(d)["SO_TYPE"]["text"], "SOCK_DGRAM")


if __name__ == "__main__":
    import unittest
    unittest.main()
