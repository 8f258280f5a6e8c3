"""The item_action handler end to end: the real torqued and torque-cli against a real rTorrent
(../shared/rtorrent kit) holding complete items with real data: each action, moves of a
single-file and a multi-file item on the same file system (and one that must fail), a dry
run, a run over a matcher, a program run with item fields, and torque-cli rt --tag/--untag.
Skipped when rtorrent is not installed."""

import os
import subprocess
import sys
import unittest

from torque_e2e import RT_KIT, RtorrentTest, wait_for


class ItemActionTest(RtorrentTest):
    def setUp(self):
        super().setUp()
        self.data = os.path.join(self.tmp, "data")
        os.makedirs(self.data)

    def make_item(self, name, multi=False, started=True, label=""):
        """Real data in self.data, its torrent loaded with that directory, hash-checked
        complete, then started or left stopped (closed). Returns the hash."""
        path = os.path.join(self.data, name)
        if multi:
            os.makedirs(os.path.join(path, "sub"))
            for rel in ("a.bin", "sub/b.bin"):
                with open(os.path.join(path, rel), "wb") as f:
                    f.write(os.urandom(40_000))
        else:
            with open(path, "wb") as f:
                f.write(os.urandom(60_000))
        meta = os.path.join(self.tmp, name + ".torrent")
        h = subprocess.run([sys.executable, os.path.join(RT_KIT, "torrent_tool.py"), "create",
                            path, "-o", meta], capture_output=True, text=True,
                           check=True).stdout.strip()
        with open(meta, "rb") as f:
            raw = f.read()
        self.rt("load.raw", "", self.Binary(raw), "d.directory.set=" + self.data,
                "d.custom1.set=" + label)
        wait_for(lambda: h in self.rt("download_list", ""), what="the load of " + name)
        self.rt("d.start", h)
        wait_for(lambda: self.rt("d.complete", h) == 1, what="the hash check of " + name)
        if not started:
            self.rt("d.stop", h)
            self.rt("d.close", h)
        return h

    def daemon_with(self, types):
        return self.daemon(f"[rtorrent]\nurl = scgi://{self.sock}\n\n" + types)

    def run_job(self, d, *args):
        return d.cli("--wait", *args)

    def test_each_action_on_the_item_a_hook_names(self):
        h = self.make_item("each.bin", started=False)
        d = self.daemon_with(
            "[job act]\nhandler = item_action\n"
            "action = prio high; label done; custom note='{{d.name}} #{{d.hash}}'\n"
            "         tag New keep; start\n"
            "[job quiet]\nhandler = pyrosimple.job.action:Action\naction = untag new; stop\n"
            "[job drop]\nhandler = item_action\naction = erase\n")
        r = self.run_job(d, "act", h.lower())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("'each.bin' #%s: prio 3, custom 1=done, custom note='each.bin #%s', "
                      "tags 'keep new', start" % (h, h), r.stdout)
        self.assertEqual(self.rt("d.priority", h), 3)
        self.assertEqual(self.rt("d.custom1", h), "done")
        self.assertEqual(self.rt("d.custom", h, "note"), "each.bin #" + h)
        self.assertEqual(self.rt("d.custom", h, "tags"), "keep new")
        self.assertEqual(self.rt("d.state", h), 1)
        r = self.run_job(d, "quiet", h)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.rt("d.custom", h, "tags"), "keep")
        self.assertEqual((self.rt("d.state", h), self.rt("d.is_open", h)), (0, 0))
        r = self.run_job(d, "drop", h)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        wait_for(lambda: h not in self.rt("download_list", ""), what="the erase")
        self.assertTrue(os.path.exists(os.path.join(self.data, "each.bin")))  # data stays
        # The item is gone: another try cannot help.
        r = self.run_job(d, "act", h)
        self.assertEqual(r.returncode, 1)
        self.assertIn("rTorrent has no item #" + h, r.stderr)

    def test_moves_single_and_multi_file_data_and_repoints_rtorrent(self):
        single = self.make_item("single.bin", started=True, label="tv")
        multi = self.make_item("album", multi=True, started=False, label="music")
        moved = os.path.join(self.tmp, "moved")
        d = self.daemon_with("[job move]\nhandler = pyrosimple.job.move_path:PathMover\n"
                             "target = %s/{{d.label}}\n" % moved)
        r = self.run_job(d, "move", single)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        target = os.path.join(moved, "tv")
        self.assertFalse(os.path.exists(os.path.join(self.data, "single.bin")))
        self.assertTrue(os.path.isfile(os.path.join(target, "single.bin")))
        self.assertEqual(self.rt("d.directory", single), target)
        self.assertEqual(self.rt("d.base_path", single), os.path.join(target, "single.bin"))
        self.assertEqual((self.rt("d.state", single), self.rt("d.complete", single)), (1, 1))

        r = self.run_job(d, "move", multi)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        target = os.path.join(moved, "music")
        self.assertFalse(os.path.exists(os.path.join(self.data, "album")))
        self.assertTrue(os.path.isfile(os.path.join(target, "album", "sub", "b.bin")))
        self.assertEqual(self.rt("d.directory", multi), os.path.join(target, "album"))
        self.assertEqual((self.rt("d.state", multi), self.rt("d.is_open", multi)), (0, 0))
        # rTorrent finds every piece at the new place.
        self.rt("d.check_hash", multi)
        wait_for(lambda: self.rt("d.is_hash_checking", multi) == 0 and
                 self.rt("d.complete", multi) == 1, what="the re-check at the new place")
        self.rt("d.start", multi)
        self.assertEqual(self.rt("d.base_path", multi), os.path.join(target, "album"))
        # Again: already there, nothing happens.
        r = self.run_job(d, "move", single)
        self.assertIn("already in " + os.path.join(moved, "tv"), r.stdout)

    def test_a_move_onto_existing_data_leaves_everything_as_it_was(self):
        h = self.make_item("clash.bin", started=True)
        taken = os.path.join(self.tmp, "taken")
        os.makedirs(taken)
        with open(os.path.join(taken, "clash.bin"), "w") as f:
            f.write("someone else's")
        d = self.daemon_with("[job move]\nhandler = item_action\naction = move %s\n" % taken)
        r = self.run_job(d, "move", h)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("cannot move to %s: %s exists" % (taken, os.path.join(taken, "clash.bin")),
                      r.stderr)
        with open(os.path.join(taken, "clash.bin")) as f:
            self.assertEqual(f.read(), "someone else's")
        self.assertEqual(os.path.getsize(os.path.join(self.data, "clash.bin")), 60_000)
        self.assertEqual(self.rt("d.directory", h), self.data)
        self.assertEqual((self.rt("d.state", h), self.rt("d.is_active", h)), (1, 1))
        status = d.cli("--json", "list", "--state", "failed").stdout
        self.assertIn("exists", status)

    def test_dry_run_says_what_it_would_do_and_changes_nothing(self):
        h = self.make_item("dry.bin", started=True)
        d = self.daemon_with("[job move]\nhandler = item_action\ndry_run = true\n"
                             "action = label x; move %s/away; erase_data\n" % self.tmp)
        r = self.run_job(d, "move", h)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("would custom 1=x, would move %s to %s/away/ (stop, then start), would "
                      "erase and delete 1 file(s) in %s" % (
                          os.path.join(self.data, "dry.bin"), self.tmp,
                          os.path.join(self.data, "dry.bin")), r.stdout)
        self.assertEqual(self.rt("d.custom1", h), "")
        self.assertEqual(self.rt("d.directory", h), self.data)
        self.assertEqual(self.rt("d.state", h), 1)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "away")))

    def test_a_scheduled_run_acts_on_every_item_its_matcher_selects(self):
        hashes = {n: self.make_item(n, started=False, label=lbl) for n, lbl in
                  (("c.bin", "batch"), ("a.bin", "batch"), ("b.bin", "other"), ("d.bin", "batch"))}
        d = self.daemon_with("[job tidy]\nhandler = item_action\nmatcher = custom_1=batch\n"
                             "sort = -name\naction = custom seen={{d.name}}; tag done\n")
        r = self.run_job(d, "tidy")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        names = [line.split("'")[1] for line in r.stdout.splitlines() if line.startswith("'")]
        self.assertEqual(names, ["d.bin", "c.bin", "a.bin"])
        self.assertIn("3 items: 3 done, 0 failed", r.stdout)
        for name, h in hashes.items():
            want = "" if name == "b.bin" else name
            self.assertEqual(self.rt("d.custom", h, "seen"), want, name)

    def test_erase_data_removes_the_item_and_only_its_files(self):
        h = self.make_item("gone", multi=True, started=True)
        with open(os.path.join(self.data, "gone", "notes.txt"), "w") as f:
            f.write("mine")
        d = self.daemon_with("[job purge]\nhandler = item_action\naction = erase_data\n")
        r = self.run_job(d, "purge", h)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        wait_for(lambda: h not in self.rt("download_list", ""), what="the erase")
        self.assertEqual(sorted(os.listdir(os.path.join(self.data, "gone"))), ["notes.txt"])

    def test_run_gives_a_program_the_items_fields(self):
        h = self.make_item("it's here.bin", started=True, label="tv")
        out = os.path.join(self.tmp, "out.txt")
        d = self.daemon_with(
            "[job notify]\nhandler = pyrosimple.job.action:ItemCommand\n"
            "args = /bin/sh -c 'printf \"%%s|%%s|%%s\" \"$1\" \"$2\" \"$3\" > %s' sh "
            "{{d.name}} {{d.label}} {{d.path}}\n" % out)
        r = self.run_job(d, "notify", h)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(out) as f:
            self.assertEqual(f.read(), "it's here.bin|tv|" + os.path.join(self.data,
                                                                          "it's here.bin"))

    def test_rt_tag_and_untag(self):
        a = self.make_item("tag-a.bin", started=False)
        b = self.make_item("tag-b.bin", started=False)
        self.rt("d.custom.set", b, "tags", "Old")
        d = self.daemon()

        def rt(*args):
            return d.cli("rt", "--url", "scgi://" + self.sock, *args)

        r = rt("--dry-run", "--tag", "new", "name=tag-*")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.count("would tag new: "), 2)
        self.assertEqual(self.rt("d.custom", a, "tags"), "")
        r = rt("-q", "--tag", "new,x", "--untag", "old", "name=tag-*")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.rt("d.custom", a, "tags"), "new x")
        self.assertEqual(self.rt("d.custom", b, "tags"), "new x")
        r = rt("-q", "--untag", "x", "tagged=new")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual((self.rt("d.custom", a, "tags"), self.rt("d.custom", b, "tags")),
                         ("new", "new"))
        r = rt("--untag", "nothere", "name=tag-a.bin")
        self.assertIn("(nothing to change)", r.stderr)


if __name__ == "__main__":
    unittest.main()
