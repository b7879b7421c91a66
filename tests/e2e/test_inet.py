"""End-to-end: socklab inet -- byte order views, the inet_* conversions,
classes and ranges -- checked against known values and Python's own
socket.inet_pton/inet_ntop, and the JSON output against the text."""
import json
import re
import socket
import sys

from harness import TestCase, run


def inet(*args):
    return run(["inet"] + list(args))


def inet_json(*args):
    r = inet("--json", *args)
    return r, json.loads(r.stdout)


class ByteOrder(TestCase):
    def test_0x1234_network_bytes(self):
        r, d = inet_json("-o", "0x1234")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(d["ok"])
        self.assertEqual(d["host_byte_order"], sys.byteorder + "-endian")
        v16 = [v for v in d["order"] if v["width"] == 16][0]
        self.assertEqual(v16["network_bytes"], "12 34")
        self.assertEqual(v16["host_bytes"], "34 12" if sys.byteorder == "little" else "12 34")
        self.assertEqual(v16["hton"], socket.htons(0x1234))
        self.assertEqual(v16["round_trip"], 0x1234)
        v32 = [v for v in d["order"] if v["width"] == 32][0]
        self.assertEqual(v32["network_bytes"], "00 00 12 34")
        self.assertEqual(v32["hton"], socket.htonl(0x1234))

    def test_text_matches_json(self):
        t = inet("-o", "0x12345678", "-o", "4660")
        self.assertEqual(t.returncode, 0, t.stderr)
        text = t.stdout.decode()
        _, d = inet_json("-o", "0x12345678", "-o", "4660")
        self.assertIn("host byte order: " + d["host_byte_order"], text)
        for v in d["order"]:
            call = v["hton_call"]
            line = "%s(%s) = %s   in memory: %s" % (call, v["value_hex"], v["hton_hex"],
                                                    v["network_bytes"])
            self.assertIn(line, text)
            self.assertIn("as uint%d_t         in memory: %s" % (v["width"], v["host_bytes"]),
                          text)
        self.assertIn("htonl(0x12345678)", text)
        self.assertNotIn("htons(0x12345678)", text)   # does not fit 16 bits

    def test_no_arguments_is_a_tour(self):
        r = inet()
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode()
        self.assertIn("host byte order", out)
        self.assertIn("htons(0x1234)", out)
        self.assertIn("pitfalls", out)

    def test_bad_values_exit_2(self):
        for bad in ("abc", "0x100000000", "-1", "1 2", ""):
            r = inet("-o", bad)
            self.assertEqual(r.returncode, 2, bad)
            self.assertIn(b"--order", r.stderr)
            self.assertEqual(r.stdout, b"")
            r, d = inet_json("-o", bad)
            self.assertEqual(r.returncode, 2)
            self.assertFalse(d["ok"])
            self.assertEqual(d["error"]["kind"], "input")


class Conversions(TestCase):
    def addr(self, text):
        r, d = inet_json(text)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(d["addresses"]), 1)
        return d["addresses"][0]

    def test_1_2_3_256_is_inaddr_none(self):
        a = self.addr("1.2.3.256")
        self.assertTrue(a["inet_addr"]["inaddr_none"])
        self.assertEqual(a["inet_addr"]["returns_hex"], "0xffffffff")
        self.assertEqual(a["inet_aton"]["returns"], 0)
        self.assertEqual(a["inet_pton_inet"]["returns"], 0)
        self.assertIsNone(a["classification"])
        out = inet("1.2.3.256").stdout.decode()
        self.assertIn("INADDR_NONE: an error", out)

    def test_broadcast_is_also_inaddr_none(self):
        a = self.addr("255.255.255.255")
        self.assertTrue(a["inet_addr"]["inaddr_none"])
        self.assertEqual(a["inet_aton"]["returns"], 1)
        self.assertEqual(a["inet_aton"]["inet_ntoa"], "255.255.255.255")
        kinds = [x["kind"] for x in a["classification"]["ranges"]]
        self.assertEqual(kinds[0], "broadcast")

    def test_shorthand(self):
        for text in ("127.1", "0x7f.1", "0177.0.0.1"):
            a = self.addr(text)
            self.assertEqual(a["inet_aton"]["returns"], 1, text)
            self.assertEqual(a["inet_aton"]["inet_ntoa"], "127.0.0.1", text)
            self.assertEqual(a["inet_addr"]["bytes"], "7f 00 00 01", text)
            self.assertEqual(a["inet_pton_inet"]["returns"], 0, text)
            self.assertEqual(a["classification"]["read_by"], "inet_aton")

    def test_ipv6_round_trips_match_python(self):
        for text in ("2001:0db8:0000:0000:0000:0000:0000:0001", "::1", "::",
                     "fe80:0:0:0:0:0:0:1", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8",
                     "2001:DB8:0:0:1:0:0:1", "ff02::1:ff00:1"):
            a = self.addr(text)
            want = socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text))
            self.assertEqual(a["inet_pton_inet6"]["returns"], 1, text)
            self.assertEqual(a["inet_pton_inet6"]["inet_ntop"], want, text)
            again = self.addr(want)
            self.assertEqual(again["inet_pton_inet6"]["inet_ntop"], want)

    def test_ipv4_matches_python(self):
        for text in ("10.0.0.1", "192.168.1.254", "8.8.4.4", "0.0.0.0"):
            a = self.addr(text)
            packed = socket.inet_aton(text)
            self.assertEqual(a["inet_addr"]["bytes"], " ".join("%02x" % b for b in packed))
            self.assertEqual(a["inet_pton_inet"]["inet_ntop"], text)

    def test_classes_and_ranges(self):
        cases = [("10.0.0.1", "A", "private"), ("172.16.5.4", "B", "private"),
                 ("192.168.0.1", "C", "private"), ("224.0.0.5", "D", "multicast-local"),
                 ("240.1.1.1", "E", "reserved"), ("127.0.0.1", "A", "loopback"),
                 ("169.254.9.9", "B", "link-local"), ("100.64.0.1", "A", "cgnat"),
                 ("192.0.2.1", "C", "documentation"), ("0.0.0.0", "A", "unspecified"),
                 ("::1", None, "loopback"), ("fe80::1", None, "link-local"),
                 ("fd00::1", None, "private"), ("ff02::1", None, "multicast-local"),
                 ("2001:db8::5", None, "documentation"), ("::", None, "unspecified")]
        for text, cls, kind in cases:
            c = self.addr(text)["classification"]
            self.assertEqual(c["class"], cls, text)
            self.assertEqual(c["ranges"][0]["kind"], kind, text)
            self.assertFalse(c["global"], text)
        self.assertTrue(self.addr("8.8.8.8")["classification"]["global"])
        self.assertEqual(self.addr("128.1.1.1")["classification"]["class"], "B")

    def test_text_matches_json(self):
        texts = ["127.1", "1.2.3.256", "2001:db8::1", "192.168.7.7", "::ffff:10.1.1.1", "junk"]
        out = inet(*texts).stdout.decode()
        r, d = inet_json(*texts)
        blocks = ("\n" + out).split("\naddress ")[1:]
        self.assertEqual(len(blocks), len(texts))
        for block, a in zip(blocks, d["addresses"]):
            self.assertTrue(block.startswith(a["input"] + "\n"))
            m = re.search(r"inet_addr\s+returns (0x[0-9a-f]{8})\s+in memory: ([0-9a-f ]{11})",
                          block)
            self.assertEqual(m.group(1), a["inet_addr"]["returns_hex"])
            self.assertEqual(m.group(2), a["inet_addr"]["bytes"])
            m = re.search(r"inet_aton\s+returns (\d)", block)
            self.assertEqual(int(m.group(1)), a["inet_aton"]["returns"])
            for key, fam in (("inet_pton_inet", "AF_INET "), ("inet_pton_inet6", "AF_INET6")):
                m = re.search(r"inet_pton %s\s*returns (\d)(?:\s+inet_ntop: (\S+))?" % fam.strip(),
                              block)
                self.assertEqual(int(m.group(1)), a[key]["returns"])
                self.assertEqual(m.group(2), a[key]["inet_ntop"])
            c = a["classification"]
            if c is None:
                self.assertIn("no function read an address", block)
                continue
            if c["class"]:
                self.assertIn("class               %s (" % c["class"], block)
            for rng in c["ranges"]:
                self.assertIn("%s %s: %s" % (rng["prefix"], rng["kind"], rng["meaning"]), block)

    def test_hostile_text_exit_2(self):
        for bad in ("1" * 80, "1.2.3.4 ", "1.2.3.4\n", "\x01", ""):
            r = inet(bad)
            self.assertEqual(r.returncode, 2, repr(bad))
            self.assertIn(b"address", r.stderr)
            r, d = inet_json(bad)
            self.assertEqual(r.returncode, 2)
            self.assertFalse(d["ok"])


class Pitfalls(TestCase):
    def test_pitfalls_json_and_text(self):
        r, d = inet_json("--pitfalls")
        self.assertEqual(r.returncode, 0)
        p = d["pitfalls"]
        self.assertTrue(p["inet_addr_error"]["inet_addr"]["inaddr_none"])
        self.assertEqual(p["inet_addr_error"]["inet_addr"]["returns"],
                         p["inet_addr_broadcast"]["inet_addr"]["returns"])
        self.assertEqual(p["inet_addr_broadcast"]["inet_aton"]["returns"], 1)
        n = p["inet_ntoa_static_buffer"]
        self.assertEqual(n["first"], "1.2.3.4")
        self.assertEqual(n["second"], "5.6.7.8")
        if n["same_buffer"]:
            self.assertEqual(n["first_after_second_call"], "5.6.7.8")
        short = {s["input"]: s for s in p["shorthand"]}
        for text in ("127.1", "0x7f.1"):
            self.assertEqual(short[text]["inet_aton"]["inet_ntoa"], "127.0.0.1")
            self.assertEqual(short[text]["inet_pton_inet"]["returns"], 0)
        out = inet("-p").stdout.decode()
        self.assertIn('p1 now reads "%s"' % n["first_after_second_call"], out)
        self.assertIn('inet_addr("1.2.3.256")       = 0xffffffff', out)
        self.assertRegex(out, r"127\.1\s+inet_aton 1 -> 127\.0\.0\.1\s+inet_pton 0")


if __name__ == "__main__":
    import unittest
    unittest.main()
