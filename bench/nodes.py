#!/usr/bin/python3
"""bench/nodes.py [--quick] [BUILD_DIR]: the PostgreSQL store (issue 13) beside the SQLite
store on this machine, and one torqued node against two on one database.

Starts a throwaway PostgreSQL cluster of its own (tests/pg/cluster.sh: fsync on,
synchronous_commit on, a UNIX socket only) in $TORQUE_BENCH_DIR (default /var/tmp, a real
disk), and torqued processes from BUILD_DIR (default ./build; Release or RelWithDebInfo).
Prints one table:

  durable submits/s    serial submissions on 1 connection and on 8 (8 client processes),
                       each acknowledged after its commit: SQLite, PostgreSQL with 1 node,
                       PostgreSQL with 2 nodes (the connections split between them)
  jobs/s, 200 ms jobs  640 jobs of `sleep 0.2` (8 workers per node: at most 40/s a node)
                       from submission to the last end: SQLite, 1 node, 2 nodes; a second
                       node should add its workers' throughput (claims of several nodes do
                       not queue on one lock). Jobs long enough that 2 cores are not the limit
  submit->start p50    from sending a submission to the job's process running (a static
                       stamp binary), idle workers: SQLite vs PostgreSQL, and the difference
  claim plan           EXPLAIN of the claim with 100 000 jobs queued

Needs the PostgreSQL server (Debian `postgresql`); as root the cluster runs as `postgres`.
"""

import json
import multiprocessing
import os
import select
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

QUICK = "--quick" in sys.argv
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
BUILD = os.path.abspath(ARGS[0] if ARGS else "build")
os.environ["TORQUED"] = os.path.join(BUILD, "server", "torqued")
os.environ["TORQUE_CLI"] = os.path.join(BUILD, "client", "torque-cli")
STAMP = os.path.join(BUILD, "bench", "torque_bench_stamp")
CLUSTER = os.path.join(ROOT, "tests", "pg", "cluster.sh")

import torque_e2e as e2e  # noqa: E402 (after TORQUED is set)

SECONDS = 3 if QUICK else 8
LATENCY_RUNS = 100 if QUICK else 300
QUEUED = 20_000 if QUICK else 100_000


def say(text):
    print(f"[nodes] {text}", file=sys.stderr, flush=True)


def psql(uri, sql):
    return subprocess.run(["psql", uri, "-AtX", "-c", sql], capture_output=True, text=True,
                          check=True).stdout


class Setup:
    """torqued nodes on one database: SQLite (one node) or PostgreSQL (n nodes)."""

    def __init__(self, base, name, jobs_ini, uri=None, nodes=1):
        self.nodes = []
        for i in range(nodes):
            root = os.path.join(base, f"{name}-{i}")
            os.mkdir(root)
            server = f"database = {uri}\n" if uri else ""
            d = e2e.Daemon(root, jobs_ini, server + "log_level = warn\n")
            d.start()
            self.nodes.append(d)
        c = e2e.Conn(self.nodes[0].socket)
        assert c.call("PAUSE bench_idle").startswith("OK"), "cannot pause bench_idle"
        c.close()

    def stop(self):
        for d in self.nodes:
            d.stop()


def submit_loop(socket_path, seconds, out):
    c = e2e.Conn(socket_path, timeout=60)
    n = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        reply = c.call("bench_idle x")
        if not reply.startswith("ACK "):
            raise SystemExit(f"submission refused: {reply}")
        n += 1
    c.close()
    out.put(n)


def submits_per_second(setup, connections):
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=submit_loop, args=(
        setup.nodes[i % len(setup.nodes)].socket, SECONDS, out)) for i in range(connections)]
    for p in procs:
        p.start()
    total = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return total / SECONDS


def jobs_per_second(setup, count=640):
    c = e2e.Conn(setup.nodes[0].socket, timeout=60)
    began = time.monotonic()
    per_node = count // len(setup.nodes)
    for d in setup.nodes:
        c2 = e2e.Conn(d.socket, timeout=60)
        c2.send(b"".join(b"bench_sleep x\n" for _ in range(per_node)))
        for _ in range(per_node):
            assert c2.line().startswith("ACK ")
        c2.close()
    while True:
        stats = c.call("STATS")
        types = {t["type"]: t for t in json.loads(stats[3:])["types"]}
        t = types.get("bench_sleep", {})
        if t.get("done", 0) >= count:
            break
        time.sleep(0.02)
    c.close()
    return count / (time.monotonic() - began)


def submit_to_start(setup, fifo):
    """p50 of send -> the stamp process running, in ms."""
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    f = os.fdopen(reader, "rb", buffering=0)
    c = e2e.Conn(setup.nodes[0].socket, timeout=60)
    times = []
    for _ in range(LATENCY_RUNS):
        sent = time.monotonic_ns()
        reply = c.call("bench_stamp")
        assert reply.startswith("ACK "), reply
        buf = b""
        while not buf.endswith(b"\n"):
            select.select([f], [], [], 10)
            chunk = f.read(64) or b""
            buf += chunk
        times.append((int(buf.strip().split(b"\n")[-1]) - sent) / 1e6)
        time.sleep(0.01)
    c.close()
    f.close()
    return statistics.median(times)


def main():
    for binary in (os.environ["TORQUED"], os.environ["TORQUE_CLI"], STAMP):
        if not os.access(binary, os.X_OK):
            raise SystemExit(f"missing {binary}: build {BUILD} first")
    base = tempfile.mkdtemp(prefix="tqn-", dir=os.environ.get("TORQUE_BENCH_DIR", "/var/tmp"))
    os.chmod(base, 0o755)  # the cluster runs as postgres when this is root
    pg_dir = os.path.join(base, "pg")
    fifo = os.path.join(base, "stamps")
    os.mkfifo(fifo)
    jobs_ini = f"""
        [job bench_idle]
        handler = noop
        [job bench_sleep]
        command = sleep 0.2
        concurrent = 8
        [job bench_stamp]
        command = {STAMP} {fifo}
        concurrent = 2
        """
    # bench_idle is paused: submissions are stored and stay queued (the store's cost alone).
    subprocess.run([CLUSTER, "start", pg_dir], check=True, capture_output=True)
    admin = open(os.path.join(pg_dir, "uri")).read().strip()
    rows = []
    try:
        serial = 0

        def fresh_db():
            nonlocal serial
            serial += 1
            psql(admin, f"CREATE DATABASE b{serial}")
            return admin.replace("/torque_test?", f"/b{serial}?")

        results = {}
        for label, uri, nodes in (("sqlite", None, 1), ("pg 1 node", "new", 1),
                                  ("pg 2 nodes", "new", 2)):
            say(f"submits and 200 ms jobs: {label}")
            u = fresh_db() if uri else None
            s = Setup(base, label.replace(" ", "_") + "_s", jobs_ini, u, nodes)
            one = submits_per_second(s, 1)
            eight = submits_per_second(s, 8)
            s.stop()
            u = fresh_db() if uri else None
            s = Setup(base, label.replace(" ", "_") + "_j", jobs_ini, u, nodes)
            jps = jobs_per_second(s)
            s.stop()
            results[label] = (one, eight, jps)

        say("submit -> start latency")
        s = Setup(base, "lat_sqlite", jobs_ini)
        lat_sqlite = submit_to_start(s, fifo)
        s.stop()
        u = fresh_db()
        s = Setup(base, "lat_pg", jobs_ini, u)
        lat_pg = submit_to_start(s, fifo)
        s.stop()

        say(f"claim plan with {QUEUED} queued jobs")
        u = fresh_db()
        s = Setup(base, "plan", jobs_ini, u)
        c = e2e.Conn(s.nodes[0].socket, timeout=120)
        for start in range(0, QUEUED, 1000):
            c.send(b"".join(b"bench_idle x\n" for _ in range(1000)))
            for _ in range(1000):
                c.line()
        c.close()
        s.stop()
        psql(u, "ANALYZE jobs")
        plan = psql(u, "EXPLAIN UPDATE jobs SET state = 'running' FROM (SELECT id FROM jobs "
                       "WHERE state = 'queued' AND type = 'bench_idle' AND run_at <= 9000000000000000 "
                       "ORDER BY priority DESC, run_at, id LIMIT 4 FOR UPDATE SKIP LOCKED) "
                       "ready WHERE jobs.id = ready.id")
    finally:
        subprocess.run([CLUSTER, "stop", pg_dir], capture_output=True)
        subprocess.run(["rm", "-rf", base])

    sq = results["sqlite"]
    p1 = results["pg 1 node"]
    p2 = results["pg 2 nodes"]
    print(f"{'':34}{'sqlite':>10}{'pg 1 node':>11}{'pg 2 nodes':>12}")
    print(f"{'durable submits/s, 1 connection':34}{sq[0]:10.0f}{p1[0]:11.0f}{p2[0]:12.0f}")
    print(f"{'durable submits/s, 8 connections':34}{sq[1]:10.0f}{p1[1]:11.0f}{p2[1]:12.0f}")
    print(f"{'jobs/s, 200 ms jobs, 8 workers/node':34}{sq[2]:10.1f}{p1[2]:11.1f}{p2[2]:12.1f}")
    gain = p2[2] / p1[2]
    print(f"second node adds throughput: {gain:.2f}x the jobs/s of one node "
          f"({'PASS' if gain >= 1.6 else 'MISS'}, target >= 1.6x: it adds its workers, "
          f"no lock convoy)")
    over = lat_pg - lat_sqlite
    print(f"submit->start p50: sqlite {lat_sqlite:.2f} ms, pg {lat_pg:.2f} ms -> +{over:.2f} ms "
          f"({'PASS' if over <= 1.0 else 'MISS'}, target <= +1 ms)")
    print(f"claim plan ({QUEUED} queued):")
    for line in plan.splitlines():
        print("  " + line)


if __name__ == "__main__":
    main()
