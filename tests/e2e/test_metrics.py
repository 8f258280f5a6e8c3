"""Metrics over HTTP end to end: the real torqued with [http] listen on a free port, scraped
with a real HTTP client (http.client) and parsed with Debian's python3-prometheus-client;
the values checked against the queue and against a real rTorrent (../shared/rtorrent kit):
its views, trackers and items, killed (rtorrent_up 0 at once) and stopped with SIGSTOP (the
scrape ends at its timeout and torqued keeps dispatching). The rTorrent tests are skipped
when rtorrent is not installed."""

import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from prometheus_client.parser import text_string_to_metric_families

from torque_e2e import (HAVE_RTORRENT, RT_KIT, DaemonTest, free_port, start_rtorrent,
                        stop_rtorrent, wait_for)

sys.path.insert(0, RT_KIT)

NO_RTORRENT = "[rtorrent]\nrtorrent_rc = /nonexistent/rtorrent.rc\n"


def request(port, method="GET", path="/metrics", body=None, headers=None):
    """(status, headers dict, body text) of one request on a new connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        res = conn.getresponse()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read().decode()
    finally:
        conn.close()


def scrape(port):
    """The samples of /metrics: {(name, frozenset(labels)): value}, checked to parse."""
    status, headers, text = request(port)
    assert status == 200, (status, text)
    assert headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8", headers
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def named(samples, name):
    """{labels dict as a sorted tuple: value} of every sample called name."""
    return {tuple(sorted(labels)): v for (n, labels), v in samples.items() if n == name}


class MetricsTest(DaemonTest):
    def test_queue_state_per_type_and_the_http_rules(self):
        port = free_port()
        d = self.daemon(NO_RTORRENT + f"[http]\nlisten = 127.0.0.1:{port}\n",
                        "[job slow]\ncommand = true\n[job quick]\ncommand = true\n")
        self.assertEqual(d.cli("pause", "slow").returncode, 0)
        for i in range(7):
            self.assertEqual(d.cli("slow", str(i)).returncode, 0)
        r = d.cli("--wait", "quick", "x")
        self.assertEqual(r.returncode, 0, r.stderr)
        s = scrape(port)
        self.assertEqual(value(s, "torque_jobs", type="slow", state="queued"), 7)
        self.assertEqual(value(s, "torque_jobs_ready", type="slow"), 7)
        self.assertEqual(value(s, "torque_type_paused", type="slow"), 1)
        self.assertEqual(value(s, "torque_type_paused", type="quick"), 0)
        self.assertEqual(value(s, "torque_jobs", type="quick", state="done"), 1)
        self.assertEqual(value(s, "torque_submissions_total"), 8)
        self.assertEqual(value(s, "torque_job_attempts_total", type="quick", outcome="done"), 1)
        self.assertEqual(value(s, "torque_job_run_seconds_count", type="quick"), 1)
        self.assertEqual(value(s, "torque_job_run_seconds_bucket", type="quick", le="+Inf"), 1)
        self.assertGreater(value(s, "torque_database_size_bytes"), 0)
        self.assertEqual(value(s, "torque_notifications_pending"), 0)
        self.assertFalse([k for k in s if k[0].startswith("rtorrent_")])  # no rTorrent here

        self.assertEqual(d.cli("resume", "slow").returncode, 0)
        wait_for(lambda: value(scrape(port), "torque_jobs", type="slow", state="done") == 7,
                 what="the slow jobs to run")

        status, headers, body = request(port, path="/")  # the status page, same listener
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        self.assertIn("slow", body)
        status, headers, body = request(port, "HEAD")
        self.assertEqual(status, 200)
        self.assertEqual(body, "")
        self.assertGreater(int(headers["content-length"]), 1000)
        self.assertEqual(request(port, path="/nothing")[0], 404)
        status, headers, _ = request(port, "POST")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, HEAD")
        self.assertEqual(request(port, "POST", body="x=1")[0], 413)  # read-only: no bodies
        self.assertEqual(request(port, headers={"X-Big": "x" * 20000})[0], 431)
        # Keep-alive: several requests on one connection.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(3):
            conn.request("GET", "/metrics")
            res = conn.getresponse()
            self.assertEqual(res.status, 200)
            self.assertIn("torque_jobs", res.read().decode())
        conn.close()

    def test_listener_address_is_kept_over_a_reload(self):
        port = free_port()
        d = self.daemon(NO_RTORRENT + f"[http]\nlisten = 127.0.0.1:{port}\n")
        d.write_config(NO_RTORRENT + f"[http]\nlisten = 127.0.0.1:{free_port()}\n")
        self.assertIn("configuration reloaded", d.reload())
        self.assertIn("reload: [http] listen changed; it takes effect at the next restart",
                      d.log_text())
        self.assertIn(("torque_submissions_total", frozenset()), scrape(port))

    def test_a_bad_listen_value_is_a_config_error_with_its_line(self):
        d = self.daemon(NO_RTORRENT + "[http]\nlisten = 9100\n", start=False)
        r = subprocess.run([os.environ.get("TORQUED", "torqued"), "--config", d.config, "--check-config"],
                           capture_output=True, text=True, timeout=60, env=d.env())
        self.assertNotEqual(r.returncode, 0)
        line = d.config_line("listen = 9100")
        self.assertIn(f"{d.config}:{line}: [http] key 'listen': expected host:port", r.stderr)

    def test_a_taken_port_stops_the_start_with_the_reason(self):
        import socket
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            d = self.daemon(NO_RTORRENT + f"[http]\nlisten = 127.0.0.1:{port}\n", start=False)
            d.start(wait=False)
            self.assertNotEqual(d.proc.wait(timeout=60), 0)
        self.assertIn(f"cannot listen on 127.0.0.1:{port} for HTTP: Address already in use",
                      d.log_text())


@unittest.skipUnless(HAVE_RTORRENT, "rtorrent or the ../shared/rtorrent kit is not installed")
class RtorrentMetricsTest(DaemonTest):
    @classmethod
    def setUpClass(cls):
        from rtxmlrpc import Binary, call
        from torrent_tool import make_torrent
        cls.call = staticmethod(call)
        cls.Binary = Binary
        cls._rt_tmp = tempfile.TemporaryDirectory(prefix="torque-e2e-metrics-")
        cls.torrents = []  # (hash, bytes): two on each tracker
        for i, announce in enumerate(["http://tracker.example.com:6969/announce"] * 2
                                     + ["http://bt.other.org/announce"] * 2):
            data = os.path.join(cls._rt_tmp.name, "item%d.bin" % i)
            with open(data, "wb") as f:
                f.write(os.urandom(1000 + i))
            metafile, infohash = make_torrent(data, announce)
            cls.torrents.append((infohash.upper(), metafile))

    @classmethod
    def tearDownClass(cls):
        cls._rt_tmp.cleanup()

    def setUp(self):
        super().setUp()
        self.rt_dir = os.path.join(self.tmp, "rt")
        self.sock = start_rtorrent(self.rt_dir)
        self.addCleanup(self.stop_rt)
        loads = []
        for i, (_, data) in enumerate(self.torrents):
            cmds = ["d.directory.set=" + self.tmp]
            if i == 0:
                cmds.append("d.custom.set=memo_alias,Mine")
            if i == 3:
                cmds.append('d.message.set="Tracker: timed out"')
            loads.append({"methodName": "load.raw", "params": ["", self.Binary(data)] + cmds})
        self.call(self.sock, "system.multicall", loads)
        wait_for(lambda: len(self.call(self.sock, "download_list", "")) == len(self.torrents),
                 what="rTorrent to add the items")

    def stop_rt(self):
        pid = self.rt_pid()
        if pid:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        stop_rtorrent(self.rt_dir)

    def rt_pid(self):
        try:
            with open(os.path.join(self.rt_dir, "rtorrent.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def rt_daemon(self, exporter="", http=None, extra=""):
        self.port = free_port()
        http = f"[http]\nlisten = 127.0.0.1:{self.port}\n" if http is None else http
        return self.daemon(f"[rtorrent]\nurl = scgi://{self.sock}\n" + http + extra,
                           "[job hello]\ncommand = echo hello {args}\n" + exporter)

    def test_system_series_match_rtorrent(self):
        self.rt_daemon()
        s = scrape(self.port)
        self.assertEqual(value(s, "rtorrent_up"), 1)
        version = self.call(self.sock, "system.client_version")
        library = self.call(self.sock, "system.library_version")
        self.assertEqual(value(s, "rtorrent_info", system_client_version=version,
                               system_library_version=library), 1)
        views = self.call(self.sock, "view.list")
        self.assertEqual(named(s, "rtorrent_view_size"),
                         {(("view", v),): self.call(self.sock, "view.size", "", v) for v in views})
        self.assertEqual(value(s, "rtorrent_view_size", view="main"), len(self.torrents))
        self.assertEqual(value(s, "rtorrent_network_max_open_files"),
                         self.call(self.sock, "network.max_open_files"))
        self.assertIsNotNone(value(s, "rtorrent_throttle_global_down_total"))
        self.assertFalse(named(s, "rtorrent_tracker_amount"))  # only with jobs = tracker
        # A view made later shows at the next scrape.
        self.call(self.sock, "view.add", "", "torque_fresh")
        self.assertEqual(value(scrape(self.port), "rtorrent_view_size", view="torque_fresh"),
                         self.call(self.sock, "view.size", "", "torque_fresh"))

    def test_tracker_and_item_series_of_an_exporter_type(self):
        d = self.rt_daemon("[job exporter]\nhandler = pyrosimple.job.metrics:RtorrentExporter\n"
                           "jobs = system, tracker, item\nitem-stats = d.down.total,d.size_bytes\n")
        s = scrape(self.port)
        self.assertEqual(named(s, "rtorrent_tracker_amount"),
                         {(("alias", "Mine"),): 1, (("alias", "example.com"),): 1,
                          (("alias", "other.org"),): 2})
        self.assertEqual(named(s, "rtorrent_tracker_errors"),
                         {(("alias", "Mine"),): 0, (("alias", "example.com"),): 0,
                          (("alias", "other.org"),): 1})
        sizes = named(s, "rtorrent_d_size_bytes")
        self.assertEqual({dict(k)["d_hash"] for k in sizes}, {h for h, _ in self.torrents})
        self.assertTrue(all(v > 0 for v in sizes.values()))
        self.assertEqual(len(named(s, "rtorrent_d_down_total")), len(self.torrents))
        # A run of the type checks it against rTorrent: `torque-cli exporter`.
        r = d.cli("--wait", "exporter")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("rTorrent %s/" % self.call(self.sock, "system.client_version"), r.stdout)
        self.assertIn("3 trackers, 4 items", r.stdout)

    def test_addr_and_port_of_an_exporter_type_open_the_listener(self):
        port = free_port()
        d = self.rt_daemon("[job exporter]\nhandler = pyrocore.daemon.exporter:RtorrentExporter\n"
                           f"addr = 127.0.0.1\nport = {port}\njobs = tracker\n", http="")
        s = scrape(port)
        self.assertEqual(value(s, "rtorrent_up"), 1)
        self.assertEqual(sum(named(s, "rtorrent_tracker_amount").values()), len(self.torrents))
        self.assertFalse(named(s, "rtorrent_view_size"))  # jobs = tracker only
        self.assertIn(f"HTTP listening on http://127.0.0.1:{port}/", d.log_text())

    def test_killed_rtorrent_is_up_zero_at_once(self):
        self.rt_daemon()
        self.assertEqual(value(scrape(self.port), "rtorrent_up"), 1)
        os.kill(self.rt_pid(), signal.SIGKILL)
        wait_for(lambda: not os.path.exists(f"/proc/{self.rt_pid()}/status")
                 or "State:\tZ" in open(f"/proc/{self.rt_pid()}/status").read(),
                 what="rTorrent to die")
        s = scrape(self.port)
        self.assertEqual(value(s, "rtorrent_up"), 0)
        self.assertLess(value(s, "rtorrent_scrape_duration_seconds"), 5)  # not the timeout
        self.assertFalse(named(s, "rtorrent_view_size"))
        self.assertFalse([k for k in s if k[0] == "rtorrent_info"])
        self.assertIsNotNone(value(s, "torque_submissions_total"))

    def test_hung_rtorrent_ends_the_scrape_at_its_timeout_and_jobs_still_run(self):
        d = self.rt_daemon(extra="rtorrent_timeout = 1s\n")
        self.assertEqual(value(scrape(self.port), "rtorrent_up"), 1)
        os.kill(self.rt_pid(), signal.SIGSTOP)
        try:
            started = time.monotonic()
            s = scrape(self.port)
            took = time.monotonic() - started
            self.assertEqual(value(s, "rtorrent_up"), 0)
            self.assertGreaterEqual(value(s, "rtorrent_scrape_duration_seconds"), 0.9)
            self.assertLess(took, 30)  # [rtorrent] timeout is 30 s: the scrape's 1 s won
            _, _, text = request(self.port)
            self.assertIn("did not answer within", text)
            # The dispatcher is not held up by scrapes waiting for rTorrent.
            r = d.cli("--wait", "hello", "again")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("hello again", r.stdout)
        finally:
            os.kill(self.rt_pid(), signal.SIGCONT)
        wait_for(lambda: value(scrape(self.port), "rtorrent_up") == 1, what="rTorrent back")


if __name__ == "__main__":
    unittest.main()
