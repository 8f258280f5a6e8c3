"""Helpers for end-to-end tests: run the real torqued and torque-cli on a temp dir.

Binaries come from $TORQUED and $TORQUE_CLI (set by CTest)."""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
import unittest

TORQUED = os.environ.get("TORQUED", "torqued")
# Set by sanitizer_reports.sh: the binaries are sanitized (slower, and their memory figures
# include ASan's redzones and quarantine).
SANITIZED = bool(os.environ.get("TORQUE_SANITIZED"))
TORQUE_CLI = os.environ.get("TORQUE_CLI", "torque-cli")

# The ../shared/rtorrent kit that starts a real rTorrent ($TORQUE_RT_KIT, set by CTest).
RT_KIT = os.environ.get("TORQUE_RT_KIT") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/rtorrent"))
HAVE_RTORRENT = bool(shutil.which("rtorrent")) and os.path.isdir(RT_KIT)


def start_rtorrent(work_dir, log_xmlrpc=False, env=None):
    """Starts the kit's rTorrent in work_dir (again, after stop_rtorrent); returns its socket.
    log_xmlrpc: every XMLRPC call goes to work_dir/xmlrpc.log; env: more environment."""
    env = dict(os.environ, RTORRENT_LOG_XMLRPC="1" if log_xmlrpc else "0", **(env or {}))
    out = subprocess.run([os.path.join(RT_KIT, "start-rtorrent.sh"), work_dir],
                         capture_output=True, text=True, timeout=120, check=True, env=env).stdout
    return re.search(r"^RTORRENT_SOCKET=(.*)$", out, re.M).group(1)


def stop_rtorrent(work_dir, purge=True):
    """Stops the kit's rTorrent in work_dir; purge deletes work_dir too."""
    subprocess.run([os.path.join(RT_KIT, "stop-rtorrent.sh")] + (["--purge"] if purge else [])
                   + [work_dir], capture_output=True, timeout=120)


def wait_for(pred, timeout=30.0, interval=0.02, what="condition"):
    """Polls pred() until it returns a truthy value; fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Conn:
    """A raw protocol connection: send lines, read reply lines."""

    def __init__(self, path, timeout=30.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError:
            self.sock.close()
            raise
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed; buffered: %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def call(self, request):
        self.send(request + "\n")
        return self.line()

    def close(self):
        self.sock.close()


class Daemon:
    """One torqued process on its own temp dir (socket, database, pid and log files)."""

    def __init__(self, root, jobs_ini="", server_ini="", wrapper=None):
        self.root = root
        self.socket = os.path.join(root, "torqued.sock")
        self.database = os.path.join(root, "torque.db")
        self.log = os.path.join(root, "torqued.log")
        self.config = os.path.join(root, "torque.ini")
        self.wrapper = wrapper or []
        self.write_config(jobs_ini, server_ini)
        self.proc = None
        self.conns = []

    def write_config(self, jobs_ini="", server_ini=""):
        """(Re)writes the config file: the temp dir's [server] keys, then server_ini (more
        [server] keys or other sections), then jobs_ini. Returns the file's text."""
        text = textwrap.dedent(f"""\
            [server]
            socket = {self.socket}
            database = {self.database}
            pid_file = {self.root}/torqued.pid
            log_file = {self.log}
            shutdown_grace = 5s
            """) + textwrap.dedent(server_ini) + "\n" + textwrap.dedent(jobs_ini)
        # Written aside and renamed: a reload never reads half a file.
        with open(self.config + ".new", "w") as f:
            f.write(text)
        os.replace(self.config + ".new", self.config)
        return text

    def config_line(self, needle):
        """The 1-based line number of the first config line containing needle."""
        with open(self.config) as f:
            for number, line in enumerate(f, 1):
                if needle in line:
                    return number
        raise AssertionError(f"{needle!r} is not in {self.config}")

    def reload(self, timeout=30.0):
        """Sends SIGHUP and waits for the outcome in the log file; returns that line
        ("... configuration reloaded: ..." or "... configuration reload rejected ...")."""
        def outcomes():
            try:
                with open(self.log, errors="replace") as f:
                    text = f.read()
            except FileNotFoundError:
                text = ""
            return [line for line in text.splitlines()
                    if "configuration reloaded:" in line or "configuration reload rejected" in line]
        before = len(outcomes())
        self.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: len(outcomes()) > before, timeout=timeout,
                 what="torqued to log the reload outcome")
        return outcomes()[before]

    def env(self):
        env = dict(os.environ)
        env["TORQUE_SOCKET"] = self.socket
        env["TORQUE_HOME"] = self.root
        return env

    def start(self, *extra, wait=True):
        with open(os.path.join(self.root, "stderr.log"), "ab") as stderr:
            self.proc = subprocess.Popen(
                self.wrapper + [TORQUED, "--config", self.config, "--fg", *extra],
                stdout=subprocess.DEVNULL, stderr=stderr, env=self.env())
        if wait:
            wait_for(self.ready, what="torqued to answer PING")
        return self

    def ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"torqued exited with {self.proc.returncode}:\n{self.log_text()}")
        c = None
        try:
            c = Conn(self.socket, timeout=2)
            return c.call("PING") == "OK pong"
        except OSError:
            return False
        finally:
            if c:
                c.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self, timeout=60):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=timeout)
        return self.proc.returncode

    def log_text(self):
        """The log file, then what torqued wrote to stderr outside of it."""
        text = ""
        for name in (self.log, os.path.join(self.root, "stderr.log")):
            try:
                with open(name, errors="replace") as f:
                    text += f.read()
            except OSError:
                pass
        return text

    def conn(self):
        """A new connection, closed at the end of the test."""
        c = Conn(self.socket)
        self.conns.append(c)
        return c

    def cli(self, *args, timeout=60, env=None):
        """Runs the real torque-cli; returns CompletedProcess (text)."""
        e = self.env()
        if env:
            e.update(env)
        return subprocess.run([TORQUE_CLI, "-s", self.socket, *args], capture_output=True,
                              text=True, timeout=timeout, env=e)


class DaemonTest(unittest.TestCase):
    """Base class: self.tmp is a fresh directory; daemons started with self.daemon() are stopped."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="torque-e2e-")
        self.tmp = self._tmp.name
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            for c in d.conns:
                c.close()
            if d.alive():
                d.proc.send_signal(signal.SIGKILL)
                d.proc.wait()
        self._tmp.cleanup()

    def daemon(self, jobs_ini="", server_ini="", start=True, **kw):
        d = Daemon(self.tmp, jobs_ini, server_ini, **kw)
        self.daemons.append(d)
        if start:
            d.start()
        return d


@unittest.skipUnless(HAVE_RTORRENT, "rtorrent or the ../shared/rtorrent kit is not installed")
class RtorrentTest(DaemonTest):
    """Base class: one real rTorrent per test class (cls.sock, its work dir cls.rt_dir inside
    cls.rt_tmp), emptied before each test. RT_LOG_XMLRPC: log every call to
    cls.rt_dir/xmlrpc.log."""

    RT_LOG_XMLRPC = False

    @classmethod
    def setUpClass(cls):
        import sys
        sys.path.insert(0, RT_KIT)
        from rtxmlrpc import Binary, call
        cls.call = staticmethod(call)
        cls.Binary = Binary
        cls._rt_tmp = tempfile.TemporaryDirectory(prefix="torque-e2e-rt-")
        cls.rt_tmp = cls._rt_tmp.name
        cls.rt_dir = os.path.join(cls.rt_tmp, "rt")
        cls.sock = start_rtorrent(cls.rt_dir, log_xmlrpc=cls.RT_LOG_XMLRPC)

    @classmethod
    def tearDownClass(cls):
        stop_rtorrent(cls.rt_dir)
        cls._rt_tmp.cleanup()

    def setUp(self):
        super().setUp()
        for h in self.call(self.sock, "download_list", ""):
            self.call(self.sock, "d.erase", h)

    def rt(self, method, *args):
        """One XMLRPC call to this class's rTorrent."""
        return self.call(self.sock, method, *args)

