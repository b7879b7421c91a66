"""End-to-end: `make install` / `make uninstall` as a user runs them. Installs
into a temporary DESTDIR and a temporary PREFIX, checks the shared library
(SONAME, only sl_ names exported), builds example programs against the
installed library through pkg-config and through CMake's find_package, runs
them over loopback, then uninstalls and checks nothing is left."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import unittest

from harness import BUILD, SLOW, recv_exact, echo_roundtrip

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(BUILD)
SAVED = ("install_manifest.txt", "install_dirs.txt")


def cache_value(name):
    try:
        with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith(name + ":"):
                    return line.split("=", 1)[1].strip()
    except FileNotFoundError:
        pass
    return ""


def sh(args, env=None, cwd=None, timeout=300):
    r = subprocess.run(args, capture_output=True, env=env, cwd=cwd, timeout=timeout * SLOW)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s%s" % (" ".join(args), r.returncode,
                                                      r.stdout.decode(), r.stderr.decode()))
    return r.stdout.decode()


def files_under(root):
    out = []
    for d, _, fs in os.walk(root):
        out += [os.path.join(d, f) for f in fs]
    return out


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("make", "cc", "pkg-config", "cmake", "nm", "readelf"):
            if shutil.which(tool) is None:
                raise unittest.SkipTest("%s is not installed" % tool)
        sanitize = cache_value("SL_SANITIZE")
        # A sanitized library needs its runtime in every program linked to it.
        cls.cflags = ["-fsanitize=" + sanitize] if sanitize else []

    def setUp(self):
        # The build directory's own install records (a user's real `make
        # install`) are put back afterwards.
        self.tmp = tempfile.mkdtemp(prefix="socklab-install-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        for name in SAVED:
            path = os.path.join(BUILD, name)
            if os.path.exists(path):
                shutil.copy2(path, os.path.join(self.tmp, name))
                self.addCleanup(shutil.copy2, os.path.join(self.tmp, name), path)
            else:
                self.addCleanup(lambda p=path: os.path.exists(p) and os.unlink(p))

    def make(self, target, prefix, destdir=""):
        # -o build: install what is built, do not rebuild (other people may
        # be editing the tree while the tests run).
        return sh(["make", "-s", "-C", SRC, "-o", "build", "-o", "configure", target,
                   "BUILD=" + BUILD, "PREFIX=" + prefix, "DESTDIR=" + destdir])

    def check_layout(self, root):
        lib = os.path.join(root, "lib")
        for rel in ("bin/socklab", "lib/libsocklab.a", "lib/libsocklab.so",
                    "lib/libsocklab.so.0", "include/socklab/socklab.h",
                    "include/socklab/err.h", "lib/pkgconfig/socklab.pc",
                    "lib/cmake/socklab/socklabConfig.cmake",
                    "lib/cmake/socklab/socklabConfigVersion.cmake",
                    "share/bash-completion/completions/socklab",
                    "share/zsh/site-functions/_socklab",
                    "share/doc/socklab/examples/echo_server.c"):
            self.assertTrue(os.path.exists(os.path.join(root, rel)), rel)
        self.assertTrue(os.path.islink(os.path.join(lib, "libsocklab.so.0")))
        dyn = sh(["readelf", "-d", os.path.join(lib, "libsocklab.so")])
        self.assertIn("Library soname: [libsocklab.so.0]", dyn)
        with open(os.path.join(BUILD, "man", "STATUS")) as f:
            if f.read().startswith("built"):
                for page in ("man1/socklab.1", "man1/socklab-wait.1", "man3/libsocklab.3"):
                    self.assertTrue(os.path.exists(os.path.join(root, "share/man", page)), page)

    def check_exports(self, root):
        out = sh(["nm", "-D", "--defined-only", os.path.join(root, "lib", "libsocklab.so")])
        names = [l.split()[-1].split("@")[0] for l in out.splitlines() if l.strip()]
        names = [n for n in names if n != "SOCKLAB_0"]   # the version node
        bad = [n for n in names if not re.match(r"sl_[a-z0-9]", n)]
        self.assertEqual(bad, [], "exported names that are not public sl_ names")
        for n in ("sl_listen", "sl_connect", "sl_server_new", "sl_echo_service", "sl_version"):
            self.assertIn(n, names)
        # The static library keeps the internal names (the command uses it).
        static = sh(["nm", "--defined-only", os.path.join(root, "lib", "libsocklab.a")])
        self.assertRegex(static, r" T sl__\w+")

    def run_echo_server(self, prog, env):
        """Run an echo server example on port 0 and check it with a client."""
        p = subprocess.Popen([prog, "127.0.0.1:0"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
        try:
            line = p.stdout.readline().decode()
            m = re.match(r"listening on tcp 127\.0\.0\.1:(\d+)", line)
            self.assertTrue(m, "%r %s" % (line, p.stderr.read(4096) if not line else ""))
            port = int(m.group(1))
            with socket.create_connection(("127.0.0.1", port), timeout=10 * SLOW) as s:
                data = os.urandom(200000)
                self.assertEqual(echo_roundtrip(s, data), data)
            return port, p
        except BaseException:
            p.kill()
            p.wait()
            p.stdout.close()
            p.stderr.close()
            raise

    def stop(self, p):
        p.kill()
        p.wait()
        p.stdout.close()
        p.stderr.close()

    def test_prefix_install_pkg_config_and_uninstall(self):
        prefix = os.path.join(self.tmp, "prefix")
        self.make("install", prefix)
        self.check_layout(prefix)
        self.check_exports(prefix)
        pc = os.path.join(prefix, "lib", "pkgconfig")
        env = dict(os.environ, PKG_CONFIG_PATH=pc)
        self.assertEqual(sh(["pkg-config", "--variable=prefix", "socklab"], env).strip(), prefix)
        # socklab's headers need only its own include directory.
        self.assertEqual(sh(["pkg-config", "--cflags", "socklab"], env).split(),
                         ["-I" + os.path.join(prefix, "include")])
        flags = sh(["pkg-config", "--cflags", "--libs", "socklab"], env).split()
        self.assertIn("-lsocklab", flags)
        exe = os.path.join(self.tmp, "echo_server")
        sh(["cc", "-o", exe, os.path.join(SRC, "examples", "echo_server.c")] + flags + self.cflags)
        self.assertIn("[libsocklab.so.0]", sh(["readelf", "-d", exe]))
        run_env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(prefix, "lib"))
        port, p = self.run_echo_server(exe, run_env)
        try:
            # The installed socklab and the installed echo client talk to it.
            r = subprocess.run([os.path.join(prefix, "bin", "socklab"), "wait", "-q",
                                "127.0.0.1", str(port)], capture_output=True, timeout=30 * SLOW)
            self.assertEqual(r.returncode, 0, r.stderr)
            cli = os.path.join(self.tmp, "echo_client")
            sh(["cc", "-o", cli, os.path.join(SRC, "examples", "echo_client.c")] + flags
               + self.cflags)
            r = subprocess.run([cli, "127.0.0.1", str(port)], input=b"over pkg-config\nq\n",
                               capture_output=True, env=run_env, timeout=30 * SLOW)
            self.assertEqual(r.stdout, b"Message from server: over pkg-config\n", r.stderr)
            # The static library with `pkg-config --static` (Libs.private).
            static = os.path.join(self.tmp, "echo_client_static")
            libs = [f for f in sh(["pkg-config", "--static", "--libs", "socklab"], env).split()
                    if f != "-lsocklab"]
            sh(["cc", "-o", static, os.path.join(SRC, "examples", "echo_client.c"),
                "-I" + os.path.join(prefix, "include"),
                os.path.join(prefix, "lib", "libsocklab.a")] + libs + self.cflags)
            self.assertNotIn("libsocklab", sh(["readelf", "-d", static]))
            r = subprocess.run([static, "127.0.0.1", str(port)], input=b"static\nq\n",
                               capture_output=True, timeout=30 * SLOW)
            self.assertEqual(r.stdout, b"Message from server: static\n", r.stderr)
        finally:
            self.stop(p)
        self.make("uninstall", prefix)
        self.assertFalse(os.path.exists(prefix), files_under(prefix))

    def test_destdir_install_find_package_and_uninstall(self):
        dest = os.path.join(self.tmp, "dest")
        prefix = "/opt/socklab"
        root = dest + prefix
        os.makedirs(os.path.join(root, "share", "man"))   # existed before: must stay
        self.make("install", prefix, dest)
        self.check_layout(root)
        with open(os.path.join(root, "lib", "pkgconfig", "socklab.pc")) as f:
            self.assertIn("prefix=/opt/socklab\n", f.read())
        proj = os.path.join(self.tmp, "consumer")
        os.makedirs(proj)
        with open(os.path.join(proj, "CMakeLists.txt"), "w") as f:
            f.write("cmake_minimum_required(VERSION 3.16)\nproject(consumer C)\n"
                    "find_package(socklab 0.1 REQUIRED)\n"
                    "add_executable(shared_server %s/examples/echo_server.c)\n"
                    "target_link_libraries(shared_server socklab::socklab)\n"
                    "add_executable(static_server %s/examples/echo_server.c)\n"
                    "target_link_libraries(static_server socklab::socklab_static)\n"
                    % (SRC, SRC))
        flags = " ".join(self.cflags)
        sh(["cmake", "-S", proj, "-B", os.path.join(proj, "b"), "-DCMAKE_PREFIX_PATH=" + root,
            "-DCMAKE_C_FLAGS=" + flags, "-DCMAKE_EXE_LINKER_FLAGS=" + flags])
        sh(["cmake", "--build", os.path.join(proj, "b")])
        shared = os.path.join(proj, "b", "shared_server")
        static = os.path.join(proj, "b", "static_server")
        self.assertIn("[libsocklab.so.0]", sh(["readelf", "-d", shared]))
        self.assertNotIn("libsocklab", sh(["readelf", "-d", static]))
        for exe in (shared, static):
            _, p = self.run_echo_server(exe, dict(os.environ))
            self.stop(p)
        self.make("uninstall", prefix, dest)
        self.assertEqual(files_under(dest), [])
        self.assertTrue(os.path.isdir(os.path.join(root, "share", "man")))
        self.assertEqual(sorted(os.listdir(root)), ["share"])
