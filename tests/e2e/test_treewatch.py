"""The tree watch end to end: the real torqued and torque-cli loading metafiles written into
a folder tree into a real rTorrent (../shared/rtorrent kit): flags, load modes, cmd.*
templates, labels from folders, watch.ini, browsers' renames, slow writers, folders moved
in, magnet files, invalid files, a torqued killed while files arrive, and an rTorrent that
is down while they do. Skipped when rtorrent is not installed."""

import hashlib
import os
import re
import sys
import time
import unittest

from torque_e2e import RT_KIT, RtorrentTest, start_rtorrent, stop_rtorrent, wait_for

sys.path.insert(0, RT_KIT)


def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    return b"d" + b"".join(bencode(k) + bencode(v[k]) for k in sorted(v)) + b"e"


def metafile(name, announce="http://tracker.example.com:6969/announce", size=100_000):
    """A single-file metafile (its pieces are made up: the item never verifies) and its
    upper-case info hash."""
    info = {"name": name, "length": size, "piece length": 1 << 16,
            "pieces": hashlib.sha1(name.encode()).digest() * ((size + (1 << 16) - 1) >> 16)}
    meta = {"info": info}
    if announce:
        meta["announce"] = announce
    return bencode(meta), hashlib.sha1(bencode(info)).hexdigest().upper()


def write(path, data):
    """Writes a file the ordinary way (one open, write, close)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


class TreeWatchTest(RtorrentTest):
    RT_LOG_XMLRPC = True

    def setUp(self):
        super().setUp()
        self.root = os.path.join(self.tmp, "watch")
        os.makedirs(self.root)
        self.outside = os.path.join(self.tmp, "outside")  # where files are prepared
        os.makedirs(self.outside)
        self.n = 0

    def watch_daemon(self, extra="", start=True):
        return self.daemon(
            f"[rtorrent]\nurl = scgi://{self.sock}\n[TORQUE]\n"
            f"job.treewatch.active = True\njob.treewatch.schedule =\n"
            f"job.treewatch.path = {self.root}\njob.treewatch.settle = 100ms\n"
            f"job.treewatch.retry_delay = 200ms\njob.treewatch.retry_max_delay = 1s\n" + extra,
            start=start)

    def new_meta(self, stem=None, **kw):
        self.n += 1
        return metafile("%s-%04d.bin" % (stem or "item", self.n), **kw)

    def items(self):
        rows = self.call(self.sock, "d.multicall2", "", "main", "d.hash=", "d.name=",
                         "d.is_active=", "d.priority=", "d.custom1=", "d.custom=relp",
                         "d.custom=tv")
        return {r[0]: dict(name=r[1], active=r[2], prio=r[3], label=r[4], relp=r[5], tv=r[6])
                for r in rows}

    def wait_items(self, hashes, timeout=60):
        wait_for(lambda: set(hashes) <= set(self.items()), timeout=timeout,
                 what="rTorrent to hold %d items" % len(hashes))
        return self.items()

    def load_calls(self, name):
        """How many loads of a file called `name` rTorrent received (its XMLRPC log: the
        path is the target of a load.* call, alone or in a system.multicall)."""
        with open(os.path.join(self.rt_dir, "xmlrpc.log"), errors="replace") as f:
            return f.read().count("/%s</string>" % name)

    def assert_loaded_once(self, d, name, infohash, killed=False):
        """The file `name` was loaded once: one job loaded it, and any other load rTorrent
        received for it (a job run again: a file both the watcher and a rescan reported, or
        a crash before the outcome was committed) was refused as a duplicate. killed: torqued
        may have been killed before the loading job said so."""
        with open(d.log, errors="replace") as f:
            log = f.read()
        loaded = log.count("Loaded #%s " % infohash)
        if killed:
            self.assertLessEqual(loaded, 1, name)
        else:
            self.assertEqual(loaded, 1, name)
        extra = self.load_calls(name) - 1
        self.assertGreaterEqual(extra, 0, name)
        if extra:
            self.assertGreaterEqual(log.count("rTorrent already holds #%s " % infohash), extra,
                                    name)

    def jobs(self, d, state=None):
        """The rows of `torque-cli list` for the type: [id, type, state, tries, ...]."""
        args = ["list", "--type", "treewatch", "--limit", "10000"]
        if state:
            args += ["--state", state]
        out = d.cli(*args).stdout
        return [line.split() for line in out.splitlines()[1:] if line.strip()]

    def test_flags_modes_templates_and_labels_in_nested_folders(self):
        d = self.watch_daemon(
            "job.treewatch.label_from_path = True\n"
            "job.treewatch.cmd.a_relp = d.custom.set=relp,\"{{relpath}}\"\n"
            "job.treewatch.cmd.b_tv = {{# TV gets high priority\n"
            "    }}{{if 'tv' in flags}}d.priority.set=3{{endif}}\n"
            "job.treewatch.cmd.c_mark = d.custom.set=tv,%%(traits)s\n")
        folders = ["", "tv", "tv/start", "tv/load", "movies/queue", "movies/queue/start",
                   "a b/deep/er", "queue/load"]
        names = ["{}.torrent", "{}.start.torrent", "{}.load.torrent", "{}.queue.torrent"]
        want = {}
        for i in range(100):
            folder = folders[i % len(folders)]
            data, h = self.new_meta()
            name = names[(i // len(folders)) % len(names)].format("f%03d" % i)
            rel = os.path.join(folder, name)
            flags = set(folder.split("/")) | set(name.split("."))
            start = "start" in flags
            queued = "queue" in flags
            prio = 0 if queued and not start else 3 if "tv" in flags else 2
            label = next((p for p in folder.split("/") if p and p not in
                          ("load", "start", "queue")), "")
            want[h] = dict(active=int(start and not queued), prio=prio, label=label,
                           relp=folder)
            write(os.path.join(self.root, rel), data)
        got = self.wait_items(want)
        for h, w in want.items():
            g = got[h]
            self.assertEqual((g["active"], g["prio"], g["label"], g["relp"]),
                             (w["active"], w["prio"], w["label"], w["relp"]), (h, g, w))
        # Each load tells rTorrent's log, as pyrotorque's does.
        with open(os.path.join(self.rt_dir, "xmlrpc.log"), errors="replace") as f:
            log = f.read()
        for line in (r"from '[^']*/watch/tv/start/' \[started\]",
                     r"from '[^']*/watch/movies/queue/' \[queued\] \[normal\]",
                     r"from '[^']*/watch/movies/queue/start/' \[queued\] \[startable\]",
                     r"from '[^']*/watch/a b/deep/er/' \[normal\]"):
            self.assertTrue(re.search(r"print=\"TreeWatch: Loaded 'item-\d+\.bin' " + line + '"',
                                      log), line)
        # Each file was loaded once, and its job is done.
        wait_for(lambda: len(self.jobs(d, "done")) >= 101, what="100 done loads and the rescan")
        self.assertEqual(self.jobs(d, "failed"), [])

    def test_browser_rename_slow_writer_and_placeholder_load_once(self):
        d = self.watch_daemon("job.treewatch.settle = 300ms\n")
        # A browser: a temp name, then the rename.
        b, hb = self.new_meta("browser")
        write(os.path.join(self.root, "dl.torrent.part"), b)
        os.rename(os.path.join(self.root, "dl.torrent.part"), os.path.join(self.root, "dl.torrent"))
        # A slow writer holding the file open, with pauses longer than the settle time.
        s, hs = self.new_meta("slow")
        slow = os.path.join(self.root, "slow.torrent")
        with open(slow, "wb") as f:
            for k in range(0, len(s), len(s) // 4 + 1):
                f.write(s[k:k + len(s) // 4 + 1])
                f.flush()
                time.sleep(0.5)
        # A writer that closes after each piece (each close is an event).
        c, hc = self.new_meta("chunks")
        chunked = os.path.join(self.root, "sub", "chunks.torrent")
        os.makedirs(os.path.dirname(chunked))
        for k in range(0, len(c), len(c) // 3 + 1):
            with open(chunked, "ab") as f:
                f.write(c[k:k + len(c) // 3 + 1])
            time.sleep(0.5)
        # A 0-byte placeholder, filled later.
        p, hp = self.new_meta("placeholder")
        placeholder = os.path.join(self.root, "ph.torrent")
        open(placeholder, "wb").close()
        time.sleep(0.6)
        self.assertNotIn(hp, self.items())
        with open(placeholder, "wb") as f:
            f.write(p)
        self.wait_items([hb, hs, hc, hp])
        time.sleep(1)
        for name, h in (("dl.torrent", hb), ("slow.torrent", hs), ("chunks.torrent", hc),
                        ("ph.torrent", hp)):
            self.assert_loaded_once(d, name, h)
        self.assertEqual(self.jobs(d, "failed"), [])
        self.assertNotIn("Unexpected", d.log_text())

    def test_a_folder_moved_in_loads_all_its_files(self):
        self.watch_daemon()
        batch = os.path.join(self.outside, "batch")
        hashes = []
        for i in range(10):
            data, h = self.new_meta("moved")
            write(os.path.join(batch, "inner" if i % 2 else "", "m%d.torrent" % i), data)
            hashes.append(h)
        os.rename(batch, os.path.join(self.root, "batch"))
        self.wait_items(hashes)

    def test_files_added_while_torqued_is_down_load_at_start(self):
        d = self.watch_daemon()
        data, first = self.new_meta()
        write(os.path.join(self.root, "first.torrent"), data)
        self.wait_items([first])
        d.kill()
        hashes = []
        for i in range(20):
            data, h = self.new_meta("offline")
            write(os.path.join(self.root, "late" if i % 2 else "", "o%02d.torrent" % i), data)
            hashes.append(h)
        d.start()
        self.wait_items(hashes)
        time.sleep(1)
        # (Killed before its job's outcome was committed, first.torrent's job runs again after
        # the restart; committed, the rescan skips the file.)
        self.assert_loaded_once(d, "first.torrent", first, killed=True)
        for i in range(20):
            self.assert_loaded_once(d, "o%02d.torrent" % i, hashes[i])

    def test_files_wait_for_rtorrent_and_load_once_it_is_back(self):
        d = self.watch_daemon()
        stop_rtorrent(self.rt_dir, purge=False)
        try:
            hashes = []
            for i in range(5):
                data, h = self.new_meta("waiting")
                write(os.path.join(self.root, "w%d.torrent" % i), data)
                hashes.append(h)
            wait_for(lambda: "cannot reach rTorrent" in d.log_text() or
                     "cannot connect" in d.log_text(), what="a failed load attempt")
            time.sleep(1.5)  # a few retries
        finally:
            type(self).sock = start_rtorrent(self.rt_dir, log_xmlrpc=True)
        self.wait_items(hashes)
        wait_for(lambda: len(self.jobs(d, "done")) >= 6, what="5 done loads and the rescan")
        time.sleep(1)
        for i in range(5):
            self.assert_loaded_once(d, "w%d.torrent" % i, hashes[i])
        self.assertEqual(self.jobs(d, "failed"), [])

    def test_invalid_files_are_quarantined_and_not_retried(self):
        d = self.watch_daemon()
        bad = os.path.join(self.root, "tv", "bad.torrent")
        write(bad, b"d4:infod6:lengthi-5eee")
        wait_for(lambda: self.jobs(d, "failed"), what="the load to fail")
        moved = os.path.join(self.root, ".invalid", "bad.torrent")
        wait_for(lambda: os.path.exists(moved), what="the quarantine")
        self.assertFalse(os.path.exists(bad))
        [row] = self.jobs(d, "failed")
        self.assertEqual(row[3], "1/1001")  # not retried
        shown = d.cli("status", row[0]).stdout
        self.assertIn("invalid metafile", shown)
        self.assertIn("moved to '%s'" % moved, shown)
        self.assertTrue("invalid metafile '%s'" % bad in d.log_text())
        # A magnet file loads like a metafile.
        # (rTorrent needs a tracker for a magnet link: the kit's has no DHT.)
        magnet = ("magnet:?xt=urn:btih:" + "AB" * 20 +
                  "&dn=from+magnet&tr=http%3A%2F%2F127.0.0.1%3A1%2Fannounce")
        write(os.path.join(self.root, "m.magnet"), (magnet + "\n").encode())
        self.wait_items(["AB" * 20])

    def test_already_loaded_dry_run_and_watch_ini(self):
        d = self.watch_daemon("job.treewatch.remove_already_added = True\n")
        data, h = self.new_meta()
        write(os.path.join(self.root, "one.torrent"), data)
        self.wait_items([h])
        again = os.path.join(self.root, "again.torrent")
        write(again, data)
        wait_for(lambda: not os.path.exists(again), what="the duplicate's removal")
        self.assertTrue(re.search(r"rTorrent already holds #%s .* of '%s'; removed the file"
                                  % (h, re.escape(again)), d.log_text()))
        # watch.ini: the nearest wins, key by key; a broken one is reported and skipped.
        write(os.path.join(self.root, "tv", "watch.ini"),
              b"load_mode = start\nlabel = Shows\ncmd.x = d.custom.set=relp,ini\n")
        write(os.path.join(self.root, "tv", "hd", "watch.ini"), b"label = HD\n")
        write(os.path.join(self.root, "tv", "broken", "watch.ini"), b"load_mode = sometimes\n")
        a, ha = self.new_meta()
        b, hb = self.new_meta()
        c, hc = self.new_meta()
        write(os.path.join(self.root, "tv", "a.torrent"), a)
        write(os.path.join(self.root, "tv", "hd", "b.torrent"), b)
        write(os.path.join(self.root, "tv", "broken", "c.torrent"), c)
        got = self.wait_items([ha, hb, hc])
        self.assertEqual((got[ha]["active"], got[ha]["label"], got[ha]["relp"]),
                         (1, "Shows", "ini"))
        self.assertEqual((got[hb]["active"], got[hb]["label"], got[hb]["relp"]), (1, "HD", "ini"))
        self.assertEqual((got[hc]["active"], got[hc]["label"]), (1, "Shows"))
        self.assertTrue(re.search(r"tv/broken/watch.ini:1: key 'load_mode'", d.log_text()))
        d.stop()
        # dry_run loads nothing and moves nothing.
        d2 = self.watch_daemon("job.treewatch.dry_run = True\n")
        e, he = self.new_meta()
        write(os.path.join(self.root, "dry.torrent"), e)
        write(os.path.join(self.root, "dry-bad.torrent"), b"not a torrent")
        wait_for(lambda: "would load #%s" % he in d2.log_text(), what="the dry-run load")
        wait_for(lambda: "dry run: left in place" in d2.log_text(), what="the dry-run quarantine")
        self.assertNotIn(he, self.items())
        self.assertTrue(os.path.exists(os.path.join(self.root, "dry-bad.torrent")))


if __name__ == "__main__":
    unittest.main()
