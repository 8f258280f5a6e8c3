"""The status page at `/` of the [http] listener: fetched with a real HTTP client, then
rendered by headless Chromium at a phone's size (its screenshot is kept in
$TORQUE_ARTIFACTS/status_page.png)."""

import json
import os
import shutil
import struct
import subprocess
import tempfile
import unittest
import urllib.request
import zlib

from torque_e2e import DaemonTest, free_port, wait_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = os.environ.get("TORQUE_ARTIFACTS") or os.path.join(tempfile.gettempdir(),
                                                               "torque-test-artifacts")

JOBS = """
[job ok]
command = echo fine {args}

[job bad]
command = /bin/sh -c "echo 'no space left <on> device' >&2; exit 3"

[job sleepy]
command = sleep 60

[job tick]
command = true
schedule = */5 * * * *
"""

EVIL_ARGS = "<script>alert(1)</script>"
SECTIONS = ("summary", "queues", "running", "failures", "schedules", "queue-pass", "rtorrent",
            "chart")


def png_facts(data):
    """(width, height, distinct bytes of the unpacked rows) of a PNG; fails if it is not one."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise AssertionError("not a PNG: %r" % data[:16])
    width, height = struct.unpack(">II", data[16:24])
    idat = b""
    at = 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            idat += data[at + 8:at + 8 + length]
        at += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


class StatusPageTest(DaemonTest):
    def setUp(self):
        super().setUp()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/"
        self.d = self.daemon(JOBS, server_ini=f"""
            [http]
            listen = 127.0.0.1:{port}
            """)
        c = self.d.conn()
        for i in range(3):
            job = int(c.call(f"ok run{i}")[4:])
            self.assertEqual(json.loads(c.call(f"WAIT {job} 30s")[3:])["state"], "done")
        job = int(c.call("bad target-7")[4:])
        self.assertEqual(json.loads(c.call(f"WAIT {job} 30s")[3:])["state"], "failed")
        self.running = int(c.call(f"sleepy {EVIL_ARGS}")[4:])
        wait_for(lambda: json.loads(c.call(f"STATUS {self.running}")[3:])["state"] == "running",
                 what="the sleepy job to run")

    def tearDown(self):
        if self.d.alive():
            self.assertEqual(self.d.stop(), 0)
        super().tearDown()

    def fetch(self):
        with urllib.request.urlopen(self.url, timeout=30) as reply:
            self.assertEqual(reply.status, 200)
            self.assertTrue(reply.headers["Content-Type"].startswith("text/html"),
                            reply.headers["Content-Type"])
            return reply.read().decode("utf-8")

    def test_page_over_http(self):
        page = self.fetch()
        os.makedirs(ARTIFACTS, exist_ok=True)
        with open(os.path.join(ARTIFACTS, "status_page.html"), "w") as f:
            f.write(page)
        self.assertTrue(page.startswith("<!DOCTYPE html>"))
        self.assertIn('<meta http-equiv="refresh" content="30">', page)
        for section in SECTIONS:
            self.assertIn(f'<section id="{section}">', page)
        # The running job's args, escaped; the failure with the error its stderr gave.
        self.assertNotIn("<script", page)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", page)
        self.assertIn("exit status 3: no space left &lt;on&gt; device", page)
        self.assertIn("target-7", page)
        self.assertIn("<code>*/5 * * * *</code>", page)
        # The three done jobs and the failure are in the chart's title.
        self.assertIn("4 finished, 1 failed</title>", page)

    def test_page_in_a_browser(self):
        if not CHROMIUM:
            self.skipTest("chromium is not installed: the page is not rendered "
                          "(install it to check the page in a browser)")
        os.makedirs(ARTIFACTS, exist_ok=True)
        screenshot = os.path.join(ARTIFACTS, "status_page.png")
        if os.path.exists(screenshot):
            os.remove(screenshot)
        common = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                  "--hide-scrollbars", "--window-size=412,915", "--no-first-run",
                  "--user-data-dir=" + os.path.join(self.tmp, "chromium")]
        dom = subprocess.run(common + ["--dump-dom", self.url], capture_output=True, text=True,
                             timeout=120)
        self.assertEqual(dom.returncode, 0, dom.stderr)
        html = dom.stdout
        for section in SECTIONS:
            self.assertIn(f'id="{section}"', html)
        # Parsed as text, not as markup: no script element came out of the args.
        self.assertNotIn("<script", html)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", html)
        self.assertIn("no space left &lt;on&gt; device", html)
        self.assertIn("<svg", html)
        self.assertIn("</svg>", html)

        shot = subprocess.run(common + ["--screenshot=" + screenshot, self.url],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(shot.returncode, 0, shot.stderr)
        with open(screenshot, "rb") as f:
            data = f.read()
        width, height, distinct = png_facts(data)
        self.assertEqual((width, height), (412, 915))
        self.assertGreater(len(data), 10_000, "a near-empty screenshot")
        self.assertGreater(distinct, 16, "a screenshot of one colour")


if __name__ == "__main__":
    unittest.main()
