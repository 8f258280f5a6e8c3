#!/usr/bin/python3
"""What the rTorrent integration costs, against references measured in the same run:

- an event hook's torque-cli call (torque.rc runs one per event) for a type that is not
  configured (refused) and for one that is (accepted, durable), beside spawning `true`;
- a /metrics scrape and a status page with Q queued jobs (torqued's own series only);
- a /metrics scrape with rTorrent's series (system, tracker and item jobs) beside the same
  questions asked of rTorrent directly (rTorrent's own time), with the kit's rTorrent.

    bench/integration.py [BUILD_DIR] [--queued Q] [--runs N]

Prints one table; takes about a minute on 2 cores with the defaults (Q = 100000)."""

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def percentiles(samples):
    s = sorted(samples)
    return statistics.median(s) * 1000, s[min(len(s) - 1, int(len(s) * 0.95))] * 1000


def timed(fn, runs):
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path)
        res = conn.getresponse()
        body = res.read()
        assert res.status == 200, (path, res.status, body[:300])
        return body
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
    ap.add_argument("--queued", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=50)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    os.environ["TORQUED"] = os.path.join(build, "server", "torqued")
    os.environ["TORQUE_CLI"] = cli = os.path.join(build, "client", "torque-cli")
    sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
    import torque_e2e as e2e

    rows = []  # (what, p50 ms, p95 ms, reference, ratio)
    tmp = tempfile.mkdtemp(prefix="torque-bench-int-", dir=os.environ.get("TORQUE_BENCH_DIR"))
    daemons = []
    rt_dir = None
    try:
        port = e2e.free_port()
        d = e2e.Daemon(tmp, "[job download_finished]\ncommand = true\n[job bulk]\ncommand = true\n",
                       f"[rtorrent]\nrtorrent_rc = /nonexistent\n[http]\nlisten = 127.0.0.1:{port}\n")
        daemons.append(d)
        d.start()
        assert d.cli("pause", "download_finished").returncode == 0
        assert d.cli("pause", "bulk").returncode == 0
        env = dict(os.environ, TORQUE_SOCKET=d.socket)
        h = "0123456789ABCDEF0123456789ABCDEF01234567"
        spawn = timed(lambda: subprocess.run(["true"], check=True), a.runs)
        refused = timed(lambda: subprocess.run([cli, "-q", "download_erased", h], env=env,
                                               stderr=subprocess.DEVNULL), a.runs)
        accepted = timed(lambda: subprocess.run([cli, "-q", "download_finished", h], env=env,
                                                check=True), a.runs)
        ref = percentiles(spawn)[0]
        rows.append(("spawn `true` (reference)", *percentiles(spawn), "", ""))
        rows.append(("hook, type not configured", *percentiles(refused), "spawn", percentiles(refused)[0] / ref))
        rows.append(("hook, job accepted (durable)", *percentiles(accepted), "spawn", percentiles(accepted)[0] / ref))

        empty = timed(lambda: get(port, "/metrics"), a.runs)
        rows.append(("/metrics, no jobs queued", *percentiles(empty), "", ""))
        conn = e2e.Conn(d.socket, timeout=600)
        batch = 5000
        for start in range(0, a.queued, batch):
            n = min(batch, a.queued - start)
            conn.send("".join(f"bulk {i}\n" for i in range(start, start + n)))
            for _ in range(n):
                assert conn.line().startswith("ACK")
        body = get(port, "/metrics").decode()
        assert f'torque_jobs{{type="bulk",state="queued"}} {a.queued}' in body
        full = timed(lambda: get(port, "/metrics"), a.runs)
        page = timed(lambda: get(port, "/"), a.runs)
        rows.append((f"/metrics, {a.queued} queued", *percentiles(full), "", ""))
        rows.append((f"status page, {a.queued} queued", *percentiles(page), "", ""))
        d.stop()

        if e2e.HAVE_RTORRENT:
            sys.path.insert(0, e2e.RT_KIT)
            from rtxmlrpc import call
            rt_dir = os.path.join(tmp, "rt")
            sock = e2e.start_rtorrent(rt_dir)
            lines = subprocess.run([sys.executable, os.path.join(e2e.RT_KIT, "torrent_tool.py"),
                                    "many", "50", tmp], capture_output=True, text=True,
                                   check=True).stdout.split()
            for path in lines[1::2]:
                call(sock, "load.normal", "", path)
            e2e.wait_for(lambda: len(call(sock, "download_list", "")) == 50, what="50 items")
            port2 = e2e.free_port()
            root2 = os.path.join(tmp, "d2")
            os.makedirs(root2)
            d2 = e2e.Daemon(root2, "[job exporter]\nhandler = metrics_exporter\n"
                            "jobs = system,tracker,item\n",
                            f"[rtorrent]\nurl = scgi://{sock}\n[http]\nlisten = 127.0.0.1:{port2}\n")
            daemons.append(d2)
            d2.start()
            body = get(port2, "/metrics").decode()
            assert "rtorrent_up 1" in body, body[:500]
            views = call(sock, "view.list")
            calls = [{"methodName": "view.size", "params": ["", v]} for v in views]
            calls += [{"methodName": m, "params": [""]} for m in
                      ("system.client_version", "throttle.global_up.total",
                       "throttle.global_down.total", "network.open_sockets")]
            calls.append({"methodName": "d.multicall2", "params": [
                "", "main", "d.hash=", "d.name=", "d.custom=memo_alias", "d.message=",
                "d.tracker_domain=", "d.down.total=", "d.up.total="]})
            direct = timed(lambda: call(sock, "system.multicall", calls), a.runs)
            rt = timed(lambda: get(port2, "/metrics"), a.runs)
            rows.append(("rTorrent asked directly (reference)", *percentiles(direct), "", ""))
            rows.append(("/metrics with rTorrent, 50 items", *percentiles(rt), "direct",
                         percentiles(rt)[0] / percentiles(direct)[0]))
            d2.stop()
    finally:
        for d in daemons:
            if d.alive():
                d.proc.kill()
        if rt_dir:
            e2e.stop_rtorrent(rt_dir)
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{'what':40} {'p50 ms':>9} {'p95 ms':>9}  {'ratio (p50)':>14}")
    for what, p50, p95, ref, ratio in rows:
        r = f"{ratio:.2f}x {ref}" if ref else ""
        print(f"{what:40} {p50:9.2f} {p95:9.2f}  {r:>14}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
