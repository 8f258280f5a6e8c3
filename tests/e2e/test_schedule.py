"""Periodic job types: a `second=*/2` schedule fires on time, once per fire time, across a
SIGKILL and a restart."""

import datetime
import json
import os
import sqlite3
import time
import unittest

from torque_e2e import DaemonTest, wait_for


def ran_ids(path):
    """The job ids the command appended, in order."""
    try:
        with open(path) as f:
            return [int(line) for line in f.read().split()]
    except FileNotFoundError:
        return []


def sleep_until_odd_half_second():
    """Sleeps until 0.9-1.3 s after an even second: between two fires, so no fired job is
    about to run or still running (its one echo takes milliseconds)."""
    while True:
        phase = time.time() % 2.0
        if 0.9 <= phase < 1.3:
            return
        time.sleep(0.05)


class ScheduleTest(DaemonTest):
    def test_fires_on_time_and_not_more_across_sigkill_and_restart(self):
        out = os.path.join(self.tmp, "ran.txt")
        d = self.daemon(f"""
            [job tick]
            command = /bin/sh -c "echo $TORQUE_JOB_ID >> {out}"
            schedule = second=*/2

            [job plain]
            command = /bin/true
            """, start=False)
        started = time.time()  # the scheduler starts later: no fire before this
        d.start()

        types = json.loads(d.cli("--json", "types").stdout)
        by_name = {t["name"]: t for t in types}
        self.assertEqual(by_name["tick"]["schedule"], "second=*/2")
        self.assertIsNone(by_name["plain"]["next_fire"])
        next_fire = datetime.datetime.strptime(by_name["tick"]["next_fire"],
                                               "%Y-%m-%dT%H:%M:%S.%fZ")
        next_fire = next_fire.replace(tzinfo=datetime.timezone.utc).timestamp()
        self.assertEqual(next_fire % 2, 0)
        self.assertGreater(next_fire, started)
        self.assertLessEqual(next_fire, time.time() + 2.5)

        # ~6 s of fires, then a kill between two fires.
        wait_for(lambda: len(ran_ids(out)) >= 2, timeout=60, what="two scheduled runs")
        while time.time() - started < 6:
            time.sleep(0.1)
        sleep_until_odd_half_second()
        d.kill()
        before_kill = ran_ids(out)
        d.start()
        restarted = time.time()
        wait_for(lambda: len(ran_ids(out)) > len(before_kill), timeout=60,
                 what="a scheduled run after the restart")
        while time.time() - restarted < 4:
            time.sleep(0.1)
        sleep_until_odd_half_second()
        self.assertEqual(d.stop(), 0)
        ended = time.time()  # no fire after this

        ids = ran_ids(out)
        self.assertEqual(len(ids), len(set(ids)), f"a job ran twice: {ids}")
        self.assertEqual(ids, sorted(ids))
        # Each run is a distinct even second in (started, ended]: never more than that.
        most = int((ended - started) // 2) + 1
        self.assertLessEqual(len(ids), most, f"{len(ids)} runs in {ended - started:.1f} s")
        # Runs before the kill (waited for above) and after the restart; a slow machine may
        # miss fires, but not all of them.
        self.assertGreaterEqual(len(ids), 3, ids)
        # Every fire queued one job; each ran, except perhaps the last (a slow machine may
        # not have started it before the stop).
        with sqlite3.connect(d.database) as db:
            jobs = dict(db.execute("SELECT id, state FROM jobs WHERE type = 'tick'").fetchall())
            last_fire = db.execute("SELECT last_fire FROM schedules WHERE type = 'tick'").fetchone()
        self.assertLessEqual(len(jobs), most)
        self.assertEqual(sorted(jobs)[:len(ids)], ids)
        self.assertLessEqual(len(jobs) - len(ids), 1, jobs)
        self.assertEqual({jobs[i] for i in ids}, {"done"})
        self.assertIsNotNone(last_fire)
        self.assertEqual(last_fire[0] % 2000, 0)
        self.assertLessEqual(last_fire[0], ended * 1000)
        self.assertIn("schedule fired job", d.log_text())

if __name__ == "__main__":
    unittest.main()
