"""The kill soak: torqued SIGKILLed at random (seeded) moments, again and again, while

- 8 client threads submit jobs over the socket, each submission recorded with its outcome
  (ACK and id, a refusal, or in flight when torqued died: committed or not, nobody knows);
- the jobs run a script that appends "ID TOKEN ATTEMPT" to one file (O_APPEND), then succeeds,
  fails some attempts (retried), fails every attempt, or outlives its job timeout;
- done and failed jobs of two types are mailed to a real SMTP server on loopback;
- a `second=*/2` schedule fires a job type;
- SIGHUP reloads with a changed configuration arrive at random moments;
- metafiles dropped into a watched tree are loaded into a real rTorrent (the kit's) by the
  tree watch, stopped, and the queue manager starts them.

After each kill, while torqued is down, `PRAGMA integrity_check` on a read-only connection must
say ok. At the end everything drains and `check` holds the run to torque's promises: every
acknowledged job is final, ran, and ended as its behaviour says; nothing ran or was stored that
was not submitted (a submission in flight at a kill may be committed without an ACK: counted);
no schedule due time fired twice; a mail for every job whose final state calls for one
(duplicates counted: the at-least-once window); rTorrent holds every dropped metafile, each
accepted once (extra load calls refused as duplicates are counted), each started.

Shared by bench/soak.py (100 kills, prints the figures) and test_soak.py (a short run)."""

import collections
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import xmlrpc.client

from torque_e2e import HAVE_RTORRENT, RT_KIT, Conn, Daemon, free_port, start_rtorrent, \
    stop_rtorrent, wait_for

try:
    from test_notify import Controller, SmtpSink
except ImportError:
    Controller = SmtpSink = None

HAVE_SMTP = Controller is not None
CLIENTS = 8
EXEC_TYPES = ("quick", "flaky", "slow")
# (type, behaviour, weight): what a client submits. failN fails the first N attempts.
MIX = (("quick", "ok", 45), ("quick", "fail9", 5), ("flaky", "ok", 10), ("flaky", "fail1", 8),
       ("flaky", "fail2", 6), ("flaky", "fail9", 6), ("slow", "ok", 12), ("slow", "hang", 3))
# Which final states are mailed: (type, state) -> subject word.
MAILED = {("flaky", "done"): "SUCCESS", ("flaky", "failed"): "FAIL", ("slow", "failed"): "FAIL"}
CRASH_FAILED = "interrupted by a daemon crash"
TICK_MS = 2000  # the tick type's schedule: second=*/2

JOB_SCRIPT = """\
#!/bin/sh
# A soak job: one short O_APPEND write of "ID TOKEN ATTEMPT", then the behaviour $2.
printf '%s %s %s\\n' "$TORQUE_JOB_ID" "$1" "$TORQUE_JOB_ATTEMPT" >> '{ran}'
case "$2" in
  fail*) [ "$TORQUE_JOB_ATTEMPT" -gt "${{2#fail}}" ] || exit 3 ;;
  hang) exec sleep 10 ;;
esac
"""


class Submission:
    __slots__ = ("token", "type", "behaviour", "outcome", "id", "reply")

    def __init__(self, token, type_, behaviour):
        self.token, self.type, self.behaviour = token, type_, behaviour
        self.outcome = "unsent"  # acked, refused, in flight
        self.id = None
        self.reply = None


class Observations:
    """What a run saw; `check` judges it (and tests judge doctored copies)."""

    def __init__(self):
        self.submissions = {}     # token -> Submission
        self.ran = []             # (id, token, attempt) lines of the jobs' file
        self.jobs = {}            # id -> dict(type, args, state, attempts, created_at, error)
        self.outbox = 0           # notifications still undelivered at the end
        self.mails = []           # subjects received
        self.integrity = []       # PRAGMA integrity_check results, one per check
        self.dropped = {}         # info hash -> path of the metafile dropped into the tree
        self.items = {}           # info hash -> (name, is_active): rTorrent's items at the end
        self.load_calls = collections.Counter()  # info hash -> load calls torqued made
        self.accepted = collections.Counter()    # info hash -> loads rTorrent did not hold yet
        self.starts = collections.Counter()      # item name -> queue manager start requests
        self.log = ""             # torqued's log file
        self.final_stop = None    # torqued's exit status at the clean stop at the end
        self.figures = []         # (name, value) measured by the run itself


def add_violation(violations, what, examples):
    """One line per kind of violation, with up to 5 examples."""
    examples = list(examples)
    if examples:
        shown = ", ".join(str(e) for e in examples[:5])
        more = " (+%d more)" % (len(examples) - 5) if len(examples) > 5 else ""
        violations.append("%s: %d: %s%s" % (what, len(examples), shown, more))


def check(obs):
    """Returns (figures, violations): the run's figures and every broken promise."""
    figures = list(obs.figures)
    violations = []
    subs = obs.submissions
    outcomes = collections.Counter(s.outcome for s in subs.values())
    by_id = {s.id: s for s in subs.values() if s.outcome == "acked"}

    # Integrity after every kill.
    add_violation(violations, "integrity_check not ok",
                  [r for r in obs.integrity if r != "ok"])

    # The jobs' file: each line from a job that was submitted (or fired), with its id.
    runs = collections.defaultdict(list)  # id -> attempts
    strangers = []
    for job_id, token, attempt in obs.ran:
        runs[job_id].append(attempt)
        if token == "tick":
            if obs.jobs.get(job_id, {}).get("type") != "tick":
                strangers.append("job %d ran as tick, not a tick job" % job_id)
            continue
        sub = subs.get(token)
        if sub is None or sub.outcome in ("unsent", "refused"):
            strangers.append("job %d ran for %s, never submitted%s" % (
                job_id, token, " (refused: %s)" % sub.reply if sub else ""))
        elif sub.outcome == "acked" and sub.id != job_id:
            strangers.append("job %d ran for %s, acknowledged as job %d" % (job_id, token, sub.id))
    add_violation(violations, "ran but never submitted", strangers)

    # The database: every job of the exec types was submitted; every one is final.
    unknown, committed_unacked = [], 0
    for job_id, j in obs.jobs.items():
        if j["type"] not in EXEC_TYPES:
            continue
        token = j["args"].split(" ")[0]
        sub = subs.get(token)
        if sub is None or sub.outcome in ("unsent", "refused") or \
                (sub.outcome == "acked" and sub.id != job_id):
            unknown.append("job %d (%s %s)" % (job_id, j["type"], j["args"]))
        elif sub.outcome == "in flight":
            committed_unacked += 1
            if (sub.type, sub.behaviour) != (j["type"], " ".join(j["args"].split(" ")[1:])):
                unknown.append("job %d (%s %s) for %s %s" % (job_id, j["type"], j["args"],
                                                              sub.type, sub.behaviour))
    add_violation(violations, "stored but never submitted", unknown)
    add_violation(violations, "not final after the drain",
                  ["job %d (%s) %s" % (i, j["type"], j["state"]) for i, j in obs.jobs.items()
                   if j["state"] not in ("done", "failed", "cancelled")
                   and j["type"] in EXEC_TYPES + ("tick",)])

    # Every acknowledged job: stored as submitted, final as its behaviour says, ran.
    lost, wrong, never_ran = [], [], []
    crash_failed = 0
    for sub in subs.values():
        if sub.outcome != "acked":
            continue
        j = obs.jobs.get(sub.id)
        if j is None or j["type"] != sub.type or j["args"] != sub.token + " " + sub.behaviour:
            lost.append("job %d (%s %s %s)%s" % (sub.id, sub.type, sub.token, sub.behaviour,
                                                "" if j is None else " stored as %s %s" % (
                                                    j["type"], j["args"])))
            continue
        if not runs.get(sub.id):
            never_ran.append("job %d (%s %s)" % (sub.id, sub.type, sub.token))
        if j["state"] == "failed" and CRASH_FAILED in j["error"]:
            crash_failed += 1
            continue
        want = "failed" if sub.behaviour in ("fail9", "hang") else "done"
        if j["state"] != want:
            wrong.append("job %d (%s %s) %s, not %s: %s" % (sub.id, sub.type, sub.behaviour,
                                                            j["state"], want, j["error"][:120]))
    add_violation(violations, "acknowledged but lost", lost)
    add_violation(violations, "acknowledged but never ran", never_ran)
    add_violation(violations, "final state not the behaviour's", wrong)
    add_violation(violations, "committed in flight but never ran",
                  ["job %d" % i for i, j in obs.jobs.items() if j["type"] in EXEC_TYPES
                   and subs.get(j["args"].split(" ")[0]) is not None
                   and subs[j["args"].split(" ")[0]].outcome == "in flight" and not runs.get(i)])

    # The schedule: one job per due time (the fire is the latest due time at or before the
    # moment its job was created, in the same transaction), and each ran.
    ticks = sorted((i, j) for i, j in obs.jobs.items() if j["type"] == "tick")
    dues = collections.Counter(j["created_at"] - j["created_at"] % TICK_MS for _, j in ticks)
    add_violation(violations, "schedule due time fired twice",
                  [time.strftime("%H:%M:%S", time.gmtime(d / 1000)) + "Z x%d" % n
                   for d, n in sorted(dues.items()) if n > 1])
    add_violation(violations, "fired but never ran", ["tick job %d" % i for i, j in ticks
                                                      if j["state"] == "done" and not runs.get(i)])

    # Notifications.
    expected = collections.Counter()
    for job_id, j in obs.jobs.items():
        word = MAILED.get((j["type"], j["state"]))
        if word:
            expected[(word, job_id)] = 1
    got = collections.Counter()
    for subject in obs.mails:
        m = re.match(r"\[torque\] (\w+) job (\d+) ", subject)
        got[(m.group(1), int(m.group(2))) if m else (subject, 0)] += 1
    add_violation(violations, "notification lost",
                  ["%s job %d" % k for k in sorted(expected) if not got[k]])
    add_violation(violations, "notification nobody asked for",
                  ["%s job %s" % k for k in sorted(got) if not expected[k]])
    duplicates = sum(n - 1 for k, n in got.items() if expected[k] and n > 1)
    if obs.outbox:
        violations.append("notifications left in the outbox: %d" % obs.outbox)

    # The tree watch and the queue manager.
    add_violation(violations, "metafile lost (not in rTorrent)",
                  ["#%s %s" % (h, p) for h, p in sorted(obs.dropped.items())
                   if h not in obs.items])
    add_violation(violations, "item in rTorrent never dropped",
                  ["#%s" % h for h in sorted(obs.items) if h not in obs.dropped])
    add_violation(violations, "metafile loaded twice",
                  ["#%s x%d" % (h, n) for h, n in sorted(obs.accepted.items()) if n > 1])
    add_violation(violations, "item never started by the queue manager",
                  ["#%s %s" % (h, name) for h, (name, active) in sorted(obs.items.items())
                   if not active])
    calls = collections.Counter(obs.load_calls[h] for h in obs.dropped)

    # torqued itself.
    reloads = obs.log.count("configuration reloaded:")
    rejected = [line for line in obs.log.splitlines() if "configuration reload rejected" in line]
    add_violation(violations, "reload rejected", rejected)
    if obs.final_stop != 0:
        violations.append("the clean stop at the end exited with %s" % obs.final_stop)

    acked = outcomes["acked"]
    figures += [
        ("integrity checks (all ok)", "%d" % len(obs.integrity)),
        ("submissions sent", "%d" % (len(subs) - outcomes["unsent"])),
        ("  acknowledged", "%d" % acked),
        ("  in flight at a kill", "%d" % outcomes["in flight"]),
        ("    of which committed, never ACKed", "%d" % committed_unacked),
        ("  refused (ERR)", "%d" % outcomes["refused"]),
        ("acknowledged jobs done / failed", "%d / %d" % (
            sum(1 for s in by_id.values() if obs.jobs.get(s.id, {}).get("state") == "done"),
            sum(1 for s in by_id.values() if obs.jobs.get(s.id, {}).get("state") == "failed"))),
        ("  failed by crash recovery", "%d" % crash_failed),
        ("job runs (lines written)", "%d" % len(obs.ran)),
        ("  jobs run more than once", "%d" % sum(1 for a in runs.values() if len(a) > 1)),
        ("  runs repeating an attempt number", "%d" % sum(
            len(a) - len(set(a)) for a in runs.values())),
        ("schedule fires (distinct due times)", "%d (%d)" % (len(ticks), len(dues))),
        ("notifications expected / received", "%d / %d" % (len(expected), len(obs.mails))),
        ("  duplicates (at-least-once window)", "%d" % duplicates),
        ("SIGHUP reloads done", "%d" % reloads),
        ("metafiles dropped / items in rTorrent", "%d / %d" % (len(obs.dropped), len(obs.items))),
        ("  load calls per metafile", ", ".join(
            "%d call%s: %d" % (n, "" if n == 1 else "s", k) for n, k in sorted(calls.items()))),
        ("  items started / start requests", "%d / %d" % (
            sum(1 for _, a in obs.items.values() if a), sum(obs.starts.values()))),
        ("violations", "%d" % len(violations)),
    ]
    return figures, violations


def parse_xmlrpc_log(text, obs):
    """Counts, from rTorrent's XMLRPC log (each request, then its response), the tree watch's
    load calls per info hash, those that rTorrent did not hold yet (it accepted the load),
    and the queue manager's start requests per item name."""
    for name in re.findall(r"QueueManager: Started '([^']*)'", text):
        obs.starts[name] += 1
    chunks = text.split("\n---\n")
    for i, chunk in enumerate(chunks):
        if "<methodName>system.multicall</methodName>" not in chunk or \
                "<string>d.hash</string>" not in chunk or "load." not in chunk:
            continue
        request = chunk[chunk.index("<?xml"):]
        calls = xmlrpc.client.loads(request)[0][0]
        answers = None
        if i + 1 < len(chunks) and "<methodResponse>" in chunks[i + 1]:
            try:
                answers = xmlrpc.client.loads(chunks[i + 1][chunks[i + 1].index("<?xml"):])[0][0]
            except xmlrpc.client.Fault:
                answers = None
        for k, call in enumerate(calls):
            if call["methodName"] != "d.hash" or k + 1 >= len(calls) or \
                    not calls[k + 1]["methodName"].startswith("load."):
                continue
            h = call["params"][0]
            obs.load_calls[h] += 1
            # Not held (fault -501) and the load answered 0: rTorrent took it.
            if answers is not None and isinstance(answers[k], dict) and \
                    answers[k].get("faultCode") == -501 and answers[k + 1] == [0]:
                obs.accepted[h] += 1


class Soak:
    """One soak run in work_dir: `run()` returns Observations (check them with `check`)."""

    def __init__(self, work_dir, kills, seed, up_max=3.0, drain_timeout=300.0, say=None):
        self.dir = work_dir
        self.kills = kills
        self.seed = seed
        self.rng = random.Random(seed)
        self.up_max = up_max
        self.drain_timeout = drain_timeout
        self.say = say or (lambda text: None)
        self.obs = Observations()
        self.lock = threading.Lock()        # obs.submissions
        self.dlock = threading.Lock()       # the daemon: started, killed, signalled
        self.starting = False               # spawned, not yet answering PING
        self.spawned = 0.0
        self.stop = threading.Event()
        self.variant = (False, False, False, False)
        self.hups = 0
        self.hups_starting = 0
        self.restart_times = []

    # --- setting up ---------------------------------------------------------------------

    def setup(self):
        self.ran_file = os.path.join(self.dir, "ran.txt")
        self.script = os.path.join(self.dir, "job.sh")
        with open(self.script, "w") as f:
            f.write(JOB_SCRIPT.format(ran=self.ran_file))
        self.watch = os.path.join(self.dir, "watch")
        for sub in ("", "tv", "movies/hd"):
            os.makedirs(os.path.join(self.watch, sub), exist_ok=True)
        self.outside = os.path.join(self.dir, "outside")
        os.makedirs(self.outside)
        # Metafiles for the drops, made by the kit (a drop every 0.35 s on average).
        count = self.kills * 8 + 40
        out = subprocess.run([sys.executable, os.path.join(RT_KIT, "torrent_tool.py"), "many",
                              str(count), os.path.join(self.dir, "made"), "--size", "2000"],
                             capture_output=True, text=True, timeout=300, check=True).stdout
        self.metafiles = [line.split(" ", 1) for line in out.splitlines() if line.strip()]
        self.rng.shuffle(self.metafiles)
        self.rt_sock = start_rtorrent(self.rt_dir, log_xmlrpc=True)
        sys.path.insert(0, RT_KIT)
        from rtxmlrpc import call
        self.rt_call = call
        self.smtp = SmtpSink(free_port())
        os.makedirs(os.path.join(self.dir, "torqued"))
        self.daemon = Daemon(os.path.join(self.dir, "torqued"), *self.config())

    def config(self, drain=False):
        """(jobs_ini, server_ini) for the current variant: SIGHUP reloads flip its parts."""
        spare, quick3, settle, start_at_once = self.variant
        exec_command = "/bin/sh %s {args}" % self.script
        jobs = textwrap.dedent(f"""
            [notify]
            smtp_url = smtp://127.0.0.1:{self.smtp.controller.port}
            mail_from = torqued@soak.invalid
            timeout = 10s
            retry_delay = 200ms
            retry_max_delay = 1s
            digest_after = 0

            [rtorrent]
            url = scgi://{self.rt_sock}

            [job quick]
            command = {exec_command}
            concurrent = {3 if quick3 else 2}

            [job flaky]
            command = {exec_command}
            concurrent = 2
            retries = 2
            retry_delay = 100ms
            retry_max_delay = 400ms
            notify_fail = mail fail@soak.invalid
            notify_success = mail done@soak.invalid

            [job slow]
            command = {exec_command}
            concurrent = 4
            timeout = 1s
            retries = 1
            retry_delay = 100ms
            notify_fail = mail fail@soak.invalid

            [job tick]
            command = /bin/sh {self.script} tick ok
            schedule = {"" if drain else "second=*/2"}
            """)
        if spare:
            jobs += "\n[job spare]\ncommand = /bin/true\n"
        jobs += textwrap.dedent(f"""
            [TORQUE]
            job.treewatch.active = True
            job.treewatch.path = {self.watch}
            job.treewatch.load_mode = start
            job.treewatch.queued = True
            job.treewatch.settle = {"150ms" if settle else "100ms"}
            job.treewatch.retry_delay = 200ms
            job.treewatch.retry_max_delay = 1s
            job.queue.active = True
            job.queue.schedule = second=*/3
            job.queue.downloading_max = 100000
            job.queue.start_at_once = {21 if start_at_once else 20}
            """)
        return jobs, "retention = 30d\n"

    # --- the actors -----------------------------------------------------------------------

    def client(self, n):
        rng = random.Random("%s-client-%d" % (self.seed, n))
        types = [(t, b) for t, b, w in MIX for _ in range(w)]
        conn, i = None, 0
        while not self.stop.is_set():
            if conn is None:
                try:
                    conn = Conn(self.daemon.socket, timeout=60)
                except OSError:
                    time.sleep(0.05)  # torqued is down
                    continue
            type_, behaviour = rng.choice(types)
            sub = Submission("c%d-%d" % (n, i), type_, behaviour)
            i += 1
            with self.lock:
                self.obs.submissions[sub.token] = sub
            try:
                conn.send("%s %s %s\n" % (type_, sub.token, behaviour))
            except OSError:
                # torqued's end was closed before: nothing reached it.
                conn.close()
                conn = None
                continue
            sub.outcome = "in flight"
            try:
                reply = conn.line()
            except OSError:
                conn.close()
                conn = None
                continue
            if reply.startswith("ACK "):
                sub.id = int(reply.split()[1])
                sub.outcome = "acked"
            else:
                sub.outcome, sub.reply = "refused", reply
            time.sleep(rng.uniform(0.05, 0.55))
        if conn:
            conn.close()

    def dropper(self):
        """Drops the metafiles into the tree: some written in place, some moved in."""
        rng = random.Random("%s-dropper" % self.seed)
        while not self.stop.wait(rng.uniform(0.1, 0.6)) and self.metafiles:
            infohash, made = self.metafiles.pop()
            folder = rng.choice(("", "tv", "movies/hd"))
            path = os.path.join(self.watch, folder, os.path.basename(made))
            with open(made, "rb") as f:
                data = f.read()
            if rng.random() < 0.5:
                with open(path, "wb") as f:
                    f.write(data)
            else:
                aside = os.path.join(self.outside, os.path.basename(made))
                with open(aside, "wb") as f:
                    f.write(data)
                os.rename(aside, path)
            self.obs.dropped[infohash] = path

    def hupper(self):
        """SIGHUP with a changed configuration at random moments, starts included."""
        rng = random.Random("%s-hup" % self.seed)
        while not self.stop.wait(rng.uniform(0.3, 2.5)):
            with self.dlock:
                if not self.daemon.alive() or not takes_sighup(self.daemon.proc.pid):
                    continue
                bits = list(self.variant)
                bits[rng.randrange(len(bits))] ^= True
                self.variant = tuple(bits)
                self.daemon.write_config(*self.config())
                self.daemon.proc.send_signal(signal.SIGHUP)
                self.hups += 1
                self.hups_starting += self.starting

    # --- the kill loop --------------------------------------------------------------------

    def spawn(self):
        with self.dlock:
            self.daemon.start(wait=False)
            self.spawned = time.monotonic()
            self.starting = True

    def wait_ready(self, when):
        try:
            wait_for(self.daemon.ready, timeout=60, what="torqued to answer PING")
        except AssertionError as e:
            raise SoakAbort("torqued did not come back %s: %s" % (when, e))
        self.restart_times.append(time.monotonic() - self.spawned)
        self.starting = False

    def kill(self, when):
        with self.dlock:
            self.daemon.proc.send_signal(signal.SIGKILL)
            status = self.daemon.proc.wait(timeout=60)
            if status != -signal.SIGKILL:
                raise SoakAbort("torqued exited by itself (status %s) %s:\n%s"
                                % (status, when, self.log_tail()))
            self.integrity_check()

    def integrity_check(self):
        if not os.path.exists(self.daemon.database):
            self.obs.integrity.append("ok")  # killed before it made the database
            return
        db = sqlite3.connect("file:%s?mode=ro" % self.daemon.database, uri=True)
        try:
            rows = db.execute("PRAGMA integrity_check").fetchall()
        finally:
            db.close()
        self.obs.integrity.append("; ".join(r[0] for r in rows))

    def kill_loop(self):
        early = 0
        self.spawn()
        self.wait_ready("at the start")
        for k in range(self.kills):
            time.sleep(self.rng.uniform(0.2, self.up_max))
            self.kill("before kill %d" % (k + 1))
            # Now and then, kill it again while it starts (recovery, migrations, scan).
            if self.rng.random() < 0.15 and k + 1 < self.kills:
                early += 1
                self.spawn()
                time.sleep(self.rng.uniform(0.0, 0.3))
                self.kill("while starting after kill %d" % (k + 1))
            self.spawn()
            self.wait_ready("after kill %d" % (k + 1))
            if (k + 1) % 10 == 0:
                self.say("%d kills, %d submissions" % (k + 1, len(self.obs.submissions)))
        # The last run goes on for a while with everything else: what the last kill left is
        # recovered while clients submit, and the schedule fires at least once.
        time.sleep(max(self.up_max, 2.5))
        return early

    def log_tail(self, lines=30):
        return "\n".join(self.daemon.log_text().splitlines()[-lines:])

    # --- draining and collecting ----------------------------------------------------------

    def read_db(self):
        db = sqlite3.connect("file:%s?mode=ro" % self.daemon.database, uri=True)
        try:
            jobs = {r[0]: dict(type=r[1], args=r[2], state=r[3], attempts=r[4], created_at=r[5],
                               error=r[6])
                    for r in db.execute("SELECT id, type, args, state, attempts, created_at, "
                                        "error FROM jobs")}
            outbox = db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        finally:
            db.close()
        return jobs, outbox

    def rt_items(self):
        rows = self.rt_call(self.rt_sock, "d.multicall2", "", "main", "d.hash=", "d.name=",
                            "d.is_active=")
        return {h: (name, bool(active)) for h, name, active in rows}

    def drained(self):
        jobs, outbox = self.read_db()
        busy = [i for i, j in jobs.items()
                if j["type"] in EXEC_TYPES + ("tick",) and j["state"] in ("queued", "running")]
        items = self.rt_items()
        waiting = [h for h in self.obs.dropped if not items.get(h, ("", False))[1]]
        self.drain_left = "%d jobs queued or running, %d undelivered notifications, %d " \
                          "metafiles not yet loaded and started" % (len(busy), outbox,
                                                                     len(waiting))
        return not busy and not outbox and not waiting

    def drain(self):
        with self.dlock:
            self.daemon.write_config(*self.config(drain=True))  # no more ticks
            outcome = self.daemon.reload()
            if "configuration reloaded:" not in outcome:
                raise SoakAbort("the drain's reload failed: " + outcome)
        self.drain_left = ""
        try:
            wait_for(self.drained, timeout=self.drain_timeout, interval=0.5,
                     what="everything to drain")
        except AssertionError as e:
            raise SoakAbort("%s: %s" % (e, self.drain_left))
        # A duplicate mail or a late run of a job orphaned by a kill would come now.
        time.sleep(2.0)

    def collect(self):
        obs = self.obs
        obs.final_stop = self.daemon.stop()
        self.integrity_check()
        obs.jobs, obs.outbox = self.read_db()
        obs.items = self.rt_items()
        obs.mails = [str(msg["Subject"]) for _, _, msg in self.smtp.messages()]
        with open(self.ran_file) as f:
            for line in f:
                job_id, token, attempt = line.split()
                obs.ran.append((int(job_id), token, int(attempt)))
        with open(self.daemon.log, errors="replace") as f:
            obs.log = f.read()
        with open(os.path.join(self.rt_dir, "xmlrpc.log"), errors="replace") as f:
            parse_xmlrpc_log(f.read(), obs)

    def run(self):
        """Runs the soak; returns the Observations. Raises SoakAbort when the run cannot go
        on (torqued not coming back, or not draining)."""
        began = time.monotonic()
        threads = []
        self.smtp = self.daemon = None
        self.rt_dir = os.path.join(self.dir, "rt")
        try:
            self.setup()
            actors = [threading.Thread(target=self.client, args=(n,)) for n in range(CLIENTS)]
            actors += [threading.Thread(target=self.dropper), threading.Thread(target=self.hupper)]
            for t in actors:
                t.start()
            threads = actors
            try:
                early = self.kill_loop()
            finally:
                self.stop.set()
                for t in threads:
                    t.join()
            soaked = time.monotonic() - began
            self.say("drain")
            drain_began = time.monotonic()
            self.drain()
            drained = time.monotonic() - drain_began
            self.collect()
        finally:
            self.stop.set()
            for t in threads:
                t.join()
            if self.daemon and self.daemon.alive():
                self.daemon.kill()
            if self.smtp:
                self.smtp.stop()
            stop_rtorrent(self.rt_dir, purge=False)
        restarts = sorted(self.restart_times[1:]) or [0.0]
        self.obs.figures = [
            ("seed", "%s" % self.seed),
            ("SIGKILLs (of which while starting)", "%d (%d)" % (self.kills + early, early)),
            ("soak / drain time", "%.0f s / %.1f s" % (soaked, drained)),
            ("restart to first PONG p50 / max", "%.0f / %.0f ms" % (
                restarts[len(restarts) // 2] * 1000, restarts[-1] * 1000)),
            ("SIGHUPs sent (of which while starting)", "%d (%d)" % (self.hups,
                                                                  self.hups_starting)),
        ]
        return self.obs


def takes_sighup(pid):
    """Whether torqued handles a SIGHUP now: caught, or blocked until its handler exists (it
    blocks it first thing). Not so between its exec and its main, where the default action
    of a SIGHUP would end it."""
    try:
        with open("/proc/%d/status" % pid) as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
    except OSError:
        return False
    mask = 1 << (signal.SIGHUP - 1)
    return bool((int(fields["SigBlk"], 16) | int(fields["SigCgt"], 16)) & mask)


class SoakAbort(Exception):
    """The run could not go on; the message says why."""


def available():
    """Why a soak cannot run here, or None."""
    if not HAVE_RTORRENT:
        return "rtorrent or the ../shared/rtorrent kit is not installed"
    if not HAVE_SMTP:
        return "aiosmtpd is not installed for this python (Debian package python3-aiosmtpd)"
    return None


def run_soak(kills, seed, work_dir=None, keep=False, say=None, **kw):
    """Runs a soak of `kills` kills in a temp dir (or work_dir); returns (figures,
    violations). An aborted run is one violation."""
    own = work_dir is None
    if own:
        work_dir = tempfile.mkdtemp(prefix="torque-soak-", dir=os.environ.get("TORQUE_BENCH_DIR"))
    soak = Soak(work_dir, kills, seed, say=say, **kw)
    try:
        try:
            obs = soak.run()
        except SoakAbort as e:
            return list(soak.obs.figures), ["aborted: %s" % e]
        return check(obs)
    finally:
        if own and not keep:
            subprocess.run(["rm", "-rf", work_dir])
