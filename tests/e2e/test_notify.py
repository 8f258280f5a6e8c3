"""Notifications: notify_fail / notify_success by mail (a real SMTP server, aiosmtpd) and
syslog (a UDP listener), sent once per final outcome, from a durable outbox that survives
a restart while the mail server is down."""

import email
import email.policy
import json
import os
import re
import socket
import sqlite3
import subprocess
import threading
import time
import unittest

from torque_e2e import TORQUED, DaemonTest, free_port, wait_for

try:
    from aiosmtpd.controller import Controller
except ImportError:  # Debian: python3-aiosmtpd
    Controller = None

LOCAL3 = 19
ERR, INFO = 3, 6
# How long to keep listening for a duplicate that must not come.
QUIET = 1.5


class SmtpSink:
    """An SMTP server on 127.0.0.1:port keeping every message it accepts."""

    def __init__(self, port):
        self.lock = threading.Lock()
        self.received = []  # (envelope from, envelope recipients, parsed message)
        self.controller = Controller(self, hostname="127.0.0.1", port=port)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"

    @staticmethod
    def body(msg):
        """The decoded text body, LF line ends."""
        return msg.get_content().replace("\r\n", "\n")

    def messages(self):
        with self.lock:
            return list(self.received)

    def wait(self, count, timeout=30.0):
        """Waits for `count` messages, then QUIET seconds more; returns them all."""
        wait_for(lambda: len(self.messages()) >= count, timeout=timeout,
                 what=f"{count} mail(s) at the SMTP server")
        time.sleep(QUIET)  # a duplicate would arrive now
        return self.messages()

    def stop(self):
        self.controller.stop()


class SyslogListener:
    """A UDP socket on 127.0.0.1 collecting syslog datagrams."""

    LINE = re.compile(r"^<(\d+)>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\S+) ([^\[\s]+)\[(\d+)\]: (.*)$")

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.got = []

    def wait(self, count, timeout=30.0):
        """Waits for `count` datagrams, then QUIET seconds more; returns them all, each as
        (pri, timestamp, host, ident, pid, message)."""
        deadline = time.monotonic() + timeout
        quiet_until = None
        while True:
            now = time.monotonic()
            if len(self.got) >= count and quiet_until is None:
                quiet_until = now + QUIET
            end = quiet_until if quiet_until is not None else deadline
            if now >= end:
                break
            self.sock.settimeout(end - now)
            try:
                self.got.append(self.sock.recv(65536).decode("utf-8", "replace"))
            except socket.timeout:
                pass
        if len(self.got) < count:
            raise AssertionError(f"timed out after {timeout}s waiting for {count} syslog "
                                 f"datagram(s); got {self.got}")
        parsed = []
        for datagram in self.got:
            m = self.LINE.match(datagram)
            if not m:
                raise AssertionError(f"not an RFC 3164 line: {datagram!r}")
            pri, stamp, host, ident, pid, message = m.groups()
            parsed.append((int(pri), stamp, host, ident, int(pid), message))
        return parsed

    def close(self):
        self.sock.close()


def outbox(database):
    """The outbox rows, read through a read-only connection."""
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return db.execute("SELECT job_id, target, event, attempts, last_error FROM outbox "
                          "ORDER BY id").fetchall()
    finally:
        db.close()


@unittest.skipIf(Controller is None, "aiosmtpd is not installed for this python "
                                     "(Debian package python3-aiosmtpd)")
class NotifyTest(DaemonTest):
    def setUp(self):
        super().setUp()
        self.smtp_port = free_port()
        self.syslog = SyslogListener()
        self.addCleanup(self.syslog.close)

    def start_sink(self):
        sink = SmtpSink(self.smtp_port)
        self.addCleanup(sink.stop)
        return sink

    def notify_ini(self, extra=""):
        return f"""
            [notify]
            smtp_url = smtp://127.0.0.1:{self.smtp_port}
            mail_from = torque@example.org
            syslog_address = udp:127.0.0.1:{self.syslog.port}
            syslog_facility = local3
            syslog_ident = torqued-test
            timeout = 60s
            retry_delay = 200ms
            retry_max_delay = 1s
            {extra}
            """

    def submit(self, d, *args):
        r = d.cli(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return int(r.stdout)

    def finish(self, d, job):
        """Waits for the job to end; returns its record."""
        d.cli("wait", "--timeout", "60", str(job))
        r = d.cli("--json", "status", str(job))
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def check_syslog_header(self, d, entry, pri, ident):
        got_pri, _, host, got_ident, pid, _ = entry
        self.assertEqual(got_pri, pri, entry)
        self.assertEqual(host, socket.gethostname().split(".")[0])
        self.assertEqual(got_ident, ident)
        self.assertEqual(pid, d.proc.pid)

    def test_final_failure_notifies_mail_and_syslog_exactly_once(self):
        sink = self.start_sink()
        d = self.daemon("""
            [job boom]
            command = /bin/sh -c "echo 'disk on fire' >&2; exit 3"
            retries = 1
            retry_delay = 100ms
            notify_fail = mail:ops@example.org syslog:torqtest
            notify_success = mail:happy@example.org syslog:oktest
            """, self.notify_ini())
        job = self.submit(d, "boom", "sda1")
        rec = self.finish(d, job)
        self.assertEqual((rec["state"], rec["attempts"]), ("failed", 2))

        mails = sink.wait(1)
        self.assertEqual(len(mails), 1, [m[2]["Subject"] for m in mails])
        sender, rcpts, msg = mails[0]
        self.assertEqual((sender, rcpts), ("torque@example.org", ["ops@example.org"]))
        self.assertIn("ops@example.org", msg["To"])
        self.assertIn("torque@example.org", msg["From"])
        self.assertEqual(msg["Subject"], f"[torque] FAIL job {job} boom sda1")
        body = SmtpSink.body(msg)
        self.assertIn(f"Job:       {job}\n", body)
        self.assertIn("Type:      boom\n", body)
        self.assertIn("Arguments: sda1\n", body)
        self.assertIn("State:     failed\n", body)
        self.assertIn("Attempts:  2 of 2\n", body)
        self.assertRegex(body, r"\nError:\n.*disk on fire")

        lines = self.syslog.wait(1)
        self.assertEqual(len(lines), 1, lines)
        self.check_syslog_header(d, lines[0], LOCAL3 * 8 + ERR, "torqtest")
        message = lines[0][5]
        self.assertTrue(message.startswith(f"FAIL job {job} (boom sda1) after 2/2 attempts in "),
                        message)
        self.assertIn("disk on fire", message)

        wait_for(lambda: outbox(d.database) == [], what="the outbox to empty")
        log = d.log_text()
        self.assertIn(f"job {job}: notified mail:ops@example.org", log)
        self.assertIn(f"job {job}: notified syslog:torqtest", log)
        self.assertNotIn("happy@example.org", log)

    def test_success_after_a_retry_notifies_only_the_success(self):
        sink = self.start_sink()
        d = self.daemon("""
            [job flaky]
            # Fails its first attempt, succeeds on the second.
            command = /bin/sh -c "if [ $TORQUE_JOB_ATTEMPT -lt 2 ]; then echo first try >&2; exit 1; fi; echo all good"
            retries = 2
            retry_delay = 100ms
            notify_fail = mail:ops@example.org syslog:torqtest
            notify_success = mail:happy@example.org,boss@example.org syslog:oktest
            """, self.notify_ini())
        job = self.submit(d, "flaky")
        rec = self.finish(d, job)
        self.assertEqual((rec["state"], rec["attempts"]), ("done", 2))

        mails = sink.wait(1)
        self.assertEqual(len(mails), 1, [m[2]["Subject"] for m in mails])
        _, rcpts, msg = mails[0]
        self.assertEqual(sorted(rcpts), ["boss@example.org", "happy@example.org"])
        self.assertEqual(msg["Subject"], f"[torque] SUCCESS job {job} flaky")
        body = SmtpSink.body(msg)
        self.assertIn("State:     done\n", body)
        self.assertIn("Attempts:  2 of 3\n", body)
        self.assertRegex(body, r"\nResult:\nall good")

        lines = self.syslog.wait(1)
        self.assertEqual(len(lines), 1, lines)
        self.check_syslog_header(d, lines[0], LOCAL3 * 8 + INFO, "oktest")
        self.assertRegex(lines[0][5], rf"^SUCCESS job {job} \(flaky\) in \S+$")

    def test_outbox_survives_a_restart_while_the_mail_server_is_down(self):
        # A server that accepts the connection and never greets: the notifier hangs in
        # its first delivery attempt while the job's outcome is already final.
        hold = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(hold.close)
        # So the sink can bind the port while this side's closed connection lingers.
        hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        hold.bind(("127.0.0.1", self.smtp_port))
        hold.listen(4)
        hold.settimeout(30)
        d = self.daemon("""
            [job boom]
            command = /bin/sh -c "echo 'out of cheese' >&2; exit 3"
            notify_fail = mail:ops@example.org
            """, self.notify_ini())
        job = self.submit(d, "boom")
        conn, _ = hold.accept()  # the delivery attempt is under way...
        try:
            rec = self.finish(d, job)  # ...and does not hold back the outcome
            self.assertEqual((rec["state"], rec["attempts"]), ("failed", 1))
            self.assertEqual(outbox(d.database), [(job, "mail:ops@example.org", "failure", 0, None)])
        finally:
            conn.close()
            hold.close()  # from now on, connections are refused

        warning = re.compile(rf"job {job}: notification to mail:ops@example\.org failed "
                             rf"\(attempt (\d+)\), retry in \S+: .+")
        wait_for(lambda: warning.search(d.log_text()), what="the retry warning")
        rows = wait_for(lambda: [r for r in outbox(d.database) if r[3] >= 2],
                        what="a second failed delivery attempt")
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0][:3], (job, "mail:ops@example.org", "failure"))
        self.assertTrue(rows[0][4])  # last_error
        self.assertEqual(d.stop(), 0)
        self.assertEqual(len(outbox(d.database)), 1)

        sink = self.start_sink()
        d.start()
        mails = sink.wait(1)
        self.assertEqual(len(mails), 1, [m[2]["Subject"] for m in mails])
        self.assertEqual(mails[0][1], ["ops@example.org"])
        self.assertEqual(mails[0][2]["Subject"], f"[torque] FAIL job {job} boom")
        self.assertIn("out of cheese", SmtpSink.body(mails[0][2]))
        wait_for(lambda: outbox(d.database) == [], what="the outbox to empty")
        self.assertEqual(d.stop(), 0)

        d.start()
        self.assertEqual(len(sink.wait(1)), 1)  # nothing sent again
        self.assertEqual(outbox(d.database), [])

    def test_notify_every_failure_also_reports_retried_failures(self):
        sink = self.start_sink()
        d = self.daemon("""
            [job every]
            command = /bin/sh -c "echo nope >&2; exit 2"
            retries = 1
            retry_delay = 100ms
            notify_fail = mail:ops@example.org syslog:torqtest
            notify_every_failure = yes
            notify_success = mail:happy@example.org
            """, self.notify_ini())
        job = self.submit(d, "every")
        self.assertEqual(self.finish(d, job)["state"], "failed")

        mails = sink.wait(2)
        self.assertEqual(len(mails), 2, [m[2]["Subject"] for m in mails])
        by_subject = {m[2]["Subject"]: m for m in mails}
        self.assertEqual(sorted(by_subject), [f"[torque] FAIL job {job} every",
                                              f"[torque] RETRY job {job} every"])
        retry_body = SmtpSink.body(by_subject[f"[torque] RETRY job {job} every"][2])
        self.assertIn("State:     failed, will be retried\n", retry_body)
        self.assertIn("Attempts:  1 of 2\n", retry_body)
        fail_body = SmtpSink.body(by_subject[f"[torque] FAIL job {job} every"][2])
        self.assertIn("Attempts:  2 of 2\n", fail_body)
        self.assertEqual({tuple(m[1]) for m in mails}, {("ops@example.org",)})

        lines = self.syslog.wait(2)
        self.assertEqual(len(lines), 2, lines)
        for entry in lines:
            self.check_syslog_header(d, entry, LOCAL3 * 8 + ERR, "torqtest")
        messages = sorted(entry[5] for entry in lines)
        self.assertTrue(messages[0].startswith(f"FAIL job {job} (every) after 2/2 attempts"),
                        messages)
        self.assertTrue(messages[1].startswith(f"RETRY job {job} (every) after 1/2 attempts"),
                        messages)


class NotifyReloadTest(DaemonTest):
    """SIGHUP replaces a type's targets and the [notify] settings (syslog only: no SMTP)."""

    def test_reload_replaces_targets_and_settings(self):
        before, after = SyslogListener(), SyslogListener()
        self.addCleanup(before.close)
        self.addCleanup(after.close)

        def config(listener, facility, target):
            return (f"[job boom]\ncommand = /bin/false\nnotify_fail = {target}\n",
                    f"[notify]\nsyslog_address = udp:127.0.0.1:{listener.port}\n"
                    f"syslog_facility = {facility}\n")

        d = self.daemon(*config(before, "local3", "syslog:first"))
        job1 = int(d.cli("boom").stdout)
        d.cli("wait", "--timeout", "60", str(job1))
        # Delivered before the reload: a notice still in the outbox at a reload goes where
        # the new settings say.
        first = before.wait(1)
        self.assertEqual([(e[0], e[3]) for e in first], [(LOCAL3 * 8 + ERR, "first")])
        self.assertTrue(first[0][5].startswith(f"FAIL job {job1} (boom) after 1/1 attempts"))
        d.write_config(*config(after, "local5", "syslog:second"))
        self.assertIn("changed: boom", d.reload())
        job2 = int(d.cli("boom").stdout)
        d.cli("wait", "--timeout", "60", str(job2))

        second = after.wait(1)
        self.assertEqual([(e[0], e[3]) for e in second], [(21 * 8 + ERR, "second")])
        self.assertTrue(second[0][5].startswith(f"FAIL job {job2} (boom) after 1/1 attempts"))


class NotifyConfigTest(DaemonTest):
    """An invalid notification setting stops --check-config and the start, naming file:line."""

    CASES = [
        ("notify_fail = pager:ops", "notify_fail",
         "unknown notification target 'pager:ops'"),
        ("notify_success = mail", "notify_success", "'mail' needs at least one address"),
        ("notify_fail = mail:ops@example.org,,dev@example.org", "notify_fail",
         "empty mail address"),
        ("notify_fail = syslog retry:many", "notify_fail", "'retry:many'"),
        ("notify_every_failure = often", "notify_every_failure", "got 'often'"),
    ]

    def check_rejected(self, d, needle, reason):
        line = d.config_line(needle)
        where = f"{d.config}:{line}: "
        r = subprocess.run([TORQUED, "--config", d.config, "--check-config"], capture_output=True,
                           text=True, timeout=60, env=d.env())
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(where, r.stderr)
        self.assertIn(reason, r.stderr)
        for name in (d.log, os.path.join(self.tmp, "stderr.log")):
            if os.path.exists(name):
                os.unlink(name)
        d.start(wait=False)
        self.assertNotEqual(d.proc.wait(timeout=60), 0)
        self.assertIn(where, d.log_text())
        self.assertIn(reason, d.log_text())
        self.assertFalse(os.path.exists(d.socket))

    def test_invalid_job_notify_values(self):
        for value, key, reason in self.CASES:
            with self.subTest(value=value):
                d = self.daemon(f"""
                    [job fine]
                    command = /bin/true

                    [job bad]
                    command = /bin/true
                    {value}
                    """, start=False)
                self.check_rejected(d, key, reason)

    def test_invalid_notify_section_values(self):
        for value, reason in [
                ("syslog_facility = local9", "[notify] key 'syslog_facility': expected a syslog facility"),
                ("smtp_url = http://mail.example.org", "[notify] key 'smtp_url': expected an smtp://"),
                ("retry_delay = soon", "[notify] key 'retry_delay'")]:
            with self.subTest(value=value):
                d = self.daemon("[job fine]\ncommand = /bin/true\n", f"[notify]\n{value}\n",
                                start=False)
                self.check_rejected(d, value.split()[0], reason)

    def test_a_password_others_can_read_is_warned_about(self):
        d = self.daemon("[job fine]\ncommand = /bin/true\n",
                        "[notify]\nsmtp_url = smtp://127.0.0.1:2525\nsmtp_password = s3cret\n",
                        start=False)
        where = f"{d.config}:{d.config_line('smtp_password')}: "
        warning = (f"smtp_password is in {d.config}, which users other than its owner can read"
                   f" (mode 0644): chmod 600 {d.config}")
        os.chmod(d.config, 0o644)
        r = subprocess.run([TORQUED, "--config", d.config, "--check-config"], capture_output=True,
                           text=True, timeout=60, env=d.env())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"torqued: warning: {where}{warning}", r.stderr)
        d.start()  # it still runs, and says so in its log
        wait_for(lambda: warning in d.log_text(), what="the warning in the log")
        d.stop()
        os.chmod(d.config, 0o600)
        r = subprocess.run([TORQUED, "--config", d.config, "--check-config"], capture_output=True,
                           text=True, timeout=60, env=d.env())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("smtp_password", r.stderr)


if __name__ == "__main__":
    unittest.main()
