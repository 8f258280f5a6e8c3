"""etc/torqued.service: systemd accepts it, and its ExecStart / ExecReload / stop signal
work with the real torqued (foreground, reload on SIGHUP, drain on SIGTERM)."""

import configparser
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import unittest

from torque_e2e import TORQUED, Conn, wait_for

UNIT = os.environ.get("TORQUE_UNIT", "")


def read_unit(path):
    parser = configparser.ConfigParser(strict=False, interpolation=None, comment_prefixes=("#", ";"))
    parser.optionxform = str  # keys are case-sensitive
    with open(path) as f:
        parser.read_file(f)
    return parser


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

    def test_unit_runs_reloads_and_stops_torqued(self):
        self.assertEqual(self.service["Type"], "exec")
        argv = shlex.split(self.service["ExecStart"])
        self.assertTrue(argv[0].endswith("/torqued"), argv)
        self.assertIn("--fg", argv)
        # The unit's command, with the built binary and a config of our own.
        config = os.path.join(self.tmp, "torque.ini")
        with open(config, "w") as f:
            f.write("[job hello]\ncommand = echo hi {args}\n")
        argv[0] = TORQUED
        argv[argv.index("--config") + 1] = config
        env = dict(os.environ)
        for assignment in self.service["Environment"].split():
            key, value = assignment.split("=", 1)
            env[key] = value.replace("/var/lib/torque", self.tmp)
        self.assertEqual(env["TORQUE_HOME"], self.tmp)
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            sock = os.path.join(self.tmp, "torqued.sock")

            def pong():
                self.assertIsNone(proc.poll(), "torqued exited")
                try:
                    c = Conn(sock, timeout=2)
                except OSError:
                    return False
                try:
                    return c.call("PING") == "OK pong"
                finally:
                    c.close()
            wait_for(pong, what="torqued (ExecStart) to answer")

            # ExecReload, with $MAINPID as systemd substitutes it.
            with open(config, "a") as f:
                f.write("[job bye]\ncommand = echo bye\n")
            reload = self.service["ExecReload"].replace("$MAINPID", str(proc.pid))
            subprocess.run(shlex.split(reload), check=True)
            log = os.path.join(self.tmp, "torqued.log")
            wait_for(lambda: "added: bye" in open(log).read(), what="the reload in the log")
            c = Conn(sock)
            self.assertTrue(c.call("bye").startswith("ACK "))
            c.close()

            # systemd stops with SIGTERM (KillSignal's default) and waits TimeoutStopSec.
            self.assertNotIn("KillSignal", self.service)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=int(self.service["TimeoutStopSec"])), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    unittest.main()
