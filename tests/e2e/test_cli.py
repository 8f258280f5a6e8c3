"""torque-cli against the real torqued: submit, wait, admin subcommands, exit codes, nesting."""

import json
import os
import subprocess
import time
import unittest

from torque_e2e import TORQUE_CLI, TORQUED, DaemonTest, wait_for


class CliTest(DaemonTest):
    def setUp(self):
        super().setUp()
        self.out = os.path.join(self.tmp, "out.txt")
        self.d = self.daemon(f"""
            [job hello]
            command = echo hello {{args}}

            [job fail]
            command = /bin/sh -c "echo bad >&2; exit 3"

            [job flaky]
            # Fails on its first attempt, succeeds on the second.
            command = /bin/sh -c "test $TORQUE_JOB_ATTEMPT -ge 2 || exit 1; echo ok"
            retries = 2
            retry_delay = 100ms

            [job slow]
            command = sleep 30
            timeout = 2s

            [job parent]
            # Runs a child of its own type and waits for it: concurrent = 1 must not deadlock.
            command = /bin/sh -c "if [ '{{args}}' = top ]; then {TORQUE_CLI} --wait parent child; else echo child-ran; fi"
            concurrent = 1

            [job nap]
            command = sleep 1

            [job long]
            command = sleep 30

            [job argv]
            command = /bin/sh -c 'for a in "$@"; do echo "[$a]"; done' argv {{args}}
            aliases = args_alias
            """)

    def test_submit_prints_id_and_wait_prints_result(self):
        r = self.d.cli("hello", "world")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^\d+\n$")
        r = self.d.cli("--wait", "hello", "there")
        self.assertEqual((r.returncode, r.stdout), (0, "hello there\n"), r.stderr)

    def test_arguments_keep_their_words(self):
        r = self.d.cli("--wait", "args_alias", "two words", "-x", "it's")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "[two words]\n[-x]\n[it's]\n")

    def test_failed_job_exit_code_and_message(self):
        r = self.d.cli("--wait", "fail")
        self.assertEqual(r.returncode, 1)
        self.assertIn("failed", r.stderr)
        self.assertIn("exit status 3", r.stderr)

    def test_retry_after_failure_succeeds(self):
        r = self.d.cli("--wait", "--json", "flaky")
        self.assertEqual(r.returncode, 0, r.stderr)
        rec = json.loads(r.stdout)
        self.assertEqual((rec["state"], rec["attempts"]), ("done", 2))

    def test_timeout_kills_the_job(self):
        start = time.monotonic()
        r = self.d.cli("--wait", "slow")
        self.assertEqual(r.returncode, 1)
        self.assertIn("timed out", r.stderr)
        self.assertLess(time.monotonic() - start, 25)

    def test_job_waits_for_child_of_same_type_without_deadlock(self):
        r = self.d.cli("--wait", "--timeout", "60", "parent", "top")
        self.assertEqual(r.returncode, 0, r.stderr + self.d.log_text())
        self.assertEqual(r.stdout, "child-ran\n")

    def test_error_reply_and_unreachable_exit_codes(self):
        r = self.d.cli("nosuch")
        self.assertEqual(r.returncode, 65)
        self.assertIn("unknown job type 'nosuch'", r.stderr)
        r = subprocess.run([TORQUE_CLI, "-s", os.path.join(self.tmp, "none.sock"), "ping"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 69)
        self.assertIn("cannot connect", r.stderr)
        r = self.d.cli()
        self.assertEqual(r.returncode, 64)

    def test_admin_subcommands(self):
        job = int(self.d.cli("hello", "x").stdout)
        self.assertEqual(self.d.cli("wait", str(job)).returncode, 0)
        r = self.d.cli("status", str(job))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("done", r.stdout)
        r = self.d.cli("--json", "status", str(job))
        self.assertEqual(json.loads(r.stdout)["id"], job)
        for sub in (["list"], ["list", "--state", "done"], ["stats"], ["types"], ["ping"],
                    ["version"]):
            r = self.d.cli(*sub)
            self.assertEqual(r.returncode, 0, f"{sub}: {r.stderr}")
            self.assertTrue(r.stdout.strip(), sub)
        self.assertIn("hello", self.d.cli("types").stdout)
        self.assertEqual(self.d.cli("pause", "hello").returncode, 0)
        queued = int(self.d.cli("hello", "later").stdout)
        self.assertEqual(self.d.cli("cancel", str(queued)).returncode, 0)
        self.assertEqual(json.loads(self.d.cli("--json", "status", str(queued)).stdout)["state"],
                         "cancelled")
        self.assertEqual(self.d.cli("retry", str(queued)).returncode, 0)
        self.assertEqual(self.d.cli("resume", "hello").returncode, 0)
        self.assertEqual(self.d.cli("wait", "--timeout", "30", str(queued)).returncode, 0)
        # `wait` gives up after 0.2 s, long before the job times out (2 s).
        r = self.d.cli("wait", "--timeout", "0.2", str(int(self.d.cli("slow").stdout)))
        self.assertEqual(r.returncode, 75)

    def test_paused_state_survives_restart(self):
        self.assertEqual(self.d.cli("pause", "hello").returncode, 0)
        job = int(self.d.cli("hello", "p").stdout)
        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        time.sleep(0.3)
        self.assertEqual(json.loads(self.d.cli("--json", "status", str(job)).stdout)["state"], "queued")
        self.d.cli("resume", "hello")
        self.assertEqual(self.d.cli("wait", "--timeout", "30", str(job)).returncode, 0)

    def test_second_daemon_on_same_files_refuses(self):
        r = subprocess.run([TORQUED, "--config", self.d.config, "--fg"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 75)
        self.assertIn("already running", r.stderr)
        self.assertTrue(self.d.alive())

    def test_second_daemon_on_same_database_refuses(self):
        other = os.path.join(self.tmp, "other.ini")
        with open(other, "w") as f:
            f.write(f"[server]\nsocket = {self.tmp}/other.sock\ndatabase = {self.d.database}\n"
                    f"pid_file = {self.tmp}/other.pid\nlog_file = {self.tmp}/other.log\n")
        r = subprocess.run([TORQUED, "--config", other, "--fg"], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 75)
        self.assertIn(f"database {self.d.database} is in use by another torqued (pid "
                      f"{self.d.proc.pid})", r.stderr)
        self.assertEqual(self.d.cli("ping").returncode, 0)

    def status(self, job):
        return json.loads(self.d.cli("--json", "status", str(job)).stdout)

    def test_sigterm_lets_running_jobs_finish(self):
        job = int(self.d.cli("nap").stdout)
        wait_for(lambda: self.status(job)["state"] == "running", what="nap to start")
        self.assertEqual(self.d.stop(), 0)
        log = self.d.log_text()
        self.assertIn("draining", log)
        self.assertIn("torqued stopped", log)
        self.d.start()
        self.assertEqual(self.status(job)["state"], "done")

    def test_sigterm_requeues_jobs_still_running_after_grace(self):
        job = int(self.d.cli("long").stdout)
        wait_for(lambda: self.status(job)["state"] == "running", what="long to start")
        start = time.monotonic()
        self.assertEqual(self.d.stop(), 0)
        self.assertGreaterEqual(time.monotonic() - start, 4)  # shutdown_grace = 5s
        self.assertIn("back to the queue", self.d.log_text())
        self.d.start()
        rec = self.status(job)
        self.assertIn(rec["state"], ("queued", "running"))
        self.assertEqual(rec["max_attempts"], 2)
        self.d.cli("cancel", str(job))

    def test_check_config(self):
        r = subprocess.run([TORQUED, "--config", self.d.config, "--check-config"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("hello: handler=exec", r.stdout)
        bad = os.path.join(self.tmp, "bad.ini")
        with open(bad, "w") as f:
            f.write("[job x]\nconcurrent = many\n")
        r = subprocess.run([TORQUED, "--config", bad, "--check-config"], capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("bad.ini:2", r.stderr)


if __name__ == "__main__":
    unittest.main()
