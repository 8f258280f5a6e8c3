"""Several torqued nodes on one PostgreSQL database (issue 13), with the real binaries and a
PostgreSQL cluster of this test's own (tests/pg/cluster.sh: it is stopped and started here).
Skipped when the PostgreSQL server is not installed, unless TORQUE_TEST_PG_REQUIRED=1."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import textwrap
import threading
import time
import unittest

from torque_e2e import TORQUED, SANITIZED, Conn, Daemon, DaemonTest, free_port, wait_for

try:
    from test_notify import SmtpSink
except ImportError:  # no aiosmtpd
    SmtpSink = None

HERE = os.path.dirname(os.path.abspath(__file__))
CLUSTER = os.path.normpath(os.path.join(HERE, "../pg/cluster.sh"))
HAVE_PG = any(os.path.exists(f"/usr/lib/postgresql/{v}/bin/pg_ctl")
              for v in os.listdir("/usr/lib/postgresql")) if os.path.isdir(
                  "/usr/lib/postgresql") else False
REQUIRED = os.environ.get("TORQUE_TEST_PG_REQUIRED") == "1"
PSQL = shutil.which("psql") or "psql"

# Fast liveness for tests: a heartbeat every 300 ms, dead after 1.5 s of silence.
NODE_INI = "node_heartbeat = 300ms\nnode_timeout = 1500ms\n"


def cluster(cmd, directory):
    subprocess.run([CLUSTER, cmd, directory], check=True, capture_output=True, timeout=120)


@unittest.skipUnless(HAVE_PG or REQUIRED, "PostgreSQL server not installed")
class NodesTest(DaemonTest):
    @classmethod
    def setUpClass(cls):
        # Short: the socket path lives in it (108 bytes at most).
        cls.pg_dir = tempfile.mkdtemp(prefix="tqpg-", dir="/tmp")
        cluster("start", cls.pg_dir)
        with open(os.path.join(cls.pg_dir, "uri")) as f:
            cls.admin_uri = f.read().strip()
        cls.serial = 0

    @classmethod
    def tearDownClass(cls):
        cluster("stop", cls.pg_dir)

    def setUp(self):
        super().setUp()
        type(self).serial += 1
        name = f"nodes_{os.getpid()}_{self.serial}"
        self.sql(f"CREATE DATABASE {name}", uri=self.admin_uri)
        self.uri = self.admin_uri.replace("/torque_test?", f"/{name}?")

    def sql(self, statement, uri=None):
        """Runs one statement with psql; returns its rows (lists of column texts)."""
        out = subprocess.run([PSQL, uri or self.uri, "-AtX", "-F", "\t", "-c", statement],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise AssertionError(f"psql: {statement}: {out.stderr}")
        return [line.split("\t") for line in out.stdout.splitlines()]

    def scalar(self, statement):
        return int(self.sql(statement)[0][0])

    def node(self, name, jobs_ini, server_ini="", start=True):
        root = os.path.join(self.tmp, name)
        os.mkdir(root)
        d = Daemon(root, jobs_ini,
                   f"database = {self.uri}\n" + NODE_INI + textwrap.dedent(server_ini))
        self.daemons.append(d)
        if start:
            d.start()
        return d

    def submit(self, d, *args):
        r = d.cli(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return int(r.stdout)

    def state(self, job):
        return self.sql(f"SELECT state, attempts, interruptions, node FROM jobs WHERE id = {job}")[0]

    def node_ids(self):
        """Node ids by name (host:pid), live ones."""
        return {name: int(i) for i, name in self.sql("SELECT id, name FROM nodes WHERE NOT dead")}

    def node_of(self, d):
        wait_for(lambda: any(n.endswith(f":{d.proc.pid}") for n in self.node_ids()),
                 what="the node's registration")
        return next(i for n, i in self.node_ids().items() if n.endswith(f":{d.proc.pid}"))

    def test_check_db_and_check_config_name_the_database_without_its_password(self):
        d = self.node("a", "[job work]\nhandler = noop\n", start=False)
        r = subprocess.run([TORQUED, "--config", d.config, "--check-db"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^database postgresql://.*: ok \(PostgreSQL, schema version "
                                   r"(none yet|\d+)\)\n$")
        d.start()
        r = subprocess.run([TORQUED, "--config", d.config, "--check-db"],
                           capture_output=True, text=True, timeout=60)
        self.assertIn("schema version 1)", r.stdout)
        d.write_config("[job work]\nhandler = noop\n",
                       "database = postgresql://torque:s3cret@/nowhere?host=/nonexistent\n")
        r = subprocess.run([TORQUED, "--config", d.config, "--check-db"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 74, r.stdout)
        self.assertIn("postgresql://torque:***@/nowhere", r.stderr)
        self.assertNotIn("s3cret", r.stderr)
        r = subprocess.run([TORQUED, "--config", d.config, "--check-config"],
                           capture_output=True, text=True, timeout=60)
        self.assertIn("database: postgresql://torque:***@/nowhere", r.stdout)

    def test_jobs_submitted_to_both_nodes_run_exactly_once(self):
        ini = """
            [job work]
            handler = noop
            concurrent = 4
            [job stamp]
            command = sh -c 'echo $TORQUE_JOB_ID >> {stamps}'
            concurrent = 2
            """.replace("{stamps}", os.path.join(self.tmp, "stamps"))
        a, b = self.node("a", ini), self.node("b", ini)
        total = 2000 if SANITIZED else 20000  # sanitized torqued runs 2-5x slower
        acked = []

        def feed(d, count):
            c = Conn(d.socket)
            ids = []
            for start in range(0, count, 500):
                n = min(500, count - start)
                c.send("".join(f"work {start + i}\n" for i in range(n)).encode())
                for _ in range(n):
                    reply = c.line()
                    self.assertTrue(reply.startswith("ACK "), reply)
                    ids.append(int(reply[4:]))
            c.close()
            acked.extend(ids)

        feeders = [threading.Thread(target=feed, args=(d, total // 2)) for d in (a, b)]
        for t in feeders:
            t.start()
        stamped = [self.submit(d, "stamp") for d in (a, b) for _ in range(100)]
        for t in feeders:
            t.join()
        self.assertEqual(len(set(acked)), total)
        wait_for(lambda: self.scalar("SELECT COUNT(*) FROM jobs WHERE state = 'done'") ==
                 total + len(stamped), timeout=240, interval=0.5, what="every job to finish")
        # Claimed once each, by one of the two nodes, and both took their share.
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM jobs WHERE attempts <> 1"), 0)
        per_node = dict(self.sql("SELECT node, COUNT(*) FROM jobs GROUP BY node"))
        self.assertEqual(set(per_node), {str(self.node_of(a)), str(self.node_of(b))}, per_node)
        for n in per_node.values():
            self.assertGreater(int(n), total // 10, per_node)
        with open(os.path.join(self.tmp, "stamps")) as f:
            runs = [int(line) for line in f]
        self.assertEqual(sorted(runs), sorted(stamped))  # each process ran once
        # STATS of either node lists both nodes.
        stats = json.loads(a.cli("--json", "stats").stdout)
        self.assertEqual(sorted(n["name"] for n in stats["nodes"]),
                         sorted(f"{n}" for n in self.node_ids()))
        self.assertEqual([n["this"] for n in stats["nodes"]].count(True), 1)
        text = b.cli("stats").stdout
        self.assertIn("NODE", text)
        self.assertIn(f":{a.proc.pid}", text)

    def test_a_killed_node_s_jobs_are_rescued_and_a_stopped_one_cannot_finish_them(self):
        ini = """
            [job slow]
            command = sleep 2
            concurrent = 2
            """
        first, second = self.node("a", ini), self.node("b", ini)
        ids = {self.node_of(d): d for d in (first, second)}
        jobs = [self.submit(first, "slow") for _ in range(2)]
        wait_for(lambda: all(self.state(j)[0] == "running" for j in jobs), what="the jobs")
        # The node running the first job is killed (most often both run there).
        a_id = int(self.state(jobs[0])[3])
        a = ids[a_id]
        b_id, b = next((i, d) for i, d in ids.items() if i != a_id)
        a.kill()  # well within their 2 s
        victims = [j for j in jobs if self.state(j)[3] == str(a_id)]
        self.assertEqual([self.state(j)[0] for j in victims], ["running"] * len(victims))
        began = time.monotonic()
        # b rescues them within the node timeout (plus a heartbeat) and runs them.
        try:
            wait_for(lambda: all(self.state(j)[3] == str(b_id) for j in jobs), timeout=30,
                     what="b to take over a's jobs")
        except AssertionError as e:
            raise AssertionError(f"{e}: {[self.state(j) for j in jobs]}, nodes "
                                 f"{self.sql('SELECT id, dead FROM nodes')}\n{b.log_text()}")
        self.assertLess(time.monotonic() - began, 10)
        wait_for(lambda: all(self.state(j)[0] == "done" for j in jobs), what="the reruns")
        for j in victims:
            self.assertEqual(self.state(j)[:3], ["done", "2", "1"])
        self.assertIn(f"rescued {len(victims)} job(s) of dead node(s)", b.log_text())
        self.assertEqual(self.sql(f"SELECT dead FROM nodes WHERE id = {a_id}"), [["t"]])

        # SIGSTOP: the other node declares the stopped one dead and reruns its job; the stopped
        # one, resumed, cannot record its end (its run, started first, ends first).
        b.stop()
        six = ini.replace("sleep 2", "sleep 6")
        pair = [self.node("c", six), self.node("b2", six)]
        ids = {self.node_of(d): d for d in pair}
        job = self.submit(pair[0], "slow")
        wait_for(lambda: self.state(job)[0] == "running", what="the job")
        c_id = int(self.state(job)[3])
        c = ids[c_id]
        b_id, b = next((i, d) for i, d in ids.items() if i != c_id)
        c.proc.send_signal(signal.SIGSTOP)
        try:
            wait_for(lambda: self.state(job)[3] == str(b_id), timeout=30,
                     what="b to rescue the stopped node's job")
        finally:
            c.proc.send_signal(signal.SIGCONT)
        wait_for(lambda: "was declared dead" in c.log_text(), what="c to learn it is dead")
        wait_for(lambda: f"job {job}" in c.log_text() and "not this node's" in c.log_text(),
                 timeout=30, what="c's refused end")
        self.assertEqual(self.state(job)[0], "running")
        wait_for(lambda: self.state(job)[0] == "done", what="b's run")
        self.assertEqual(self.state(job), ["done", "2", "1", str(b_id)])
        self.assertEqual(self.sql(f"SELECT dead FROM nodes WHERE id = {c_id}"), [["t"]])
        # c registered again and works on.
        self.assertEqual(c.cli("ping").returncode, 0)
        b.stop()
        again = self.submit(c, "slow")
        wait_for(lambda: self.state(again)[0] == "done", what="c's next job")

    def test_a_node_restarted_on_its_host_takes_back_its_jobs_at_once(self):
        ini = """
            [job slow]
            command = sleep 1
            concurrent = 2
            """
        a = self.node("a", ini)
        jobs = [self.submit(a, "slow") for _ in range(2)]
        wait_for(lambda: all(self.state(j)[0] == "running" for j in jobs), what="the jobs")
        a.kill()
        began = time.monotonic()
        a.start()  # its predecessor's pid is gone: no node_timeout to wait for
        wait_for(lambda: all(self.state(j)[0] == "done" for j in jobs), what="the reruns")
        self.assertLess(time.monotonic() - began, 30)
        for j in jobs:
            self.assertEqual(self.state(j)[:3], ["done", "2", "1"])
        self.assertIn("recovered 2 job(s) interrupted by the last stop", a.log_text())

    def test_a_schedule_fires_once_per_due_time_across_nodes_and_a_kill(self):
        ini = """
            [job tick]
            command = true
            schedule = second=*/2
            """
        nodes = [self.node(n, ini) for n in ("a", "b", "c")]
        time.sleep(5)
        nodes[0].kill()
        time.sleep(5)
        fires = [int(t) for (t,) in self.sql(
            "SELECT created_at FROM jobs WHERE type = 'tick' ORDER BY created_at")]
        gaps = [b - a for a, b in zip(fires, fires[1:])]
        # One job per even second: ~5 in 10 s, never two for one due time.
        self.assertGreaterEqual(len(fires), 4, fires)
        self.assertLessEqual(len(fires), 6, fires)
        self.assertTrue(all(g > 1000 for g in gaps), gaps)
        self.assertEqual(self.sql("SELECT COUNT(*) FROM schedules"), [["1"]])

    def test_max_running_caps_a_type_across_nodes(self):
        log = os.path.join(self.tmp, "spans")
        ini = f"""
            [job capped]
            command = sh -c 'echo "+ $(date +%s%N)" >> {log}; sleep 0.4; echo "- $(date +%s%N)" >> {log}'
            concurrent = 3
            max_running = 2
            """
        a, b = self.node("a", ini), self.node("b", ini)
        jobs = [self.submit(d, "capped") for d in (a, b) for _ in range(5)]
        wait_for(lambda: self.scalar("SELECT COUNT(*) FROM jobs WHERE state = 'done'") == len(jobs),
                 timeout=60, what="the capped jobs")
        with open(log) as f:
            events = sorted((int(t), 1 if sign == "+" else -1)
                            for sign, t in (line.split() for line in f))
        running = peak = 0
        for _, step in sorted(events, key=lambda e: (e[0], e[1])):  # an end before a start
            running += step
            peak = max(peak, running)
        self.assertEqual(peak, 2)  # where one node alone would run 3

    def unique_cancel_pause(self, server_ini):
        ini = """
            [job long]
            command = sleep 60
            concurrent = 1
            [job quick]
            command = true
            """
        a = self.node("a", ini, server_ini)
        b = self.node("b", ini, server_ini)
        # One key, two nodes: one job.
        first = self.submit(a, "--unique", "k1", "long")
        self.assertEqual(self.submit(b, "--unique", "k1", "long"), first)
        wait_for(lambda: self.state(first)[0] == "running", what="the unique job to start")
        runner = self.state(first)[3]
        other = b if runner == str(self.node_of(a)) else a
        # CANCEL through the node that does not run it stops it.
        self.assertEqual(other.cli("cancel", str(first)).returncode, 0)
        wait_for(lambda: self.state(first)[0] == "cancelled", timeout=15,
                 what="the cancel to reach the other node")
        # PAUSE on b holds quick jobs submitted to a; RESUME on a lets them run.
        self.assertEqual(b.cli("pause", "quick").returncode, 0)
        time.sleep(1.5)  # polling nodes see it within database_poll
        held = self.submit(a, "quick")
        time.sleep(1.5)
        self.assertEqual(self.state(held)[0], "queued")
        self.assertEqual(a.cli("resume", "quick").returncode, 0)
        wait_for(lambda: self.state(held)[0] == "done", timeout=15, what="the resumed job")

    def test_unique_keys_cancel_and_pause_reach_every_node_with_listen(self):
        self.unique_cancel_pause("")

    def test_unique_keys_cancel_and_pause_reach_every_node_by_polling(self):
        self.unique_cancel_pause("database_listen = false\ndatabase_poll = 300ms\n")

    @unittest.skipIf(SmtpSink is None, "aiosmtpd not installed")
    def test_a_failure_is_mailed_once_by_one_of_the_nodes(self):
        port = free_port()
        sink = SmtpSink(port)
        self.addCleanup(sink.stop)
        notify = f"""
            [notify]
            smtp_url = smtp://127.0.0.1:{port}
            mail_from = torque@example.org
            retry_delay = 200ms
            """
        ini = """
            [job boom]
            command = false
            notify_fail = mail:ops@example.org
            """
        a, b = self.node("a", ini, notify), self.node("b", ini, notify)
        jobs = [self.submit(d, "boom") for d in (a, b) for _ in range(3)]
        mails = sink.wait(len(jobs))
        self.assertEqual(sorted(m[2]["Subject"] for m in mails),
                         sorted(f"[torque] FAIL job {j} boom" for j in jobs))
        wait_for(lambda: self.scalar("SELECT COUNT(*) FROM outbox") == 0, what="the outbox")

    def test_the_database_stopped_under_load_loses_no_acknowledged_job(self):
        ini = """
            [job work]
            handler = noop
            concurrent = 2
            """
        a, b = self.node("a", ini), self.node("b", ini)
        acked, refused = [], []
        stop = threading.Event()

        def feed(d):
            c = Conn(d.socket, timeout=60)
            i = 0
            while not stop.is_set():
                reply = c.call(f"work {i}")
                i += 1
                if reply.startswith("ACK "):
                    acked.append(int(reply[4:]))
                else:
                    self.assertTrue(reply.startswith("ERR store"), reply)
                    refused.append(reply)
                    time.sleep(0.05)
            c.close()

        feeders = [threading.Thread(target=feed, args=(d,)) for d in (a, b)]
        for t in feeders:
            t.start()
        try:
            wait_for(lambda: len(acked) > 200, what="submissions before the outage")
            cluster("down", self.pg_dir)
            wait_for(lambda: len(refused) > 10, what="ERR store while the database is down")
            during = len(acked)
            time.sleep(1)
            self.assertLessEqual(len(acked), during + 2)  # in flight when it went down
            cluster("up", self.pg_dir)
            wait_for(lambda: len(acked) > during + 200, timeout=60,
                     what="submissions after the database came back")
        finally:
            stop.set()
            for t in feeders:
                t.join()
        self.assertTrue(all("database" in r or "connection" in r for r in refused), refused[:3])
        # Every acknowledged job is there and runs; both nodes serve on by themselves.
        def not_done():
            done = {int(i) for (i,) in self.sql("SELECT id FROM jobs WHERE state = 'done'")}
            return set(acked) - done
        try:
            wait_for(lambda: not not_done(), timeout=60, what="every acknowledged job to run")
        except AssertionError:
            ids = ",".join(str(i) for i in sorted(not_done()))
            rows = self.sql("SELECT id, state, node, attempts, claim_token FROM jobs "
                            f"WHERE id IN ({ids})")
            kept = tempfile.mkdtemp(prefix="torque-nodes-outage-")
            for d in (a, b):
                shutil.copy(d.log, os.path.join(kept, os.path.basename(d.root) + ".log"))
            self.fail(f"acknowledged jobs not done (id state node attempts claim_token): {rows}; "
                      f"the nodes' logs are kept in {kept}")
        for d in (a, b):
            self.assertEqual(d.cli("ping").returncode, 0)
            self.assertTrue(d.alive())
        # The outage outlasted node_timeout, yet no node took the other for dead: each one
        # judges only after its own heartbeats went through for a node timeout again.
        self.assertEqual(self.sql("SELECT COUNT(*) FROM nodes WHERE dead"), [["0"]])
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM jobs WHERE attempts > 1"), 0)


if __name__ == "__main__":
    unittest.main()
