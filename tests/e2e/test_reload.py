"""SIGHUP: torqued re-reads its config in place — concurrency, job types and schedules change
with jobs in flight, an invalid config is rejected and the old one keeps serving, and the
log file is reopened (logrotate)."""

import json
import os
import signal
import textwrap
import time
import unittest

from torque_e2e import DaemonTest, wait_for

# How long a negative check ("nothing more starts") watches.
QUIET = 1.0



def ini(*parts):
    """Config text from indented pieces."""
    return "".join(textwrap.dedent(p) for p in parts)


HELLO = ini("""
    [job hello]
    command = echo hello {args}
    """)


class ReloadTest(DaemonTest):
    def setUp(self):
        super().setUp()
        self.release = os.path.join(self.tmp, "release")

    def blocking(self, name, concurrent):
        """A job type whose jobs touch <name>.<id> and then wait for the release file."""
        return ini(f"""
            [job {name}]
            command = /bin/sh -c "touch {self.tmp}/{name}.$TORQUE_JOB_ID; while [ ! -e {self.release} ]; do sleep 0.05; done; echo {name}-ran"
            concurrent = {concurrent}
            """)

    def started(self, name):
        """The ids of the jobs of blocking type `name` that have started."""
        prefix = name + "."
        return {int(f[len(prefix):]) for f in os.listdir(self.tmp) if f.startswith(prefix)}

    def submit(self, d, *args):
        r = d.cli(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return int(r.stdout)

    def record(self, d, job):
        r = d.cli("--json", "status", str(job))
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def types(self, d):
        """The active job types by name (the shipped defaults are inactive)."""
        r = d.cli("--json", "types")
        self.assertEqual(r.returncode, 0, r.stderr)
        return {t["name"]: t for t in json.loads(r.stdout) if t["active"]}

    def wait_done(self, d, job):
        d.cli("wait", "--timeout", "60", str(job))
        rec = self.record(d, job)
        self.assertEqual(rec["state"], "done", rec)
        return rec

    def test_larger_concurrent_starts_queued_jobs_while_the_first_still_runs(self):
        d = self.daemon(self.blocking("slow", 1))
        jobs = [self.submit(d, "slow") for _ in range(3)]
        wait_for(lambda: self.started("slow"), what="the first job to start")
        wait_for(lambda: (lambda t: t["running"] == 1 and t["queued"] == 2)(self.types(d)["slow"]),
                 what="1 running and 2 queued slow jobs")
        time.sleep(QUIET)
        first = self.started("slow")
        self.assertEqual(len(first), 1, "concurrent = 1 ran more than one job")
        self.assertLessEqual(first, set(jobs))

        d.write_config(self.blocking("slow", 3))
        line = d.reload()
        self.assertRegex(line, r"configuration reloaded: 2 active job type\(s\); added: none; "
                               r"removed: none; changed: slow$")
        wait_for(lambda: self.started("slow") == set(jobs), timeout=30,
                 what="the queued jobs to start after the reload")
        self.assertEqual(self.record(d, first.pop())["state"], "running")  # never interrupted
        slow = self.types(d)["slow"]
        self.assertEqual((slow["concurrent"], slow["running"], slow["queued"]), (3, 3, 0))
        self.assertIn("job type slow: concurrent 1 -> 3", d.log_text())

        open(self.release, "w").close()
        for job in jobs:
            rec = self.wait_done(d, job)
            self.assertEqual((rec["attempts"], rec["result"]), (1, "slow-ran\n"))
        self.assertEqual(d.stop(), 0)

    def test_invalid_config_is_rejected_and_the_old_one_keeps_serving(self):
        d = self.daemon(HELLO)
        for broken, needle, reason in [
                ("concurrent = many", "concurrent = many", "got 'many'"),
                ("retry_delay = 5 parsecs", "retry_delay", "retry_delay"),
                ("handler = no_such_handler", "handler = no_such", "no_such_handler")]:
            with self.subTest(broken=broken):
                # Valid parts (a new type, a changed command) must not be applied either.
                d.write_config(f"""
                    [job hello]
                    command = echo changed {{args}}

                    [job extra]
                    command = /bin/true
                    {broken}
                    """)
                where = f"{d.config}:{d.config_line(needle)}: "
                line = d.reload()
                self.assertIn("configuration reload rejected, the running configuration stays: "
                              + where, line)
                self.assertIn(reason, line)
                self.assertTrue(d.alive())
                r = d.cli("--wait", "hello", "still")
                self.assertEqual((r.returncode, r.stdout), (0, "hello still\n"), r.stderr)
                r = d.cli("extra")
                self.assertEqual(r.returncode, 65, r.stdout)
                self.assertIn("unknown job type 'extra'", r.stderr)
                self.assertNotIn("extra", self.types(d))

        # A fixed config is taken again.
        d.write_config("""
            [job hello]
            command = echo changed {args}
            """)
        self.assertIn("changed: hello", d.reload())
        r = d.cli("--wait", "hello", "now")
        self.assertEqual((r.returncode, r.stdout), (0, "changed now\n"), r.stderr)

    def test_syntax_error_is_rejected(self):
        d = self.daemon(HELLO)
        d.write_config(HELLO + "\n[job half\ncommand = /bin/true\n")
        line = d.reload()
        self.assertIn("configuration reload rejected, the running configuration stays: "
                      f"{d.config}:{d.config_line('[job half')}: ", line)
        r = d.cli("--wait", "hello", "ok")
        self.assertEqual((r.returncode, r.stdout), (0, "hello ok\n"), r.stderr)

    def test_types_added_and_removed_keep_their_jobs(self):
        keep = ini("""
            [job keep]
            command = echo kept
            """)
        fresh = ini("""
            [job fresh]
            command = echo fresh {args}
            """)
        d = self.daemon(keep + self.blocking("gone", 1))
        running = self.submit(d, "gone")
        wait_for(lambda: self.started("gone"), what="the gone job to start")
        queued = self.submit(d, "gone", "later")

        d.write_config(keep + fresh)
        line = d.reload()
        self.assertRegex(line, r"configuration reloaded: \d+ active job type\(s\); added: fresh; "
                               r"removed: gone; changed: none$")
        r = d.cli("--wait", "fresh", "x")
        self.assertEqual((r.returncode, r.stdout), (0, "fresh x\n"), r.stderr)
        r = d.cli("gone")
        self.assertEqual(r.returncode, 65)
        self.assertIn("unknown job type 'gone'", r.stderr)
        c = d.conn()
        self.assertEqual(c.call("gone again"), "ERR unknown unknown job type 'gone'")
        names = set(self.types(d))
        self.assertNotIn("gone", names)
        self.assertLessEqual({"fresh", "keep"}, names)

        # The running job of the removed type finishes; its queued one stays, untouched.
        self.assertEqual(self.record(d, running)["state"], "running")
        self.assertEqual(self.record(d, queued)["state"], "queued")
        open(self.release, "w").close()
        rec = self.wait_done(d, running)
        self.assertEqual(rec["result"], "gone-ran\n")
        time.sleep(QUIET)
        self.assertEqual(self.started("gone"), {running})
        rec = self.record(d, queued)
        self.assertEqual((rec["state"], rec["attempts"]), ("queued", 0))
        r = d.cli("--json", "list", "--state", "queued")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([j["id"] for j in json.loads(r.stdout)], [queued])

        # Restored: the kept job runs.
        d.write_config(keep + fresh + self.blocking("gone", 1))
        self.assertIn("added: gone; removed: none", d.reload())
        rec = self.wait_done(d, queued)
        self.assertEqual((rec["attempts"], rec["result"]), (1, "gone-ran\n"))
        self.assertEqual(self.started("gone"), {running, queued})

    def test_restart_only_keys_keep_their_running_value(self):
        d = self.daemon(HELLO)
        text = d.write_config("""
            [job hello]
            command = echo changed {args}
            """)
        moved = os.path.join(self.tmp, "moved.sock")
        with open(d.config, "w") as f:
            f.write(text.replace(f"socket = {d.socket}", f"socket = {moved}")
                        .replace(f"database = {d.database}", "database = " +
                                 os.path.join(self.tmp, "moved.db")))
        self.assertIn("changed: hello", d.reload())
        log = d.log_text()
        for key in ("socket", "database"):
            self.assertIn(f"reload: [server] {key} changed; it takes effect at the next restart",
                      log)
        self.assertFalse(os.path.exists(moved))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "moved.db")))
        r = d.cli("--wait", "hello", "same socket")  # the rest of the new config applies
        self.assertEqual((r.returncode, r.stdout), (0, "changed same socket\n"), r.stderr)

    def test_log_level_follows_the_reload(self):
        fail = ini("""
            [job fail]
            command = /bin/sh -c "exit 4"
            """)
        marker = ini("""
            [job marker]
            command = /bin/true
            """)
        d = self.daemon(HELLO + fail)
        # Wait for the reload through TYPES (the log is about to go quiet).
        d.write_config(HELLO + fail + marker, "log_level = warn")
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "marker" in self.types(d), what="the reload to apply")
        quiet = self.submit(d, "hello", "quiet")
        self.wait_done(d, quiet)
        loud = self.submit(d, "fail")
        d.cli("wait", "--timeout", "60", str(loud))
        wait_for(lambda: f"job {loud} failed" in d.log_text(), what="the warning of the failure")
        log = d.log_text()  # warnings flush the log: every earlier line is in
        self.assertNotIn(f"job {quiet} ", log)
        self.assertNotIn(f"job {loud} accepted", log)

        d.write_config(HELLO + fail + marker)
        self.assertIn("configuration reloaded", d.reload())
        job = self.submit(d, "hello", "loud")
        wait_for(lambda: f"job {job} accepted" in d.log_text(), what="info lines again")

    def test_log_file_is_reopened(self):
        d = self.daemon(HELLO)
        wait_for(lambda: "ready on" in d.log_text(), what="the start line in the log")
        rotated = d.log + ".1"
        os.rename(d.log, rotated)
        line = d.reload()  # found in the new file at the configured path
        self.assertIn("configuration reloaded", line)
        job = self.submit(d, "hello", "rotated")
        def new_lines():
            with open(d.log) as f:
                return f"job {job} accepted" in f.read()
        wait_for(new_lines, what="the new file to get new lines")
        with open(rotated) as f:
            old = f.read()
        self.assertIn("ready on", old)
        self.assertIn("SIGHUP received", old)
        self.assertNotIn("configuration reloaded", old)
        self.assertNotIn(f"job {job} ", old)
        with open(d.log) as f:
            self.assertNotIn("ready on", f.read())

    def test_schedule_added_by_reload_fires_and_removed_stops(self):
        out = os.path.join(self.tmp, "ticks.txt")

        def ticks():
            try:
                with open(out) as f:
                    return f.read().split()
            except FileNotFoundError:
                return []

        tick = ini(f"""
            [job tick]
            command = /bin/sh -c "echo $TORQUE_JOB_ID >> {out}"
            """)
        d = self.daemon(HELLO + tick)
        self.assertIsNone(self.types(d)["tick"]["next_fire"])
        d.write_config(HELLO + tick + "schedule = second=*/1\n")
        self.assertIn("changed: tick", d.reload())
        self.assertIsNotNone(self.types(d)["tick"]["next_fire"])
        wait_for(lambda: len(ticks()) >= 2, timeout=30, what="two scheduled runs")

        d.write_config(HELLO + tick)
        self.assertIn("changed: tick", d.reload())
        self.assertIsNone(self.types(d)["tick"]["next_fire"])
        # A fire from just before the reload may still run; then nothing more.
        wait_for(lambda: (lambda t: t["running"] == 0 and t["queued"] == 0)(self.types(d)["tick"]),
                 what="the last fired tick to finish")
        count = len(ticks())
        time.sleep(2.5)
        self.assertEqual(len(ticks()), count, "the schedule still fires after its removal")

    def test_sighup_and_sigterm_while_starting_wait_for_the_runtime(self):
        # `systemctl reload` right after a start (Type=exec), logrotate: a SIGHUP that comes
        # before torqued's handlers exist must not end it (the default action; systemd counts
        # that as a clean exit and does not restart). torqued blocks the signals first thing,
        # so they reach the runtime once it listens: a reload, or a clean stop.
        d = self.daemon(HELLO, start=False)
        for signo in (signal.SIGHUP, signal.SIGTERM):
            for _ in range(20):  # until a signal lands while torqued starts
                d.start(wait=False)
                if signal_while_starting(d.proc, signo):
                    break
                d.stop()
            else:
                self.fail("never caught torqued starting with signal %d blocked" % signo)
            if signo == signal.SIGHUP:
                wait_for(d.ready, what="torqued to answer after a SIGHUP while starting")
                wait_for(lambda: "SIGHUP received; reloading" in d.log_text(),
                         what="the SIGHUP to reach the runtime")
                self.assertEqual(d.cli("--wait", "hello", "x").returncode, 0)
                self.assertEqual(d.stop(), 0)
            else:
                self.assertEqual(d.proc.wait(timeout=60), 0, d.log_text())


def signal_while_starting(proc, signo):
    """Sends signo to the starting torqued once it blocks it and before it handles it (its
    main began; its handlers do not exist yet); False if that moment was missed."""
    bit = 1 << (signo - 1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with open("/proc/%d/status" % proc.pid) as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            return False
        if int(fields["SigCgt"], 16) & bit:
            return False  # handled already: too late
        if int(fields["SigBlk"], 16) & bit:
            proc.send_signal(signo)
            return True
    return False


if __name__ == "__main__":
    unittest.main()
