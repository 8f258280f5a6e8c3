#!/usr/bin/python3
"""The kill soak: torqued SIGKILLed N times at random (seeded) moments while 8 clients submit,
jobs run, fail, retry and time out, notifications are mailed to a real SMTP server, a schedule
fires, SIGHUP reloads happen, and the tree watch loads metafiles into the kit's real rTorrent
where the queue manager starts them. Checks after every kill and at the end are in
tests/e2e/soak.py (shared with the short version, tests/e2e/test_soak.py).

    bench/soak.py [BUILD_DIR] [--kills N] [--seed S] [--max-up SECONDS] [--keep]

Prints the figures; exits 0 when every promise held, else 1 with the violations. 100 kills
take about 4 minutes on 2 cores."""

import argparse
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
    ap.add_argument("--kills", type=int, default=100, help="SIGKILLs (default 100)")
    ap.add_argument("--seed", type=int, help="random seed (default: a new one, printed)")
    ap.add_argument("--max-up", type=float, default=3.0,
                    help="longest run of torqued between two kills, seconds (default 3)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (printed)")
    a = ap.parse_args()
    if a.kills < 1:
        ap.error("--kills must be at least 1")
    if a.max_up < 0.2:
        ap.error("--max-up must be at least 0.2")
    build = os.path.abspath(a.build)
    os.environ["TORQUED"] = os.path.join(build, "server", "torqued")
    os.environ["TORQUE_CLI"] = os.path.join(build, "client", "torque-cli")
    if not os.access(os.environ["TORQUED"], os.X_OK):
        sys.exit("soak.py: no torqued in %s (build it: cmake --build %s --target torqued)"
                 % (build, a.build))
    sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
    import soak

    why = soak.available()
    if why:
        sys.exit("soak.py: cannot run: " + why)
    seed = a.seed if a.seed is not None else random.randrange(1 << 32)
    began = time.monotonic()

    def say(text):
        print("[%4.0f s] %s" % (time.monotonic() - began, text), file=sys.stderr, flush=True)

    work = None
    if a.keep:
        import tempfile
        work = tempfile.mkdtemp(prefix="torque-soak-", dir=os.environ.get("TORQUE_BENCH_DIR"))
        say("work dir " + work)
    say("%d kills, seed %d" % (a.kills, seed))
    figures, violations = soak.run_soak(a.kills, seed, work_dir=work, say=say, up_max=a.max_up)
    width = max(len(name) for name, _ in figures) if figures else 0
    print("%-*s  %s" % (width, "what", "figure"))
    for name, value in figures:
        print("%-*s  %s" % (width, name, value))
    print("%-*s  %.0f s" % (width, "total time", time.monotonic() - began))
    if violations:
        print("\nVIOLATIONS:")
        for v in violations:
            print("  " + v)
        sys.exit(1)


if __name__ == "__main__":
    main()
