"""The queue manager end to end: the real torqued and torque-cli against a real rTorrent
(../shared/rtorrent kit) holding 50 stopped items with mixed priorities, labels and
messages; a restart and SIGHUP between passes; an rTorrent that never answers.

Each test loads the 50 items afresh into this class's own rTorrent (started with its XMLRPC
log on, so the "QueueManager: Started" lines can be checked). Skipped when rtorrent is not
installed."""

import os
import re
import socket
import subprocess
import sys
import threading
import time
import unittest

from torque_e2e import RT_KIT, RtorrentTest, wait_for

KIT = RT_KIT
sys.path.insert(0, KIT)

COUNT = 50
LOADED = 1_700_000_000


def spec(i):
    """Item i (1-based): prio i % 4, a label, a tracker message on every tenth, a load time
    that does not follow the names."""
    return {"name": "item%05d.bin" % i, "prio": i % 4,
            "label": ("tv", "movies", "")[i % 3],
            "message": "Tracker: timeout" if i % 10 == 7 else "",
            "loaded": LOADED + (i * 37) % COUNT}


def startable_order(items):
    """pyrocore's default startable condition and sort (-prio, loaded, name)."""
    ok = [i for i in items if i["prio"] > 0 and i["message"] == ""]
    return [i["hash"] for i in sorted(ok, key=lambda i: (-i["prio"], i["loaded"], i["name"]))]


class HangingScgi:
    """A unix socket that accepts connections and never answers (a hung rTorrent)."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.held = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.sock.close()
        for c in self.held:
            c.close()


class QueueTest(RtorrentTest):
    RT_LOG_XMLRPC = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        lines = subprocess.run([sys.executable, os.path.join(KIT, "torrent_tool.py"), "many",
                                str(COUNT), cls.rt_tmp], capture_output=True, text=True,
                               timeout=120, check=True).stdout.split("\n")
        cls.torrents = []  # (hash, bytes), item order
        for line in filter(None, lines):
            infohash, path = line.split(" ", 1)
            with open(path, "rb") as f:
                cls.torrents.append((infohash, f.read()))
        # No data where the items point: started, they stay incomplete (downloading).
        cls.nodata = os.path.join(cls.rt_tmp, "nodata")
        os.makedirs(cls.nodata)

    def setUp(self):
        super().setUp()
        call = self.call
        self.items = []
        loads = []
        for i, (infohash, data) in enumerate(self.torrents, 1):
            item = dict(spec(i), hash=infohash)
            cmds = ["d.directory.set=" + self.nodata, "d.priority.set=%d" % item["prio"],
                    "d.custom1.set=" + item["label"], "d.custom.set=tm_loaded,%d" % item["loaded"]]
            if item["message"]:
                cmds.append('d.message.set="%s"' % item["message"])
            loads.append({"methodName": "load.raw", "params": ["", self.Binary(data)] + cmds})
            self.items.append(item)
        call(self.sock, "system.multicall", loads)
        wait_for(lambda: len(call(self.sock, "download_list", "")) == COUNT,
                 what="rTorrent to add the items")
        rows = call(self.sock, "d.multicall2", "", "main", "d.hash=", "d.message=")
        self.assertEqual(sum(1 for _, m in rows if m), COUNT // 10)

    def active(self):
        rows = self.call(self.sock, "d.multicall2", "", "main", "d.hash=", "d.is_active=")
        return {h for h, a in rows if a}

    def queue_daemon(self, queue_ini, rtorrent_ini=None, extra=""):
        rtorrent_ini = rtorrent_ini or f"[rtorrent]\nurl = scgi://{self.sock}\n"
        return self.daemon(rtorrent_ini + "\n[TORQUE]\njob.queue.active = True\n"
                           "job.queue.schedule =\n" + queue_ini + "\n" + extra)

    def queue_pass(self, d, *args):
        r = d.cli("--wait", "queue_pass", *args)
        return r

    def started(self, report):
        return re.findall(r"^(?:started|would start) '[^']*' \[[^]]*, #([0-9A-F]{40})\]$",
                          report, re.M)

    def printed(self):
        """How often rTorrent was asked to print a start into its log (its XMLRPC log)."""
        with open(os.path.join(self.rt_dir, "xmlrpc.log"), errors="replace") as f:
            return f.read().count("QueueManager: Started")

    def test_passes_start_the_right_items_in_order_within_the_maximum(self):
        printed = self.printed()
        d = self.queue_daemon("job.queue.downloading_max = 3\n")
        order = startable_order(self.items)
        never = {i["hash"] for i in self.items if i["prio"] == 0 or i["message"]}
        for n in range(1, 6):
            r = self.queue_pass(d)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            if n <= 3:
                self.assertEqual(self.started(r.stdout), [order[n - 1]], r.stdout)
            else:
                self.assertEqual(self.started(r.stdout), [], r.stdout)
                self.assertIn("nothing started: downloading_max reached (3 of 3 downloading)",
                              r.stdout)
            self.assertEqual(self.active(), set(order[:min(n, 3)]))
            self.assertFalse(self.active() & never)
        # The report explains the others: the next one in line, and prio 0 / message ones.
        self.assertIn("#%s: downloading_max reached (3 of 3 downloading)" % order[3], r.stdout)
        zero = next(i for i in self.items if i["prio"] == 0)
        self.assertIn("#%s: not startable: prio>0 (prio=0)" % zero["hash"], r.stdout)
        blocked = next(i for i in self.items if i["message"] and i["prio"] > 0)
        self.assertIn("#%s: not startable: message=/^$|ghost/ (message='Tracker: timeout')"
                      % blocked["hash"], r.stdout)
        self.assertRegex(r.stdout, r"took [0-9.]+ ms: 1 request to rTorrent")
        # Each start was written into rTorrent's log ("print"), as pyrotorque does.
        self.assertEqual(self.printed() - printed, 3)

    def test_start_at_once_and_catch_up(self):
        d = self.queue_daemon("job.queue.downloading_max = 3\njob.queue.downloading_min = 0\n"
                              "job.queue.start_at_once = 2\n")
        order = startable_order(self.items)
        self.assertEqual(self.started(self.queue_pass(d).stdout), order[:2])
        self.assertEqual(self.started(self.queue_pass(d).stdout), order[2:3])
        self.assertEqual(self.started(self.queue_pass(d).stdout), [])
        self.assertEqual(self.active(), set(order[:3]))
        d.stop()
        # downloading_min trumps downloading_max: 5 are started at once.
        d2 = self.queue_daemon("job.queue.downloading_max = 1\njob.queue.downloading_min = 8\n")
        self.assertEqual(self.started(self.queue_pass(d2).stdout), order[3:8])
        self.assertEqual(self.active(), set(order[:8]))

    def test_dry_run_starts_nothing_and_says_what_it_would(self):
        d = self.queue_daemon("job.queue.intermission = 1h\n")
        order = startable_order(self.items)
        r = self.queue_pass(d, "dry-run")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(r.stdout.startswith("queue pass (dry run): "), r.stdout)
        self.assertEqual(self.started(r.stdout), order[:1])
        self.assertEqual(self.active(), set())
        # It left no intermission behind: a real pass starts the same item.
        self.assertEqual(self.started(self.queue_pass(d).stdout), order[:1])
        self.assertEqual(self.active(), set(order[:1]))

    def test_a_restart_between_passes_respects_the_intermission(self):
        d = self.queue_daemon("job.queue.intermission = 1h\n")
        order = startable_order(self.items)
        self.assertEqual(self.started(self.queue_pass(d).stdout), order[:1])
        d.kill()  # no clean shutdown: the last start was stored with the pass's outcome
        d.start()
        r = self.queue_pass(d)
        self.assertEqual(self.started(r.stdout), [], r.stdout)
        self.assertRegex(r.stdout, r"nothing started: intermission: 3[56][0-9]{2} s left of 3600 s")
        self.assertEqual(self.active(), set(order[:1]))

    def test_a_sighup_that_leaves_the_queue_alone_keeps_it(self):
        queue = "job.queue.intermission = 1h\n"
        d = self.queue_daemon(queue)
        self.assertEqual(len(self.started(self.queue_pass(d).stdout)), 1)
        def matchers():
            with open(d.log, errors="replace") as f:
                return f.read().count("startable matcher for 'queue' is:")
        wait_for(lambda: matchers() == 1, what="the handler's start in the log file")
        d.write_config("[rtorrent]\nurl = scgi://%s\n[TORQUE]\njob.queue.active = True\n"
                       "job.queue.schedule =\n%s\n[job other]\ncommand = /bin/true\n"
                       % (self.sock, queue))
        self.assertIn("added: other; removed: none; changed: none", d.reload())
        self.assertEqual(matchers(), 1)  # the same handler goes on
        self.assertRegex(self.queue_pass(d).stdout, r"nothing started: intermission: ")
        d.write_config("[rtorrent]\nurl = scgi://%s\n[TORQUE]\njob.queue.active = True\n"
                       "job.queue.schedule =\n%sjob.queue.start_at_once = 2\n"
                       % (self.sock, queue))
        self.assertIn("changed: queue", d.reload())
        self.assertEqual(matchers(), 2)  # a new handler, with the stored last start
        self.assertRegex(self.queue_pass(d).stdout, r"nothing started: intermission: ")
        self.assertEqual(len(self.active()), 1)

    def test_rt_actions_on_the_matching_items(self):
        # torque-cli rt acts on what it selects: one system.multicall for all items.
        d = self.daemon()

        def rt(*args):
            return d.cli("rt", "--url", "scgi://" + self.sock, *args)

        odd = [i for i in self.items if i["label"] == "tv"]
        rest = [i for i in self.items if i["label"] != "tv"]
        r = rt("-q", "--prio", "3", "--custom", "2=x", "--custom", "note=hi",
                  "--dry-run", "custom_1=tv")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.count("would prio 3, custom 2=x, custom note=hi: '"), len(odd))
        rows = self.call(self.sock, "d.multicall2", "", "main", "d.hash=", "d.priority=",
                         "d.custom2=", "d.custom=note")
        self.assertEqual({h: p for h, p, _, _ in rows}, {i["hash"]: i["prio"] for i in self.items})
        r = rt("-q", "--prio", "3", "--custom", "2=x", "--custom", "note=hi",
                  "custom_1=tv")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = {h: (p, c2, n) for h, p, c2, n in self.call(
            self.sock, "d.multicall2", "", "main", "d.hash=", "d.priority=", "d.custom2=",
            "d.custom=note")}
        for i in odd:
            self.assertEqual(rows[i["hash"]], (3, "x", "hi"))
        for i in rest:
            self.assertEqual(rows[i["hash"]], (i["prio"], "", ""))
        one = self.items[0]["name"]
        self.assertEqual(rt("-q", "--start", "name=" + one).returncode, 0)
        self.assertEqual(self.active(), {self.items[0]["hash"]})
        self.assertEqual(rt("-q", "--stop", "name=" + one).returncode, 0)
        self.assertEqual(self.active(), set())
        self.assertEqual(rt("-q", "--erase", "name=" + one).returncode, 0)
        wait_for(lambda: len(self.call(self.sock, "download_list", "")) == COUNT - 1,
                 what="the erase")
        r = rt("--erase")
        self.assertEqual(r.returncode, 64)
        self.assertIn("an action needs a condition", r.stderr)

    def test_exec_jobs_see_the_rtorrent_url(self):
        d = self.daemon(f"[rtorrent]\nurl = scgi://{self.sock}\n"
                        "[job url]\nshell = true\ncommand = echo \"$TORQUE_RTORRENT_URL\"\n")
        r = d.cli("--wait", "url")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.strip(), "scgi://" + self.sock)

    def test_connstats_logs_one_line_about_rtorrent(self):
        # The engine_stats handler (pyrocore's EngineStats), shipped as `connstats`.
        d = self.daemon(f"[rtorrent]\nurl = scgi://{self.sock}\n[TORQUE]\n"
                        "job.connstats.active = True\njob.connstats.schedule =\n")
        r = d.cli("--wait", "connstats")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"^Stats for \S+ - up ([\d.]+[a-z]+|\?), "
                                   r"rTorrent 0\.9\.8/0\.13\.\d+, up \d[^,]* \[[^]]*\], "
                                   r"down \d[^,]* \[[^]]*\], views: main %d, started 0, "
                                   r"stopped %d, " % (COUNT, COUNT))
        self.assertIn("Stats for ", d.log_text())

    def test_a_dead_then_living_rtorrent(self):
        link = os.path.join(self.tmp, "rt.sock")
        d = self.queue_daemon("", rtorrent_ini="[rtorrent]\nurl = scgi://%s\n" % link)
        r = self.queue_pass(d)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("cannot connect to rTorrent at scgi://%s" % link, r.stdout + r.stderr)
        self.assertRegex(d.log_text(), r"warning \[job\.queue\] job \d+ failed in .*cannot connect")
        os.symlink(self.sock, link)  # rTorrent is back
        r = self.queue_pass(d)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(self.started(r.stdout)), 1)

    def test_a_hung_rtorrent_fails_the_pass_and_torqued_stays_responsive(self):
        hang = HangingScgi(os.path.join(self.tmp, "hang.sock"))
        try:
            d = self.queue_daemon("", rtorrent_ini="[rtorrent]\nurl = scgi://%s\ntimeout = 2s\n"
                                  % hang.path)
            began = time.monotonic()
            result = {}
            t = threading.Thread(target=lambda: result.update(r=self.queue_pass(d)))
            t.start()
            wait_for(lambda: hang.held, what="the pass to connect")
            pings = []
            while t.is_alive():
                p0 = time.monotonic()
                self.assertEqual(d.cli("ping").returncode, 0)
                pings.append(time.monotonic() - p0)
                time.sleep(0.1)
            t.join()
            elapsed = time.monotonic() - began
            r = result["r"]
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("did not answer within 2000 ms", r.stdout + r.stderr)
            self.assertLess(elapsed, 20)
            self.assertGreater(len(pings), 3)
            self.assertLess(max(pings), 1.0, pings)

            # A pass that waits on the hung rTorrent ends at once when cancelled.
            d.stop()
            d2 = self.queue_daemon("", rtorrent_ini="[rtorrent]\nurl = scgi://%s\ntimeout = 1h\n"
                                   % hang.path)
            held = len(hang.held)
            job = d2.cli("queue_pass").stdout.split()[-1]
            wait_for(lambda: len(hang.held) > held, what="the pass to connect")
            c0 = time.monotonic()
            self.assertEqual(d2.cli("cancel", job).returncode, 0)
            w = d2.cli("wait", job, "--timeout", "30s")
            self.assertLess(time.monotonic() - c0, 2.0)
            self.assertIn("cancelled", w.stdout + w.stderr)
        finally:
            hang.close()


if __name__ == "__main__":
    unittest.main()
