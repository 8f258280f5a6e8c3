"""Durability: SIGKILL while 8 clients submit and jobs run; nothing acknowledged is lost."""

import collections
import json
import os
import threading
import time
import unittest

from torque_e2e import SANITIZED, DaemonTest, wait_for

CLIENTS = 8
# A sanitized torque-cli takes ~60 ms of CPU to start: a smaller run under the sanitizers.
PER_CLIENT = 100 if SANITIZED else 250
KILL_AT = CLIENTS * PER_CLIENT * 35 // 100  # acknowledged jobs before the kill


class CrashTest(DaemonTest):
    def test_sigkill_during_submissions_and_runs_loses_no_acknowledged_job(self):
        out = os.path.join(self.tmp, "ran.txt")
        slow_out = os.path.join(self.tmp, "slow.txt")
        d = self.daemon(f"""
            [job rec]
            # Appends "<id> <args>" (one short write: atomic with O_APPEND).
            command = /bin/sh -c "sleep 0.01; echo $TORQUE_JOB_ID {{args}} >> {out}"
            concurrent = 4

            [job slow]
            # Running when the daemon is killed, whatever the machine's speed.
            command = /bin/sh -c "echo $TORQUE_JOB_ID >> {slow_out}; sleep 3"
            """)
        acked = {}                      # args -> id
        ambiguous = set()               # args whose submission failed at least once
        lock = threading.Lock()
        restarted = threading.Event()

        def client(n):
            for i in range(PER_CLIENT):
                args = f"c{n}-{i}"
                for attempt in range(400):
                    r = d.cli("rec", args)
                    if r.returncode == 0:
                        with lock:
                            acked[args] = int(r.stdout.strip())
                        break
                    # 69: daemon unreachable (killed or restarting). Try again.
                    self.assertEqual(r.returncode, 69, r.stderr)
                    with lock:
                        ambiguous.add(args)
                    time.sleep(0.05)
                else:
                    self.fail(f"{args} never accepted")

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        # Kill once a good share is acknowledged and jobs are running; one job surely is.
        wait_for(lambda: len(acked) >= KILL_AT, timeout=300, what=f"{KILL_AT} acknowledged jobs")
        slow = int(d.cli("slow").stdout)
        wait_for(lambda: os.path.exists(slow_out), timeout=60, what="the slow job to start")
        d.kill()
        killed_at = len(acked)
        d.start()
        restarted.set()
        for t in threads:
            t.join(300)
        self.assertEqual(len(acked), CLIENTS * PER_CLIENT)
        self.assertLess(killed_at, CLIENTS * PER_CLIENT, "kill happened after all submissions")

        # Every acknowledged job reaches a final state (done) ...
        c = d.conn()
        ids = sorted(acked.values())
        for job_id in ids:
            rec = json.loads(c.call(f"WAIT {job_id} 120")[3:])
            self.assertEqual(rec["state"], "done", rec)
        # ... and ran at least once; nothing ran that nobody submitted.
        ran = collections.defaultdict(set)  # args -> ids that ran with them
        with open(out) as f:
            for line in f:
                job_id, args = line.split()
                ran[args].add(int(job_id))
        for args, job_id in acked.items():
            self.assertIn(job_id, ran[args], f"acknowledged job {job_id} ({args}) never ran")
        for args, job_ids in ran.items():
            unacked = job_ids - {acked.get(args)}
            if unacked:
                # Committed but the ACK was lost in the kill: only possible for a
                # submission whose client saw a failure.
                self.assertIn(args, ambiguous, f"job(s) {unacked} ran for {args} never submitted")
        # The job killed while running was recovered and ran again to its end.
        self.assertIn("recovered", d.log_text())
        rec = json.loads(c.call(f"WAIT {slow} 120")[3:])
        self.assertEqual(rec["state"], "done", rec)
        with open(slow_out) as f:
            self.assertEqual(f.read().split(), [str(slow)] * 2)
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
