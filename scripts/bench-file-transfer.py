#!/usr/bin/env python3
"""scripts/bench-file-transfer.py: the verified file transfer against --raw
on loopback (issue 5's measurement; a benchmark, not a test).

usage: scripts/bench-file-transfer.py SOCKLAB MODEL RUNS DSTDIR FILE
e.g.   head -c 1G /dev/urandom > /dev/shm/big.bin; mkdir /dev/shm/dst
       scripts/bench-file-transfer.py build/socklab epoll 7 /dev/shm/dst /dev/shm/big.bin
DSTDIR "-" sends the received data to /dev/null (file-client -o -): the
transfer alone, without the cost of allocating the destination's pages
(which on a virtual machine varies several-fold from run to run).

Alternating runs of: verified with a fresh server (the sender reads and
hashes the file as it sends it), verified again on the same server (the
checksum kept from the first transfer: sendfile alone), and --raw. Prints
medians of the rate (from file-client --json) and of the CPU seconds of
the client and of the server (from /proc), and the best rate (where page
allocation on a virtual machine only ever slows a run down, the best run
is the transfer's own speed). Empties DSTDIR."""
import json, os, re, statistics, subprocess, sys, time
S, MODEL, RUNS, DST, SRC = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
TCK = os.sysconf("SC_CLK_TCK")
def cpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TCK
def start(raw):
    p = subprocess.Popen([S, "file-server", "-q", "-p", "0", "-b", "127.0.0.1", "-m", MODEL] + (["--raw"] if raw else []) + [SRC], stderr=subprocess.PIPE)
    return p, int(re.search(r":(\d+) ", p.stderr.readline().decode()).group(1))
def empty():
    if DST != "-":
        for f in os.listdir(DST): os.unlink(os.path.join(DST, f))
def fetch(p, port, raw):
    empty()
    c0 = cpu(p.pid)
    out = "/dev/null" if DST == "-" else os.path.join(DST, "out.bin")
    r = subprocess.run(["/usr/bin/time", "-f", "%U %S", S, "file-client", "-q", "--json", "-o", "-" if DST == "-" else out, "127.0.0.1", str(port)] + (["--raw"] if raw else []), stdout=subprocess.PIPE if DST != "-" else open("/dev/null", "wb"), stderr=subprocess.PIPE)
    d = json.loads(r.stdout if DST != "-" else r.stderr.decode().splitlines()[0]); assert d["ok"], d
    u, s = map(float, r.stderr.decode().split()[-2:])
    time.sleep(0.3)
    return (d["seconds"], d["bytes_per_second"] / 2**30, u + s, cpu(p.pid) - c0)
res = {"verified, sender hashes": [], "verified, checksum kept": [], "raw": []}
raw_srv = start(True)
for i in range(RUNS):
    p, port = start(False)
    res["verified, sender hashes"].append(fetch(p, port, False))
    res["verified, checksum kept"].append(fetch(p, port, False))
    p.terminate(); p.wait()
    res["raw"].append(fetch(*raw_srv, True))
raw_srv[0].terminate(); raw_srv[0].wait()
for k, rows in res.items():
    print("%-24s runs=%d median %.3f s %.3f GiB/s, best %.3f GiB/s | client CPU %.2f s, server CPU %.2f s | GiB/s: %s" % (
        k, len(rows), statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows),
        max(r[1] for r in rows),
        statistics.median(r[2] for r in rows), statistics.median(r[3] for r in rows), " ".join("%.2f" % r[1] for r in rows)))
empty()
