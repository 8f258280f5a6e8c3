"""etc/torqued.service: systemd accepts it, and its ExecStart / ExecReload / stop signal
work with the real torqued (foreground, reload on SIGHUP, drain on SIGTERM), telling the
service manager (Type=notify: a datagram socket in $NOTIFY_SOCKET, the test's here) when it
is ready, reloads and stops."""

import configparser
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import unittest

from torque_e2e import TORQUED, Conn, wait_for

UNIT = os.environ.get("TORQUE_UNIT", "")


def read_text(path):
    with open(path) as f:
        return f.read()


def read_unit(path):
    parser = configparser.ConfigParser(strict=False, interpolation=None, comment_prefixes=("#", ";"))
    parser.optionxform = str  # keys are case-sensitive
    with open(path) as f:
        parser.read_file(f)
    return parser


class NotifySocket:
    """systemd's end of sd_notify: a datagram socket, at a path or in the abstract
    namespace ("@name"); messages() parses each datagram into a dict."""

    def __init__(self, address):
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)

    def message(self, timeout=30.0):
        self.sock.settimeout(timeout)
        data = self.sock.recv(65536).decode()
        return dict(line.split("=", 1) for line in data.split("\n") if line)

    def close(self):
        self.sock.close()


class ServiceUnitTest(unittest.TestCase):
    def setUp(self):
        if not UNIT or not os.path.exists(UNIT):
            self.skipTest("TORQUE_UNIT does not name the configured unit")
        self.unit = read_unit(UNIT)
        self.service = self.unit["Service"]
        self._tmp = tempfile.TemporaryDirectory(prefix="torque-unit-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def test_systemd_accepts_the_unit(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze is not installed")
        with open(UNIT) as f:
            text = f.read()
        exec_start = shlex.split(self.service["ExecStart"])
        # verify insists the binary exists: point it at the built one.
        text = text.replace(exec_start[0], os.path.abspath(TORQUED))
        path = os.path.join(self.tmp, "torqued.service")
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stderr.strip(), "")

    def unit_command(self, config_text):
        """The unit's ExecStart with the built binary, a config of our own and the unit's
        Environment (its state directory moved to the test's)."""
        argv = shlex.split(self.service["ExecStart"])
        self.assertTrue(argv[0].endswith("/torqued"), argv)
        self.assertIn("--fg", argv)
        config = os.path.join(self.tmp, "torque.ini")
        with open(config, "w") as f:
            f.write(config_text)
        argv[0] = TORQUED
        argv[argv.index("--config") + 1] = config
        env = dict(os.environ)
        for assignment in self.service["Environment"].split():
            key, value = assignment.split("=", 1)
            env[key] = value.replace("/var/lib/torque", self.tmp)
        self.assertEqual(env["TORQUE_HOME"], self.tmp)
        return argv, env, config

    def test_unit_runs_reloads_and_stops_torqued(self):
        self.assertEqual(self.service["Type"], "notify")
        # Only the main process may say so (a job cannot, and does not see the socket).
        self.assertEqual(self.service["NotifyAccess"], "main")
        env_file = os.path.join(self.tmp, "job-env.txt")
        argv, env, config = self.unit_command(
            "[job hello]\ncommand = echo hi {args}\n"
            f"[job env]\ncommand = sh -c 'env > {env_file}'\n")
        notify = NotifySocket(os.path.join(self.tmp, "notify.sock"))
        self.addCleanup(notify.close)
        env["NOTIFY_SOCKET"] = notify.address
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            sock = os.path.join(self.tmp, "torqued.sock")
            ready = notify.message()
            # READY=1 means serving: the socket answers at once.
            self.assertEqual(ready.get("READY"), "1", ready)
            self.assertEqual(ready.get("MAINPID"), str(proc.pid))
            self.assertIn(f"ready on {sock}", ready.get("STATUS", ""))
            c = Conn(sock, timeout=5)
            self.assertEqual(c.call("PING"), "OK pong")
            reply = c.call("env")
            self.assertTrue(reply.startswith("ACK "), reply)
            done = c.call(f"WAIT {reply.split()[1]} 30s")
            self.assertIn('"state":"done"', done)
            c.close()
            with open(env_file) as f:
                job_env = f.read()
            self.assertIn("PATH=", job_env)
            self.assertNotIn("NOTIFY_SOCKET", job_env)

            # ExecReload, with $MAINPID as systemd substitutes it.
            with open(config, "a") as f:
                f.write("[job bye]\ncommand = echo bye\n")
            reload = self.service["ExecReload"].replace("$MAINPID", str(proc.pid))
            subprocess.run(shlex.split(reload), check=True)
            reloading = notify.message()
            self.assertEqual(reloading.get("RELOADING"), "1", reloading)
            self.assertGreater(int(reloading["MONOTONIC_USEC"]), 0)
            self.assertEqual(notify.message().get("READY"), "1")
            log = os.path.join(self.tmp, "torqued.log")
            wait_for(lambda: "added: bye" in read_text(log), what="the reload in the log")
            c = Conn(sock)
            self.assertTrue(c.call("bye").startswith("ACK "))
            c.close()

            # A broken file: the reload is rejected, torqued serves on and says so.
            with open(config, "a") as f:
                f.write("[job broken\n")
            subprocess.run(shlex.split(reload), check=True)
            self.assertEqual(notify.message().get("RELOADING"), "1")
            rejected = notify.message()
            self.assertEqual(rejected.get("READY"), "1")
            self.assertIn("reload rejected", rejected.get("STATUS", ""))

            # systemd stops with SIGTERM (KillSignal's default) and waits TimeoutStopSec.
            self.assertNotIn("KillSignal", self.service)
            proc.send_signal(signal.SIGTERM)
            stopping = notify.message()
            self.assertEqual(stopping.get("STOPPING"), "1", stopping)
            self.assertEqual(proc.wait(timeout=int(self.service["TimeoutStopSec"])), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def test_a_failed_start_is_told_to_the_abstract_socket(self):
        # "@name": the abstract namespace, as systemd itself hands out.
        notify = NotifySocket(f"@torque-test-{os.getpid()}-{id(self)}")
        self.addCleanup(notify.close)
        # The database's directory is a file: the start fails.
        blocker = os.path.join(self.tmp, "blocker")
        open(blocker, "w").close()
        argv, env, _ = self.unit_command(
            f"[server]\ndatabase = {blocker}/torque.db\n[job hello]\ncommand = true\n")
        env["NOTIFY_SOCKET"] = notify.address
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        status = notify.message(timeout=5).get("STATUS", "")
        self.assertTrue(status.startswith("start-up failed: "), status)
        self.assertIn(blocker, status)
        # A configuration torqued cannot read, before any logging exists.
        argv, env, config = self.unit_command("[job hello]\ncommand = true\nconcurrent = many\n")
        env["NOTIFY_SOCKET"] = notify.address
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        status = notify.message(timeout=5).get("STATUS", "")
        self.assertTrue(status.startswith("start-up failed: invalid configuration: "), status)
        self.assertIn(f"{config}:3", status)

    def test_without_a_service_manager_nothing_is_sent(self):
        # An unusable NOTIFY_SOCKET is logged once; torqued serves anyway.
        argv, env, _ = self.unit_command("[job hello]\ncommand = true\n")
        env["NOTIFY_SOCKET"] = os.path.join(self.tmp, "nobody-listens.sock")
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            sock = os.path.join(self.tmp, "torqued.sock")
            log = os.path.join(self.tmp, "torqued.log")
            wait_for(lambda: os.path.exists(log) and "cannot notify systemd" in read_text(log),
                     what="the failed notification in the log")
            c = Conn(sock, timeout=5)
            self.assertEqual(c.call("PING"), "OK pong")
            c.close()
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=60), 0)
            self.assertEqual(read_text(log).count("cannot notify systemd"), 1)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

if __name__ == "__main__":
    unittest.main()
