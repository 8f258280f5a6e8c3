"""The kill soak, short: 5 SIGKILLs of torqued while clients submit, jobs run, fail, retry
and time out, mails go to a real SMTP server, a schedule fires, SIGHUP reloads happen and the
tree watch and queue manager work a real rTorrent (see soak.py; bench/soak.py runs 100).
The second test shows that the checks catch each broken promise, on doctored copies of what
the run saw. Skipped without rtorrent or aiosmtpd."""

import copy
import os
import random
import shutil
import tempfile
import unittest

import soak

KILLS = 5


@unittest.skipIf(soak.available(), soak.available())
class SoakTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.seed = int(os.environ.get("TORQUE_SOAK_SEED") or random.randrange(1 << 32))
        cls.work = tempfile.mkdtemp(prefix="torque-e2e-soak-")
        cls.obs, cls.aborted = None, None
        try:
            cls.obs = soak.Soak(cls.work, KILLS, cls.seed, up_max=2.0, drain_timeout=90).run()
        except soak.SoakAbort as e:
            cls.aborted = str(e)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def observations(self):
        if self.aborted:
            self.fail("seed %d: the soak aborted: %s" % (self.seed, self.aborted))
        return self.obs

    def test_kills_break_no_promise(self):
        obs = self.observations()
        figures, violations = soak.check(obs)
        table = "\n".join("%s: %s" % f for f in figures)
        self.assertEqual(violations, [], "seed %d\n%s" % (self.seed, table))
        # The run did what it is meant to: each part had work to do.
        self.assertGreaterEqual(len(obs.integrity), KILLS + 1, table)  # each kill's, the last
        acked = [s for s in obs.submissions.values() if s.outcome == "acked"]
        self.assertGreater(len(acked), 20, table)
        self.assertTrue(obs.mails, table)
        self.assertTrue(any(j["type"] == "tick" for j in obs.jobs.values()), table)
        self.assertTrue(obs.dropped, table)
        self.assertEqual(set(obs.items), set(obs.dropped), table)
        self.assertIn("configuration reloaded:", obs.log)

    def test_the_checks_catch_each_broken_promise(self):
        obs = self.observations()
        acked = next(s for s in obs.submissions.values() if s.outcome == "acked")
        hang = next((s for s in obs.submissions.values()
                     if s.outcome == "acked" and s.behaviour == "hang"), None)
        ticks = sorted(i for i, j in obs.jobs.items() if j["type"] == "tick")
        a_hash = next(iter(obs.dropped))

        def broken(doctor, violation):
            o = copy.deepcopy(obs)
            doctor(o)
            _, violations = soak.check(o)
            self.assertTrue(any(v.startswith(violation) for v in violations),
                            "%s not caught: %s" % (violation, violations))

        broken(lambda o: o.integrity.append("row 7 missing from index jobs_claim"),
               "integrity_check not ok")
        broken(lambda o: o.ran.append((999999, "c0-999999", 1)), "ran but never submitted")
        broken(lambda o: o.ran.append((acked.id + 1, acked.token, 1)), "ran but never submitted")
        broken(lambda o: setattr(o, "ran", [r for r in o.ran if r[0] != acked.id]),
               "acknowledged but never ran")
        broken(lambda o: o.jobs.pop(acked.id), "acknowledged but lost")
        broken(lambda o: o.jobs[acked.id].update(state="running"), "not final after the drain")
        broken(lambda o: o.jobs.update({999999: dict(type="quick", args="c9-1 ok", state="done",
                                                     attempts=1, created_at=0, error="")}),
               "stored but never submitted")
        if hang:
            broken(lambda o: o.jobs[hang.id].update(state="done"),
                   "final state not the behaviour's")
        if len(ticks) > 1:
            broken(lambda o: o.jobs[ticks[1]].update(created_at=o.jobs[ticks[0]]["created_at"]),
                   "schedule due time fired twice")
        mailed = obs.mails[0]
        broken(lambda o: setattr(o, "mails", [m for m in o.mails if m != mailed]),
               "notification lost")
        # (Not a mail about `acked`: it may be a failed job whose FAIL mail is expected, and
        # a second one is a duplicate.)
        broken(lambda o: o.mails.append("[torque] FAIL job 999999 quick x"),
               "notification nobody asked for")
        broken(lambda o: setattr(o, "outbox", 1), "notifications left in the outbox")
        broken(lambda o: o.items.pop(a_hash), "metafile lost")
        broken(lambda o: o.items.update({"AB" * 20: ("x", True)}), "item in rTorrent never dropped")
        broken(lambda o: o.accepted.update({a_hash: 2}), "metafile loaded twice")
        broken(lambda o: o.items.update({a_hash: (o.items[a_hash][0], False)}),
               "item never started")
        broken(lambda o: setattr(o, "log", o.log + "x configuration reload rejected: y\n"),
               "reload rejected")
        # A duplicate mail is the at-least-once window: counted, not a violation.
        o = copy.deepcopy(obs)
        o.mails.append(mailed)
        figures, violations = soak.check(o)
        self.assertEqual(violations, [])
        self.assertGreaterEqual(int(dict(figures)["  duplicates (at-least-once window)"]), 1)


if __name__ == "__main__":
    unittest.main()
