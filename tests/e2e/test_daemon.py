"""torqued's process control: detaching, --status, --stop, --restart, --cron and the guard file."""

import os
import subprocess
import unittest
from concurrent.futures import ThreadPoolExecutor

from torque_e2e import TORQUED, DaemonTest, wait_for

EX_UNAVAILABLE = 69
EX_TEMPFAIL = 75


def gone(pid):
    """Whether pid has exited (a zombie nobody reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


class DaemonControlTest(DaemonTest):
    def setUp(self):
        super().setUp()
        self.d = self.daemon("[job hello]\ncommand = echo hello\n", start=False)
        self.pid_file = os.path.join(self.tmp, "torqued.pid")
        self.guard = os.path.join(self.tmp, "torqued.guard")
        self.started = []

    def tearDown(self):
        # Detached daemons are not our children: stop them by pid.
        for pid in self.started + [self.live_pid()]:
            if pid and not gone(pid):
                os.kill(pid, 9)
                wait_for(lambda: gone(pid), what=f"pid {pid} to go")
        super().tearDown()

    def torqued(self, *args, timeout=120):
        return subprocess.run([TORQUED, "--config", self.d.config, *args], capture_output=True,
                              text=True, timeout=timeout, env=self.d.env())

    def live_pid(self):
        try:
            with open(self.pid_file) as f:
                text = f.read().strip()
        except OSError:
            return None
        return int(text) if text else None

    def start(self, *args):
        r = self.torqued(*args)
        self.assertEqual(r.returncode, 0, r.stderr + self.d.log_text())
        self.assertEqual((r.stdout, r.stderr), ("", ""))
        pid = self.live_pid()
        self.assertIsNotNone(pid)
        self.started.append(pid)
        return pid

    def test_detaches_and_returns_once_the_socket_answers(self):
        pid = self.start()
        self.assertNotEqual(pid, os.getpid())
        # No waiting: the launcher returned only after the daemon listened.
        self.assertEqual(self.d.cli("ping").returncode, 0)
        r = self.d.cli("--wait", "hello")
        self.assertEqual((r.returncode, r.stdout), (0, "hello\n"), r.stderr)
        wait_for(lambda: "ready on" in self.d.log_text(), what="the log line (flushed each second)")

    def test_status_and_stop(self):
        r = self.torqued("--status")
        self.assertEqual((r.returncode, r.stdout), (EX_UNAVAILABLE, "torqued is not running\n"))
        pid = self.start()
        r = self.torqued("--status")
        self.assertEqual((r.returncode, r.stdout), (0, f"torqued (pid {pid}) is running\n"))
        r = self.torqued("--stop")
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (0, f"torqued (pid {pid}) stopped\n", ""))
        self.assertTrue(gone(pid))
        self.assertFalse(os.path.exists(self.pid_file))
        self.assertIn("draining", self.d.log_text())
        r = self.torqued("--status")
        self.assertEqual(r.returncode, EX_UNAVAILABLE)
        r = self.torqued("--stop")
        self.assertEqual((r.returncode, r.stdout), (0, "torqued is not running\n"))

    def test_restart_replaces_the_daemon(self):
        old = self.start()
        r = self.torqued("--restart")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, f"torqued (pid {old}) stopped\n")
        new = self.live_pid()
        self.started.append(new)
        self.assertNotEqual(new, old)
        self.assertTrue(gone(old))
        self.assertEqual(self.d.cli("ping").returncode, 0)

    def test_second_start_exits_75_with_the_reason(self):
        pid = self.start()
        r = self.torqued()
        self.assertEqual(r.returncode, EX_TEMPFAIL)
        self.assertIn(f"torqued is already running (pid {pid}", r.stderr)
        self.assertEqual(self.live_pid(), pid)

    def test_cron_without_guard_file_starts_nothing(self):
        r = self.torqued("--cron")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (EX_TEMPFAIL, "", ""))
        self.assertFalse(os.path.exists(self.pid_file))
        self.assertFalse(os.path.exists(self.d.socket))
        self.assertEqual(self.d.log_text(), "")

    def test_parallel_cron_starts_exactly_one_daemon(self):
        open(self.guard, "w").close()
        with ThreadPoolExecutor(5) as pool:
            results = list(pool.map(lambda _: self.torqued("--cron"), range(5)))
        codes = sorted(r.returncode for r in results)
        pid = self.live_pid()
        if pid:
            self.started.append(pid)
        self.assertEqual(codes, [0] + [EX_TEMPFAIL] * 4, [r.stderr for r in results])
        self.assertEqual([r.stderr for r in results], [""] * 5)
        self.assertEqual(self.torqued("--status").returncode, 0)
        # Once it runs, the watchdog's next calls stay quiet too.
        r = self.torqued("--cron")
        self.assertEqual((r.returncode, r.stderr), (EX_TEMPFAIL, ""))
        self.assertEqual(self.live_pid(), pid)
        self.assertEqual(self.d.cli("ping").returncode, 0)

    def test_deleting_the_guard_file_stops_the_daemon(self):
        open(self.guard, "w").close()
        pid = self.start("--cron")
        os.unlink(self.guard)
        wait_for(lambda: gone(pid), timeout=60, what="torqued to stop")
        self.assertIn(f"guard file {self.guard} disappeared, stopping", self.d.log_text())
        self.assertFalse(os.path.exists(self.pid_file))

    def test_explicit_guard_file(self):
        guard = os.path.join(self.tmp, "custom-guard")
        r = self.torqued("--guard-file", guard)
        self.assertEqual(r.returncode, EX_TEMPFAIL)
        self.assertEqual(r.stderr, f"torqued: guard file {guard} not found, won't start\n")
        open(guard, "w").close()
        pid = self.start("--guard-file", guard)
        os.unlink(guard)
        wait_for(lambda: gone(pid), timeout=60, what="torqued to stop")

    def test_config_error_without_fg_fails_with_the_reason(self):
        with open(self.d.config, "a") as f:
            f.write("\n[job broken]\ncommand = echo x\nconcurrent = many\n")
        r = self.torqued()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("concurrent", r.stderr)
        self.assertFalse(os.path.exists(self.pid_file))

    def test_start_failure_in_the_daemon_reaches_the_launcher(self):
        # The socket path is a directory: only the detached daemon finds out.
        os.mkdir(self.d.socket)
        r = self.torqued()
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr, r"^torqued: .+\n$")
        self.assertIn(r.stderr[len("torqued: "):].strip(), self.d.log_text())
        wait_for(lambda: not os.path.exists(self.pid_file), what="the pid file to go")


if __name__ == "__main__":
    unittest.main()
