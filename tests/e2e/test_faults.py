"""Faults and abuse, each answered with a clear error and nothing lost (issue 12, part 4).

Disk full during a schema migration, a damaged database file, the wall clock jumping
(libfaketime), 10 000 idle connections, endless and crawling request lines, a job
printing gigabytes, and jobs that leave a background process behind. Disk full under
load and the smtp_password check live in test_store_failure.py and test_daemon.py."""

import hashlib
import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import unittest

from torque_e2e import RT_KIT, SANITIZED, TORQUED, Conn, DaemonTest, RtorrentTest, wait_for

SCHEMA = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                       "../../schema"))
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


def can_unshare():
    try:
        return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


def sha1(path):
    with open(path, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()


def rss_kb(pid):
    """The resident set size of process pid, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def processes_with(arg):
    """Pids of the processes whose command line has the argument arg."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                if arg.encode() in f.read().split(b"\0"):
                    pids.append(int(name))
        except OSError:
            pass
    return pids


def job(c, job_id):
    reply = c.call(f"STATUS {job_id}")
    assert reply.startswith("OK "), reply
    return json.loads(reply[3:])


def submit(c, request):
    reply = c.call(request)
    assert reply.startswith("ACK "), reply
    return int(reply.split()[1])


def wait_final(c, job_id, timeout=60):
    return wait_for(lambda: (lambda j: j if j["state"] in ("done", "failed", "cancelled")
                             else None)(job(c, job_id)), timeout=timeout,
                    what=f"job {job_id} to end")


def old_database(path, version, jobs):
    """A database as an older torqued left it: migrations 1..version, `jobs` queued jobs."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    names = sorted(n for n in os.listdir(SCHEMA) if n.endswith(".sql"))
    for name in names[:version]:
        with open(os.path.join(SCHEMA, name)) as f:
            db.executescript(f.read())
    db.execute(f"PRAGMA user_version = {version}")
    db.executemany("INSERT INTO jobs (type, args, created_at) VALUES ('hello', ?, 1)",
                   [(f"job {i}",) for i in range(jobs)])
    db.commit()
    db.close()
    return len(names)


class DiskFullMigrationTest(DaemonTest):
    @unittest.skipUnless(can_unshare(), "needs unshare -m (root)")
    def test_a_migration_on_a_full_disk_refuses_to_start_and_loses_nothing(self):
        old = os.path.join(self.tmp, "old.db")
        latest = old_database(old, 1, 500)
        before = sha1(old)
        out = os.path.join(self.tmp, "out")
        os.mkdir(out)
        full = os.path.join(self.tmp, "full")
        os.mkdir(full)
        # In a private mount namespace: a small tmpfs holding the old database, filled up
        # (the lock file and the -shm index are made first: SQLite reuses their space), then
        # torqued; what is left on the tmpfs is copied out before the namespace goes.
        script = f"""
            mount -t tmpfs -o size=2m tmpfs {full} || exit 90
            cp {old} {full}/torque.db
            echo 1 > {full}/torque.db-lock
            head -c 32768 /dev/urandom > {full}/torque.db-shm
            cat /dev/zero > {full}/filler 2>/dev/null
            "$@"
            rc=$?
            cp {full}/torque.db* {out}/
            exit $rc
            """
        d = self.daemon("[job hello]\ncommand = true\n",
                        server_ini=f"database = {full}/torque.db\n", start=False,
                        wrapper=["unshare", "-m", "--propagation", "private", "sh", "-c",
                                 script, "sh"])
        d.start(wait=False)
        self.assertEqual(d.proc.wait(timeout=60), 74, d.log_text())
        with open(d.log) as f:
            errors = [line for line in f if "cannot open the database" in line]
        self.assertEqual(len(errors), 1, d.log_text())
        self.assertIn("full", errors[0])
        # Intact, at the old version, every job there; the failed migration left nothing.
        self.assertEqual(sha1(os.path.join(out, "torque.db")), before)
        db = sqlite3.connect(os.path.join(out, "torque.db"))
        self.assertEqual(db.execute("PRAGMA user_version").fetchone()[0], 1)
        self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        self.assertEqual(db.execute("SELECT count(*) FROM jobs").fetchone()[0], 500)
        db.close()
        # With space, the same file is migrated and serves every job.
        for name in os.listdir(out):
            shutil.copy(os.path.join(out, name), os.path.join(self.tmp, name))
        d.wrapper = []
        d.write_config("[job hello]\ncommand = true\n")
        d.start()
        c = d.conn()
        self.assertEqual(c.call("PAUSE hello"), 'OK {"paused":true,"type":"hello"}')
        for job_id in (1, 250, 500):
            self.assertEqual(job(c, job_id)["args"], f"job {job_id - 1}")
        self.assertEqual(d.stop(), 0)
        db = sqlite3.connect(d.database)
        self.assertEqual(db.execute("PRAGMA user_version").fetchone()[0], latest)
        self.assertEqual(db.execute("SELECT count(*) FROM jobs").fetchone()[0], 500)
        db.close()


class DamagedDatabaseTest(DaemonTest):
    JOBS = 3000

    def setUp(self):
        super().setUp()
        self.d = self.daemon("[job hello]\ncommand = true\n")
        c = self.d.conn()
        self.assertEqual(c.call("PAUSE hello"), 'OK {"paused":true,"type":"hello"}')
        c.send("".join(f"hello argument number {i}\n" for i in range(self.JOBS)))
        for _ in range(self.JOBS):
            self.assertTrue(c.line().startswith("ACK "))
        self.assertEqual(self.d.stop(), 0)
        self.pristine = os.path.join(self.tmp, "pristine.db")
        shutil.copy(self.d.database, self.pristine)

    def jobs_leaf_page(self):
        """A leaf page of the jobs table from the middle of its b-tree (1-based)."""
        db = sqlite3.connect(f"file:{self.pristine}?mode=ro", uri=True)
        pages = [p for (p,) in db.execute(
            "SELECT pageno FROM dbstat WHERE name = 'jobs' AND pagetype = 'leaf'")]
        db.close()
        self.assertGreater(len(pages), 10)
        return pages[len(pages) // 2]

    def assert_refused(self, why):
        before = sha1(self.d.database)
        self.d.start(wait=False)
        self.assertEqual(self.d.proc.wait(timeout=60), 74, self.d.log_text())
        lines = [line for line in self.d.log_text().splitlines()
                 if "cannot open the database" in line]
        self.assertTrue(lines, self.d.log_text())
        self.assertIn(f"database {self.d.database} is damaged: {why}", lines[-1])
        print("\n" + lines[-1])
        self.assertIn("it was left as it is", lines[-1])
        self.assertEqual(sha1(self.d.database), before, "torqued changed the damaged file")
        self.assertFalse(os.path.exists(self.d.socket))

    def restore_and_check(self):
        """The pristine copy back: torqued starts on it and every job is there."""
        shutil.copy(self.pristine, self.d.database)
        self.d.start()
        c = self.d.conn()
        for job_id in (1, self.JOBS // 2, self.JOBS):
            self.assertEqual(job(c, job_id)["args"], f"argument number {job_id - 1}")

    def test_a_garbage_header_is_refused_and_left_alone(self):
        with open(self.d.database, "r+b") as f:
            f.write(b"this is no database at all")
        self.assert_refused("it does not start with the SQLite header")
        self.restore_and_check()

    def test_a_file_truncated_mid_page_is_refused_and_left_alone(self):
        size = os.path.getsize(self.d.database)
        os.truncate(self.d.database, size // 2 + 1000)
        self.assert_refused("its size")
        self.assertIn("(truncated?)", self.d.log_text())
        self.restore_and_check()

    def test_a_file_missing_its_last_pages_is_refused_and_left_alone(self):
        size = os.path.getsize(self.d.database)
        os.truncate(self.d.database, size - 3 * 4096)
        self.assert_refused("the header counts")
        self.restore_and_check()

    def test_an_overwritten_page_of_the_jobs_table_is_refused_and_left_alone(self):
        page = self.jobs_leaf_page()
        with open(self.d.database, "r+b") as f:
            f.seek((page - 1) * 4096)
            f.write(os.urandom(4096))
        self.assert_refused("")
        # torqued --check-db says the same without starting, and does not write either.
        check = self.check_db()
        self.assertEqual(check.returncode, 74, check.stderr)
        self.assertIn(f"database {self.d.database} is damaged: ", check.stderr)
        self.restore_and_check()
        # On the sound file, also while torqued runs on it.
        check = self.check_db()
        self.assertEqual((check.returncode, check.stdout),
                         (0, f"database {self.d.database}: ok\n"), check.stderr)

    def check_db(self):
        return subprocess.run([TORQUED, "--config", self.d.config, "--check-db"],
                              capture_output=True, text=True, timeout=60)


class FakedClock:
    """Mixin: torqued under libfaketime, its CLOCK_REALTIME real time + the offset in a file
    the test rewrites; CLOCK_MONOTONIC stays real."""

    def start_faked(self, jobs_ini, offset=0.0):
        self.offset_file = os.path.join(self.tmp, "faketime")
        self.set_offset(offset)
        wrapper = ["env", f"LD_PRELOAD={FAKETIME_LIB}",
                   f"FAKETIME_TIMESTAMP_FILE={self.offset_file}", "FAKETIME_NO_CACHE=1",
                   "DONT_FAKE_MONOTONIC=1"]
        return self.daemon(jobs_ini, wrapper=wrapper)

    def set_offset(self, seconds):
        """torqued's wall clock is now real time + seconds."""
        self.offset = seconds
        with open(self.offset_file + ".new", "w") as f:
            f.write(f"{seconds:+.3f}\n")
        os.replace(self.offset_file + ".new", self.offset_file)

    def faked_now(self):
        return time.time() + self.offset

    def at_next_minute_minus(self, lead):
        """Moves torqued's clock to `lead` seconds before its next whole minute."""
        now = self.faked_now()
        target = (int(now) // 60 + 1) * 60 - lead
        if target < now:
            target += 60
        self.set_offset(self.offset + target - now)


@unittest.skipUnless(os.path.exists(FAKETIME_LIB), "needs libfaketime (Debian: faketime)")
class ClockJumpTest(FakedClock, DaemonTest):
    def fires(self, c):
        reply = c.call("LIST type=tick limit=10000")
        self.assertTrue(reply.startswith("OK "), reply)
        return len(json.loads(reply[3:]))

    def test_schedules_fire_once_after_a_jump_forward_and_neither_repeat_nor_stall_back(self):
        # A wide misfire grace: on a busy machine the seconds between the first fire and
        # the jump must not turn the catch-up fire into a skipped one (7 s by default).
        d = self.start_faked("[TORQUE]\napscheduler.misfire_grace_time = 10m\n"
                             "[job tick]\ncommand = true\nschedule = minute=*\n")
        c = d.conn()
        # The faked clock reaches torqued's threads: a fire 2 s before a faked minute ends.
        self.at_next_minute_minus(2)
        wait_for(lambda: self.fires(c) == 1, timeout=30, what="the first fire")
        # An hour forward: sixty fire times passed; one catch-up fire, not sixty.
        self.set_offset(self.offset + 3600)
        wait_for(lambda: self.fires(c) == 2, timeout=30, what="the catch-up fire")
        time.sleep(1.5)
        self.assertEqual(self.fires(c), 2)
        # Back to 5 s before the fire just made (a whole minute): that minute is not fired
        # again.
        now = self.faked_now()
        self.set_offset(self.offset - (now - (now // 60 * 60 - 5)))
        wait_for(lambda: "no fire time is repeated" in d.log_text(), timeout=30,
                 what="the scheduler to notice the clock went back")
        wait_for(lambda: self.faked_now() % 60 > 3, timeout=30, what="the minute to pass again")
        self.assertEqual(self.fires(c), 2)
        # Two hours back: waiting for the old next minute would stall two hours; the
        # schedule continues from the new time.
        self.set_offset(self.offset - 7200)
        self.at_next_minute_minus(2)
        wait_for(lambda: self.fires(c) == 3, timeout=30, what="a fire after the jump back")
        self.assertIn("the schedule continues from now", d.log_text())
        self.assertTrue(d.alive())

    def test_job_timeouts_follow_the_monotonic_clock(self):
        d = self.start_faked("""
            [job slow]
            command = sh -c 'sleep {args}; echo finished'
            timeout = 3s
            """)
        c = d.conn()
        # A jump forward while it runs does not kill a job early...
        ok = submit(c, "slow 1")
        wait_for(lambda: job(c, ok)["state"] == "running", what="the job to run")
        self.set_offset(self.offset + 3600)
        self.assertEqual(wait_final(c, ok)["state"], "done")
        self.assertEqual(job(c, ok)["result"].strip(), "finished")
        # ...and a jump back does not let one run forever.
        hung = submit(c, "slow 600")
        wait_for(lambda: job(c, hung)["state"] == "running", what="the job to run")
        self.set_offset(self.offset - 7200)
        j = wait_final(c, hung, timeout=60)
        self.assertEqual(j["state"], "failed")
        self.assertIn("timed out after 3s", j["error"])

    def start_flaky(self, succeeds_on_run):
        """A daemon with a job that fails until its run number `succeeds_on_run`, each run
        appending a line to a file; returns the daemon, a connection, the job id, the file."""
        d = self.start_faked(f"""
            [job flaky]
            command = sh -c 'echo run >> {{args}}; [ $(wc -l < {{args}}) -ge {succeeds_on_run} ]'
            retries = 5
            retry_delay = 1s
            """)
        c = d.conn()
        runs = os.path.join(self.tmp, "runs")
        return d, c, submit(c, f"flaky {runs}"), runs

    def test_a_retry_is_neither_lost_nor_repeated_when_the_clock_jumps(self):
        d, c, j, runs = self.start_flaky(3)
        wait_for(lambda: job(c, j)["attempts"] >= 1, what="the first attempt")
        # Forward: the pending retry runs at once, once.
        self.set_offset(self.offset + 3600)
        self.assertEqual(wait_final(c, j)["state"], "done")
        with open(runs) as f:
            self.assertEqual(f.read().count("run"), 3)
        self.assertTrue(d.alive())

    def test_a_retry_is_not_held_up_by_a_jump_back(self):
        """A pending retry's delay is time to wait: a jump back of an hour moves it back
        with the clock (the dispatcher notices the jump, Store::ShiftRetries)."""
        _, c, j, _ = self.start_flaky(2)
        wait_for(lambda: job(c, j)["attempts"] >= 1 and job(c, j)["state"] == "queued",
                 what="the first attempt to fail")
        self.set_offset(self.offset - 3600)
        self.assertEqual(wait_final(c, j, timeout=8)["state"], "done")


@unittest.skipUnless(os.path.exists(FAKETIME_LIB), "needs libfaketime (Debian: faketime)")
class IntermissionClockTest(FakedClock, RtorrentTest):
    """The queue manager's intermission under a jumping clock, against a real rTorrent
    holding three stopped items."""

    def test_the_intermission_follows_the_clock_and_never_stalls_after_a_jump_back(self):
        out = subprocess.run([sys.executable, os.path.join(RT_KIT, "torrent_tool.py"), "many",
                              "3", self.rt_tmp], capture_output=True, text=True, timeout=120,
                             check=True).stdout
        nodata = os.path.join(self.rt_tmp, "nodata")
        os.makedirs(nodata, exist_ok=True)
        for line in filter(None, out.split("\n")):
            with open(line.split(" ", 1)[1], "rb") as f:
                self.rt("load.raw", "", self.Binary(f.read()), "d.directory.set=" + nodata,
                        "d.priority.set=2")
        wait_for(lambda: len(self.rt("download_list", "")) == 3, what="rTorrent to add them")
        d = self.start_faked(f"[rtorrent]\nurl = scgi://{self.sock}\n[TORQUE]\njob.queue.active = True\n"
                  "job.queue.schedule =\njob.queue.intermission = 1h\n")

        def queue_pass():
            r = d.cli("--wait", "queue_pass")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            return r.stdout
        self.assertRegex(queue_pass(), r"(?m)^started ")
        self.assertRegex(queue_pass(), r"nothing started: intermission: 3[56][0-9]{2} s left")
        # Two hours forward: the intermission is over.
        self.set_offset(self.offset + 7200)
        self.assertRegex(queue_pass(), r"(?m)^started ")
        # A day back: the intermission counts from now, it does not wait for the old time.
        self.set_offset(self.offset - 86400)
        report = queue_pass()
        self.assertIn("the clock went back: the intermission counts from now", report)
        self.assertIn("nothing started: intermission: 3600 s left of 3600 s", report)
        self.assertIn("the clock went back; the intermission counts from now", d.log_text())


class ConnectionsTest(DaemonTest):
    IDLE = 10_000

    def setUp(self):
        super().setUp()
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and hard < self.IDLE + 200:
            self.skipTest(f"RLIMIT_NOFILE hard limit {hard} is below {self.IDLE + 200}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))

    def test_ten_thousand_idle_connections(self):
        # Started with the usual soft limit of 1024 open files (systemd's default):
        # torqued raises it to the hard limit itself.
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        d = self.daemon("[job hello]\ncommand = echo {args}\n",
                        wrapper=["prlimit", f"--nofile=1024:{hard}", "--"])
        c = d.conn()
        waiting = d.conn()
        job_id = submit(c, "hello a")
        wait_final(c, job_id)
        blocker = submit(c, "SUBMIT delay=1h hello later")
        waiting.send(f"WAIT {blocker}\n")  # an idle client waiting on a job: kept
        base_rss, base_fds = rss_kb(d.proc.pid), fd_count(d.proc.pid)
        idle = []
        try:
            for _ in range(self.IDLE):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(d.socket)
                idle.append(s)
            wait_for(lambda: fd_count(d.proc.pid) >= base_fds + self.IDLE, timeout=60,
                     what="torqued to accept every connection")
            start = time.monotonic()
            fresh = Conn(d.socket)
            self.assertEqual(fresh.call("PING"), "OK pong")
            answered = submit(fresh, "hello b")
            self.assertEqual(wait_final(fresh, answered)["result"].strip(), "b")
            elapsed = time.monotonic() - start
            fresh.close()
            rss = rss_kb(d.proc.pid)
            print(f"\n10 000 idle connections: torqued RSS {base_rss} KiB -> {rss} KiB "
                  f"({(rss - base_rss) * 1024 // self.IDLE} bytes each); a new client's "
                  f"PING + job took {elapsed * 1000:.0f} ms")
            if not SANITIZED:  # ASan's redzones and quarantine: ~230 KiB per connection
                self.assertLess(rss - base_rss, 200 * 1024,
                                "more than 20 KiB per idle connection")
        finally:
            for s in idle:
                s.close()
        wait_for(lambda: fd_count(d.proc.pid) <= base_fds, timeout=60,
                 what="torqued to close the connections")
        self.assertEqual(c.call("PING"), "OK pong")
        self.assertEqual(c.call(f"CANCEL {blocker}")[:2], "OK")
        self.assertIn(f'"id":{blocker}', waiting.line())

    def test_an_endless_line_is_refused_and_a_crawling_one_answered(self):
        d = self.daemon("[job hello]\ncommand = echo {args}\n")
        other = d.conn()
        base_rss = rss_kb(d.proc.pid)
        # One byte a second: holds up nobody, answered once its LF arrives.
        crawler = d.conn()
        crawl_done = threading.Event()

        def crawl():
            for b in b"PING\n":
                crawler.send(bytes([b]))
                time.sleep(1)
            crawl_done.set()
        threading.Thread(target=crawl, daemon=True).start()
        # Endless bytes without a LF: one ERR line, then the connection is closed.
        flood = Conn(d.socket)
        sent = [0]

        def pour():
            chunk = b"x" * 65536
            try:
                while sent[0] < 1 << 30:
                    flood.sock.sendall(chunk)
                    sent[0] += len(chunk)
            except OSError:
                pass
        pourer = threading.Thread(target=pour, daemon=True)
        pourer.start()
        self.assertEqual(flood.line(), "ERR toolong line exceeds 65536 bytes")
        with self.assertRaises(ConnectionError):
            flood.line()
        pourer.join(timeout=30)
        self.assertFalse(pourer.is_alive())
        self.assertLess(sent[0], 64 << 20, "torqued kept reading the endless line")
        flood.close()
        self.assertIn("without a line feed; disconnecting it", d.log_text())
        # Meanwhile, and while the crawler crawls, others get answers at once.
        self.assertFalse(crawl_done.is_set(), "the test took too long to tell")
        self.assertEqual(other.call("PING"), "OK pong")
        self.assertEqual(wait_final(other, submit(other, "hello fast"))["result"].strip(),
                         "fast")
        self.assertEqual(crawler.line(), "OK pong")
        self.assertLess(rss_kb(d.proc.pid) - base_rss, 32 * 1024)
        self.assertTrue(d.alive())


class RunawayJobTest(DaemonTest):
    def test_a_job_printing_gigabytes(self):
        d = self.daemon("""
            [job flood]
            command = sh -c 'head -c 2000000000 /dev/zero; head -c 1000000000 /dev/zero >&2'
            max_output = 1000
            """)
        c = d.conn()
        base_rss = rss_kb(d.proc.pid)
        peak = [base_rss]
        j = submit(c, "flood")

        def done():
            peak[0] = max(peak[0], rss_kb(d.proc.pid))
            state = job(c, j)
            return state if state["state"] in ("done", "failed") else None
        result = wait_for(done, timeout=240, interval=0.1, what="the flood job to end")
        print(f"\n3 GB of output: torqued RSS {base_rss} KiB, peak {peak[0]} KiB")
        self.assertEqual(result["state"], "done", result)
        self.assertTrue(result["result"].startswith("\0" * 1000), result["result"][:40])
        self.assertIn("[... 1999999000 bytes truncated]", result["result"])
        self.assertLess(peak[0] - base_rss, 64 * 1024)
        self.assertLess(os.path.getsize(d.log), 256 * 1024, "the log was flooded")
        self.assertTrue(d.alive())

    def test_a_job_printing_many_stderr_lines_does_not_flood_the_log(self):
        """200 000 short stderr lines: the first 100 are logged, then one line counts the
        rest."""
        d = self.daemon("[job lines]\ncommand = sh -c 'yes | head -c 400000 >&2'\n")
        c = d.conn()
        self.assertEqual(wait_final(c, submit(c, "lines"))["state"], "done")
        self.assertLess(os.path.getsize(d.log), 256 * 1024, "the log was flooded")

        def counted():  # the log is flushed on its own schedule
            with open(d.log, encoding="utf-8", errors="replace") as f:
                return "lines#1: 199900 more stderr lines not logged" in f.read()
        wait_for(counted, what="the count of stderr lines not logged")

    def test_a_job_leaving_a_background_process(self):
        marker = str(300 + os.getpid() % 1000 / 1000)  # a sleep argument nothing else uses
        self.addCleanup(lambda: [os.kill(p, signal.SIGKILL) for p in processes_with(marker)])
        d = self.daemon(f"""
            [job detached]
            command = sh -c 'sleep {marker} >/dev/null 2>&1 & echo started'
            [job attached]
            command = sh -c 'sleep {marker} & echo started'
            [job stuck]
            command = sh -c 'sleep {marker} & sleep 600'
            timeout = 1s
            [job hold]
            command = sh -c 'sleep {marker} & sleep 600'
            """)
        c = d.conn()
        for name in ("detached", "attached"):
            start = time.monotonic()
            result = wait_final(c, submit(c, name))
            self.assertEqual(result["state"], "done", result)
            self.assertEqual(result["result"].strip(), "started")
            self.assertLess(time.monotonic() - start, 60, "waited for the background process")
        # Left running once the job is done (as cron does): not part of the job any more.
        self.assertEqual(len(processes_with(marker)), 2)
        for p in processes_with(marker):
            os.kill(p, signal.SIGKILL)
        wait_for(lambda: not processes_with(marker), what="the leftovers to go")
        # A timeout or a cancel kills the whole group, background child too.
        timed_out = wait_final(c, submit(c, "stuck"))
        self.assertIn("timed out after 1s", timed_out["error"])
        wait_for(lambda: not processes_with(marker), what="the group to be killed")
        held = submit(c, "hold")
        wait_for(lambda: processes_with(marker), what="the background child to start")
        self.assertTrue(c.call(f"CANCEL {held}").startswith("OK"))
        self.assertEqual(wait_final(c, held)["state"], "cancelled")
        wait_for(lambda: not processes_with(marker), what="the group to be killed")
        self.assertTrue(d.alive())


if __name__ == "__main__":
    unittest.main()
