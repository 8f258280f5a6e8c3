"""etc/rtorrent.d/torque.rc in a real rTorrent (../shared/rtorrent kit): its event hooks reach
a real torqued as jobs with the item's hash, its timestamps are set, its watchdog starts
torqued only when the guard file exists, and with torqued stopped rTorrent does not stall.
Skipped when rtorrent is not installed."""

import json
import os
import subprocess
import sys
import time
import unittest

from torque_e2e import (HAVE_RTORRENT, RT_KIT, TORQUE_CLI, TORQUED, DaemonTest, start_rtorrent,
                        stop_rtorrent, wait_for)

sys.path.insert(0, RT_KIT)
TORQUE_RC = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                          "../../etc/rtorrent.d/torque.rc"))


@unittest.skipUnless(HAVE_RTORRENT, "rtorrent or the ../shared/rtorrent kit is not installed")
class TorqueRcTest(DaemonTest):
    def setUp(self):
        super().setUp()
        from rtxmlrpc import call
        self.call = call
        self.rt_dir = os.path.join(self.tmp, "rt")
        self.events = os.path.join(self.tmp, "events.txt")
        hook = f"command = sh -c 'echo {{type}} {{args}} >> {self.events}'\n"
        self.d = self.daemon("".join(f"[job {t}]\n{hook}" for t in
                                     ("download_finished", "download_inserted_new",
                                      "download_erased")))
        # rTorrent finds torque-cli and torqued in its PATH, and torqued's socket in its
        # environment, as a user's rTorrent would.
        bins = [os.path.dirname(os.path.abspath(b)) for b in (TORQUE_CLI, TORQUED)]
        env = {"PATH": os.pathsep.join(bins + [os.environ["PATH"]]),
               "TORQUE_SOCKET": self.d.socket, "TORQUE_HOME": self.tmp,
               "RTORRENT_EXTRA_RC": TORQUE_RC}
        self.sock = start_rtorrent(self.rt_dir, env=env)

    def tearDown(self):
        stop_rtorrent(self.rt_dir)
        super().tearDown()

    def lines(self):
        try:
            with open(self.events) as f:
                return f.read().split("\n")
        except FileNotFoundError:
            return []

    def make_torrent(self, name):
        data = os.path.join(self.rt_dir, "download", name)
        with open(data, "wb") as f:
            f.write(os.urandom(50_000))
        out = os.path.join(self.tmp, name + ".torrent")
        infohash = subprocess.run([sys.executable, os.path.join(RT_KIT, "torrent_tool.py"),
                                   "create", data, "-o", out], capture_output=True, text=True,
                                  check=True).stdout.strip()
        return out, infohash

    def test_hooks_and_timestamps(self):
        path, h = self.make_torrent("complete.bin")
        before = int(time.time())
        self.call(self.sock, "load.start_verbose", "", path)
        wait_for(lambda: "download_inserted_new %s" % h in self.lines(),
                 what="the inserted_new hook's job")
        # Its data is there: the hash check completes it (tm_completed), it started (tm_started).
        wait_for(lambda: self.call(self.sock, "d.complete", h) == 1, what="the hash check")
        wait_for(lambda: self.call(self.sock, "d.custom", h, "tm_completed"),
                 what="tm_completed")
        for key in ("tm_loaded", "tm_started", "tm_completed"):
            self.assertGreaterEqual(int(self.call(self.sock, "d.custom", h, key)), before, key)
        # event.download.finished (fired by hand: the kit's data is never transferred).
        self.call(self.sock, "event.download.finished", h)
        wait_for(lambda: "download_finished %s" % h in self.lines(), what="the finished hook")
        self.call(self.sock, "d.erase", h)
        wait_for(lambda: "download_erased %s" % h in self.lines(), what="the erased hook")

    def test_unconfigured_types_and_a_stopped_torqued_cost_rtorrent_nothing(self):
        self.d.write_config("")  # no download_* types
        self.d.reload()
        path, h = self.make_torrent("quiet.bin")
        self.call(self.sock, "load.verbose", "", path)
        # rTorrent loads on its next tick: until then d.hash faults, download_list lacks it.
        wait_for(lambda: h in self.call(self.sock, "download_list", ""), what="the load")
        self.d.stop()
        # torqued gone: rTorrent answers as quickly as ever while its hooks fail.
        began = time.monotonic()
        for _ in range(20):
            self.call(self.sock, "event.download.finished", h)
        self.assertLess(time.monotonic() - began, 5)
        self.assertEqual(self.lines(), [])

    def test_watchdog_starts_torqued_only_with_its_guard_file(self):
        self.d.stop()
        self.call(self.sock, "torque.watchdog")
        time.sleep(1.5)
        self.assertNotEqual(self.d.cli("ping").returncode, 0)
        open(os.path.join(self.tmp, "torqued.guard"), "w").close()
        self.call(self.sock, "torque.watchdog")
        try:
            wait_for(lambda: self.d.cli("ping").returncode == 0, what="the watchdog's torqued")
        finally:
            # It runs detached, on the defaults of rTorrent's environment (TORQUE_HOME).
            subprocess.run([TORQUED, "--stop"], env=dict(self.d.env()), capture_output=True,
                           timeout=60)
        self.assertNotEqual(self.d.cli("ping").returncode, 0)


@unittest.skipUnless(HAVE_RTORRENT, "rtorrent or the ../shared/rtorrent kit is not installed")
class FinishedDownloadTest(DaemonTest):
    """A real download (rTorrent A seeds, rTorrent B with torque.rc downloads over loopback)
    fires B's event.download.finished, which reaches torqued as a download_finished job whose
    item_action sets a custom value on B's item."""

    def setUp(self):
        super().setUp()
        from rtxmlrpc import Binary, call
        self.call, self.Binary = call, Binary
        self.seed_dir = os.path.join(self.tmp, "seed")
        self.leech_dir = os.path.join(self.tmp, "leech")
        self.seed = start_rtorrent(self.seed_dir)
        bins = [os.path.dirname(os.path.abspath(b)) for b in (TORQUE_CLI, TORQUED)]
        self.leech = start_rtorrent(self.leech_dir, env={
            "PATH": os.pathsep.join(bins + [os.environ["PATH"]]), "TORQUE_HOME": self.tmp,
            "TORQUE_SOCKET": os.path.join(self.tmp, "torqued.sock"),
            "RTORRENT_EXTRA_RC": TORQUE_RC})
        self.d = self.daemon(f"[rtorrent]\nurl = scgi://{self.leech}\n"
                             "[job download_finished]\nhandler = item_action\n"
                             "action = custom torque_done=yes; tag finished\n")

    def tearDown(self):
        stop_rtorrent(self.leech_dir)
        stop_rtorrent(self.seed_dir)
        super().tearDown()

    def test_a_finished_download_runs_the_item_action(self):
        data = os.path.join(self.seed_dir, "download", "payload.bin")
        with open(data, "wb") as f:
            f.write(os.urandom(300_000))
        meta = os.path.join(self.tmp, "payload.torrent")
        h = subprocess.run([sys.executable, os.path.join(RT_KIT, "torrent_tool.py"), "create",
                            data, "-o", meta], capture_output=True, text=True,
                           check=True).stdout.strip()
        with open(meta, "rb") as f:
            raw = self.Binary(f.read())
        self.call(self.seed, "load.raw_start", "", raw,
                  "d.directory.set=" + os.path.dirname(data))
        wait_for(lambda: h in self.call(self.seed, "download_list", "") and
                 self.call(self.seed, "d.complete", h) == 1, what="the seeder's hash check")
        self.call(self.leech, "load.raw_start", "", raw)
        wait_for(lambda: h in self.call(self.leech, "download_list", ""), what="the leech's load")
        self.assertEqual(self.call(self.leech, "d.complete", h), 0)
        port = self.call(self.seed, "network.listen.port")
        self.call(self.leech, "add_peer", h, "127.0.0.1:%d" % port)
        wait_for(lambda: self.call(self.leech, "d.complete", h) == 1, what="the download")
        # The hook's job, with the item's hash, set the custom value rTorrent now shows.
        wait_for(lambda: self.call(self.leech, "d.custom", h, "torque_done") == "yes",
                 what="the download_finished job's custom value")
        self.assertEqual(self.call(self.leech, "d.custom", h, "tags"), "finished")
        jobs = [j for j in json.loads(self.d.cli("--json", "list").stdout)
                if j["type"] == "download_finished"]
        self.assertEqual([(j["args"], j["state"]) for j in jobs], [(h, "done")])


if __name__ == "__main__":
    unittest.main()
