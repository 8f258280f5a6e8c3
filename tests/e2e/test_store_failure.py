"""A full disk or a read-only database: ERR store, never an ACK; the daemon keeps serving.

The database lives on a small tmpfs mounted in a private mount namespace (needs root,
as in CI); the test reaches into it through /proc/PID/root."""

import json
import os
import subprocess
import unittest

from torque_e2e import DaemonTest


def can_unshare():
    try:
        return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


@unittest.skipUnless(can_unshare(), "needs unshare -m (root)")
class StoreFailureTest(DaemonTest):
    def start_on_tmpfs(self, size="1m"):
        full = os.path.join(self.tmp, "full")
        os.mkdir(full)
        wrapper = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                   f'mount -t tmpfs -o size={size} tmpfs "$0" && exec "$@"', full]
        d = self.daemon("""
            [job hello]
            command = echo {args}
            """, server_ini=f"database = {full}/torque.db\n", start=False, wrapper=wrapper)
        d.start()
        self.inside = f"/proc/{d.proc.pid}/root{full}"
        return d

    def submit_until_error(self, c, acked, payload):
        for i in range(10_000):
            reply = c.call(f"hello {i} {payload}")
            if reply.startswith("ACK "):
                acked.append(int(reply.split()[1]))
                continue
            return reply
        self.fail("the disk never filled up")

    def assert_all_acked_stored(self, c, acked):
        for job_id in acked:
            reply = c.call(f"STATUS {job_id}")
            self.assertTrue(reply.startswith("OK "), f"acknowledged job {job_id}: {reply}")
            self.assertEqual(json.loads(reply[3:])["state"], "queued")

    def test_disk_full_answers_err_store_and_recovers_when_space_returns(self):
        d = self.start_on_tmpfs()
        c = d.conn()
        self.assertEqual(c.call("PAUSE hello"), 'OK {"paused":true,"type":"hello"}')
        filler = os.path.join(self.inside, "filler")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        acked = []
        reply = self.submit_until_error(c, acked, "x" * 4000)
        self.assertTrue(reply.startswith("ERR store "), reply)
        self.assertIn("full", reply)
        # Still serving, nothing acknowledged was lost, the failed one is not there.
        self.assertEqual(c.call("PING"), "OK pong")
        self.assertTrue(c.call("hello again").startswith("ERR store "))
        self.assert_all_acked_stored(c, acked)
        self.assertTrue(d.alive())
        os.unlink(filler)
        self.assertRegex(c.call("hello after"), r"^ACK \d+$")
        self.assertIn("NOT accepted", d.log_text())

    def test_read_only_database_refuses_to_start_with_the_reason(self):
        # A database on a read-only file system cannot take a single job: torqued
        # says why and exits (74) instead of serving and failing every submission.
        ro = os.path.join(self.tmp, "ro")
        os.mkdir(ro)
        d = self.daemon("[job hello]\ncommand = true\n",
                        server_ini=f"database = {ro}/torque.db\n")
        self.assertRegex(d.conn().call("hello"), r"^ACK \d+$")
        self.assertEqual(d.stop(), 0)
        d.wrapper = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                     'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"', ro]
        d.start(wait=False)
        self.assertEqual(d.proc.wait(timeout=30), 74, d.log_text())
        self.assertIn("cannot open the database", d.log_text())
        self.assertIn("read-only file system", d.log_text().lower())


if __name__ == "__main__":
    unittest.main()
