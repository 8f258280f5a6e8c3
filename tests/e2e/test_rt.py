"""torque-cli rt against a real rTorrent (../shared/rtorrent kit): conditions, sorting, JSON,
errors and exit codes, and finding rTorrent through torque.ini or rtorrent.rc.

CTest starts a fresh rTorrent for this test ($TORQUE_RT_SOCKET); run by hand without it, the
test starts its own. Skipped when rtorrent is not installed."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from torque_e2e import HAVE_RTORRENT, RT_KIT, TORQUE_CLI, start_rtorrent, stop_rtorrent, wait_for

KIT = RT_KIT
sys.path.insert(0, KIT)

COUNT = 20  # items loaded; item i (1-based) gets prio i % 4 and custom1 "odd"/"even"


@unittest.skipUnless(HAVE_RTORRENT, "rtorrent or the ../shared/rtorrent kit is not installed")
class RtTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from rtxmlrpc import Binary, call
        cls.call = staticmethod(call)
        cls._tmp = tempfile.TemporaryDirectory(prefix="torque-e2e-rt-")
        cls.tmp = cls._tmp.name
        cls.own_rtorrent = None
        cls.sock = os.environ.get("TORQUE_RT_SOCKET", "")
        if not cls.sock:
            cls.own_rtorrent = os.path.join(cls.tmp, "rt")
            cls.sock = start_rtorrent(cls.own_rtorrent)
        cls.url = "scgi://" + cls.sock
        for h in call(cls.sock, "download_list", ""):
            call(cls.sock, "d.erase", h)
        lines = subprocess.run([sys.executable, os.path.join(KIT, "torrent_tool.py"), "many",
                                str(COUNT), cls.tmp], capture_output=True, text=True,
                               timeout=120, check=True).stdout.split("\n")
        cls.items = []  # {hash, name, prio, label}, in item order
        for i, line in enumerate(filter(None, lines), 1):
            infohash, path = line.split(" ", 1)
            with open(path, "rb") as f:
                data = f.read()
            item = {"hash": infohash, "name": "item%05d.bin" % i, "prio": i % 4,
                    "label": "odd" if i % 2 else "even"}
            call(cls.sock, "load.raw", "", Binary(data),
                 "d.directory.set=" + os.path.join(cls.tmp, "data"),
                 "d.priority.set=%d" % item["prio"], "d.custom1.set=" + item["label"])
            cls.items.append(item)
        wait_for(lambda: len(call(cls.sock, "download_list", "")) == COUNT,
                 what="rTorrent to add the items")
        # A config without [rtorrent] and a home without .rtorrent.rc: only what a test
        # gives is used.
        cls.home = os.path.join(cls.tmp, "home")
        os.makedirs(cls.home)
        cls.empty_ini = cls.write("empty.ini", "")

    @classmethod
    def tearDownClass(cls):
        if cls.own_rtorrent:
            stop_rtorrent(cls.own_rtorrent)
        cls._tmp.cleanup()

    @classmethod
    def write(cls, name, text):
        path = os.path.join(cls.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def rt(self, *args, env=None):
        """Runs the real `torque-cli ARGS...` (include "rt" yourself)."""
        e = dict(os.environ, HOME=self.home, TORQUE_CONFIG=self.empty_ini, TZ="UTC")
        e.pop("TORQUE_SOCKET", None)
        e.update(env or {})
        return subprocess.run([TORQUE_CLI, *args], capture_output=True, text=True, timeout=60,
                              env=e)

    def names(self, pred):
        return sorted(i["name"] for i in self.items if pred(i))

    def test_condition_selects_and_shows_its_fields(self):
        r = self.rt("rt", "--url", self.url, "prio=2")
        self.assertEqual(r.returncode, 0, r.stderr)
        expected = ["NAME           PRIO"] + [n + "     2" for n in self.names(
            lambda i: i["prio"] == 2)]
        self.assertEqual(r.stdout, "\n".join(expected) + "\n")
        self.assertEqual(r.stderr, "")

    def test_fields_and_descending_sort(self):
        r = self.rt("rt", "--url", self.url, "-o", "name,prio", "-s", "-prio")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "NAME           PRIO")
        rows = [line.split() for line in lines[1:]]
        self.assertEqual(sorted(name for name, _ in rows), self.names(lambda i: True))
        prios = [int(p) for _, p in rows]
        self.assertEqual(prios, sorted(prios, reverse=True))
        self.assertEqual(prios[0], 3)
        # With a second key the order is total.
        r = self.rt("rt", "--url", self.url, "-o", "prio,name", "--sort=-prio,name")
        expected = sorted(self.items, key=lambda i: (-i["prio"], i["name"]))
        self.assertEqual(r.stdout.splitlines()[1:],
                         ["%4d  %s" % (i["prio"], i["name"]) for i in expected])

    def test_json(self):
        r = self.rt("rt", "--url", self.url, "--json", "-o", "hash,name,prio,custom_1,size,"
                    "is_complete", "custom_1=odd", "prio>1")
        self.assertEqual(r.returncode, 0, r.stderr)
        expected = [{"hash": i["hash"], "name": i["name"], "prio": i["prio"], "custom_1": "odd",
                     "size": 64, "is_complete": False}
                    for i in sorted(self.items, key=lambda i: i["name"])
                    if i["label"] == "odd" and i["prio"] > 1]
        self.assertEqual(len(expected), 5)
        self.assertEqual(json.loads(r.stdout), expected)

    def test_pre_filter_and_stats(self):
        r = self.rt("rt", "--url", self.url, "--stats", "prio=2", "custom_1=even")
        self.assertEqual(r.returncode, 0, r.stderr)
        # rTorrent itself dropped the items that cannot match.
        self.assertRegex(r.stderr, r"^5 of 5 items matched in [0-9.]+ ms, 1 round trip, "
                                   r"rTorrent pre-filter: \S+\n$")
        r = self.rt("rt", "--url", self.url, "--stats", "--no-prefilter", "prio=2")
        self.assertRegex(r.stderr, r"^5 of 20 items matched in [0-9.]+ ms, 1 round trip\n$")

    def test_condition_error_shows_the_column(self):
        r = self.rt("rt", "--url", self.url, "sise>1")
        self.assertEqual(r.returncode, 64)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr, "torque-cli: unknown field 'sise' at column 2\n"
                                   "  'sise>1'\n"
                                   "   ^\n")
        r = self.rt("rt", "--url", self.url, "-s", "nmae")
        self.assertEqual((r.returncode, r.stderr.splitlines()[0]),
                         (64, "torque-cli: --sort: unknown field 'nmae'"))

    def test_no_match_exits_1(self):
        r = self.rt("rt", "--url", self.url, "prio=2", "custom_1=nosuch")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (1, "", "no items match\n"))
        r = self.rt("rt", "--url", self.url, "--json", "name=nothing*")
        self.assertEqual((r.returncode, r.stdout), (1, "[]\n"))

    def test_url_from_config_file(self):
        ini = self.write("url.ini", f"[rtorrent]\nurl = {self.url}\ntimeout = 10s\n")
        r = self.rt("-c", ini, "rt", "prio=3")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[1:],
                         [n + "     3" for n in self.names(lambda i: i["prio"] == 3)])
        # $TORQUE_CONFIG is read when there is no -c.
        r = self.rt("rt", "prio=3", env={"TORQUE_CONFIG": ini})
        self.assertEqual(len(r.stdout.splitlines()), 6, r.stderr)

    def test_url_found_in_rtorrent_rc(self):
        rc = self.write("found.rc", "# a user's rtorrent.rc\n"
                                    "directory.default.set = /tmp\n"
                                    f'network.scgi.open_local = "{self.sock}"\n')
        ini = self.write("rc.ini", f"[rtorrent]\nrtorrent_rc = {rc}\n")
        r = self.rt("rt", "-c", ini, "name=item00007.bin", "-o", "name,hash,prio")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[1].split(),
                         ["item00007.bin", self.items[6]["hash"], "3"])
        # Without a config file, ~/.rtorrent.rc is read.
        home = os.path.join(self.tmp, "home-with-rc")
        os.makedirs(home, exist_ok=True)
        shutil.copy(rc, os.path.join(home, ".rtorrent.rc"))
        r = self.rt("rt", "name=item00007.bin", env={"HOME": home, "TORQUE_CONFIG": ""})
        if os.path.exists("/etc/torque/torque.ini"):
            return  # that file would be read instead; the rest depends on it
        self.assertEqual((r.returncode, r.stdout), (0, "NAME\nitem00007.bin\n"), r.stderr)

    def test_no_url_exits_78(self):
        r = self.rt("rt", "prio=2")
        self.assertEqual(r.returncode, 78)
        self.assertEqual(r.stderr,
                         f"torque-cli: no rTorrent URL: cannot read {self.home}/.rtorrent.rc: "
                         "No such file or directory (give --url, set url in the [rtorrent] "
                         f"section of {self.empty_ini}, or let [rtorrent] rtorrent_rc name an "
                         "rtorrent.rc with network.scgi.open_local)\n")

    def test_unreachable_and_refused(self):
        missing = os.path.join(self.tmp, "missing.sock")
        r = self.rt("rt", "--url", missing)
        self.assertEqual((r.returncode, r.stderr), (69, f"torque-cli: cannot connect to rTorrent "
                                                        f"at scgi://{missing}: No such file or "
                                                        "directory\n"))
        r = self.rt("rt", "--url", self.url, "--view", "nosuch")
        self.assertEqual((r.returncode, r.stderr),
                         (65, "torque-cli: rTorrent fault -503: Could not find view. "
                              "(view 'nosuch')\n"))

    def test_kind_cache_is_written_back(self):
        # The first query of kind fetches the file lists and stores d.custom=kind; the next
        # one reads the cache: one round trip.
        for item in self.items:
            self.call(self.sock, "d.custom.set", item["hash"], "kind", "")
        r = self.rt("rt", "--url", self.url, "--stats", "kind=bin", "-o", "name,kind_50")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout.splitlines()), COUNT + 1)
        self.assertIn("item00001.bin  bin", r.stdout)
        self.assertRegex(r.stderr, r"^20 of 20 items matched in [0-9.]+ ms, 3 round trips\n$")
        self.assertEqual(self.call(self.sock, "d.custom", self.items[0]["hash"], "kind"),
                         "100%_bin")
        r = self.rt("rt", "--url", self.url, "--stats", "kind=bin")
        self.assertRegex(r.stderr, r"^20 of 20 items matched in [0-9.]+ ms, 1 round trip\n$")


@unittest.skipUnless(HAVE_RTORRENT, "rtorrent or the ../shared/rtorrent kit is not installed")
class RtNonAsciiTest(unittest.TestCase):
    """Case-insensitive matching folds non-ASCII letters as Python's lower() does, with and
    without the pre-filter; rTorrent folds ASCII only, so the pre-filter must not drop an
    item that matches (its own rTorrent: RtTest empties the shared one)."""

    NAMES = ["\u00dcber Alles", "Mot\u00f6rhead - Ace", "\u212aelvin Scale", "\u0130stanbul",
             "Plain Uber", "\u00d6lfass"]

    @classmethod
    def setUpClass(cls):
        from rtxmlrpc import Binary, call
        cls.call = staticmethod(call)
        cls._tmp = tempfile.TemporaryDirectory(prefix="torque-e2e-rt-utf8-")
        cls.tmp = cls._tmp.name
        cls.own_rtorrent = os.path.join(cls.tmp, "rt")
        cls.sock = start_rtorrent(cls.own_rtorrent)
        cls.url = "scgi://" + cls.sock
        data = os.path.join(cls.tmp, "data")
        for n, name in enumerate(cls.NAMES):
            os.makedirs(os.path.join(data, name))
            with open(os.path.join(data, name, "f.txt"), "w") as f:
                f.write("item %d\n" % n)
            torrent = os.path.join(cls.tmp, "%d.torrent" % n)
            subprocess.run([sys.executable, os.path.join(KIT, "torrent_tool.py"), "create",
                            os.path.join(data, name), "-o", torrent], capture_output=True,
                           timeout=60, check=True)
            with open(torrent, "rb") as f:
                call(cls.sock, "load.raw", "", Binary(f.read()), "d.directory.set=" + data)
        wait_for(lambda: len(call(cls.sock, "download_list", "")) == len(cls.NAMES),
                 what="rTorrent to add the items")
        cls.home = os.path.join(cls.tmp, "home")
        os.makedirs(cls.home)
        cls.empty_ini = os.path.join(cls.tmp, "empty.ini")
        open(cls.empty_ini, "w").close()

    @classmethod
    def tearDownClass(cls):
        stop_rtorrent(cls.own_rtorrent)
        cls._tmp.cleanup()

    def select(self, condition, prefilter):
        e = dict(os.environ, HOME=self.home, TORQUE_CONFIG=self.empty_ini, TZ="UTC")
        e.pop("TORQUE_SOCKET", None)
        args = [TORQUE_CLI, "rt", "--url", self.url, "--stats", "--json", "-o", "name"]
        r = subprocess.run(args + ([] if prefilter else ["--no-prefilter"]) + [condition],
                           capture_output=True, text=True, timeout=60, env=e)
        self.assertIn(r.returncode, (0, 1), r.stderr)
        names = sorted(i["name"] for i in json.loads(r.stdout or "[]"))
        return names, r.stderr

    def test_names_are_stored_as_given(self):
        names = [row[0] for row in self.call(self.sock, "d.multicall2", "", "main", "d.name=")]
        self.assertEqual(sorted(names), sorted(self.NAMES))

    def test_non_ascii_letters_fold_with_and_without_the_prefilter(self):
        cases = [
            ("name=*\u00fcber*", ["\u00dcber Alles"], True),
            ("name=*\u00dcBER*", ["\u00dcber Alles"], True),
            ("*MOT\u00d6RHEAD*", ["Mot\u00f6rhead - Ace"], True),
            ("name=/mot\u00f6rhead/", ["Mot\u00f6rhead - Ace"], False),
            ("name=/MOT\u00d6RHEAD - a/", ["Mot\u00f6rhead - Ace"], False),
            ("name=\u00fcber?alles", ["\u00dcber Alles"], True),
            ("name=\u00f6LFASS", ["\u00d6lfass"], True),  # equality: the whole name
            ("name=\u00fcber,mot\u00d6rhead,plain?uber", ["Plain Uber"], True),
            # Code points whose lower case is ASCII: rTorrent must not drop them.
            ("name=*kelvin*", ["\u212aelvin Scale"], True),
            ("name=i*", ["\u0130stanbul"], True),
            ("name=*kelvin*,*i", ["\u212aelvin Scale"], True),
            ("name=*uber*", ["Plain Uber"], True),
        ]
        for condition, expected, translated in cases:
            for prefilter in (True, False):
                with self.subTest(condition=condition, prefilter=prefilter):
                    names, stats = self.select(condition, prefilter)
                    self.assertEqual(names, expected)
                    self.assertEqual("rTorrent pre-filter:" in stats, prefilter and translated,
                                     stats)


if __name__ == "__main__":
    unittest.main()
