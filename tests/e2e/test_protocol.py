"""The socket protocol against the real torqued: replies, bad input, pipelining, many clients."""

import json
import socket
import threading
import time
import unittest

from torque_e2e import Conn, DaemonTest, wait_for

JOBS = """
[job hello]
command = echo hello {args}

[job sleepy]
command = sleep 30

[job off]
command = true
active = false
"""


class FileLimitTest(DaemonTest):
    def test_running_out_of_descriptors_delays_new_clients_only(self):
        # With 48 descriptors torqued cannot accept 80 clients at once; the ones it holds
        # keep working, and the others are served once some leave.
        d = self.daemon(JOBS, start=False, wrapper=["prlimit", "--nofile=48:48"])
        d.start()
        conns = [Conn(d.socket, timeout=30) for _ in range(80)]
        for c in conns:
            c.send("PING\n")
        served, waiting = [], []
        for c in conns:
            # Once one goes unanswered, the later ones (accepted in order) are too.
            c.sock.settimeout(30 if not served else 0.5 if not waiting else 0.05)
            try:
                self.assertEqual(c.line(), "OK pong")
                served.append(c)
            except socket.timeout:
                waiting.append(c)
        self.assertTrue(served)
        self.assertTrue(waiting, "the descriptor limit was never reached")
        self.assertRegex(served[0].call("hello still"), r"^ACK \d+$")
        for c in served[1:]:
            c.close()
        for c in waiting:
            c.sock.settimeout(30)
            self.assertEqual(c.line(), "OK pong")
            c.close()
        served[0].close()
        self.assertIn("retrying in 100ms", d.log_text())
        self.assertTrue(d.alive())


class ProtocolTest(DaemonTest):
    def setUp(self):
        super().setUp()
        self.d = self.daemon(JOBS)

    def assert_usable(self, c):
        self.assertEqual(c.call("PING"), "OK pong")

    def test_submit_acks_id_and_job_runs(self):
        c = self.d.conn()
        reply = c.call("hello world")
        self.assertRegex(reply, r"^ACK \d+$")
        job_id = int(reply.split()[1])
        record = json.loads(c.call(f"WAIT {job_id} 30s")[3:])
        self.assertEqual(record["state"], "done")
        self.assertEqual(record["result"], "hello world\n")
        self.assertEqual(record["attempts"], 1)

    def test_bad_input_gets_one_err_line_each_and_connection_survives(self):
        c = self.d.conn()
        cases = [
            (b"\n", "ERR syntax empty request"),
            (b"   \t \n", "ERR syntax empty request"),
            (b"x" * 100_000 + b"\n", "ERR toolong line exceeds 65536 bytes"),
            (b"hello a\x00b\n", "ERR syntax NUL byte at column 8"),
            (b"hello \xff\xfe\n", "ERR syntax invalid UTF-8 at column 7"),
            (b"\x8f\x01\x02garbage\xc3\n", "ERR syntax invalid UTF-8 at column 1"),
            (b"hello \x07bell\n", "ERR syntax control character 0x07 at column 7"),
            (b"nosuchjob 1 2\n", "ERR unknown unknown job type 'nosuchjob'"),
            (b"off x\n", "ERR disabled "),
            (b"FROB 1\n", "ERR verb unknown verb 'FROB'"),
            (b"STATUS\n", "ERR syntax STATUS needs a job id"),
            (b"WAIT\n", "ERR syntax WAIT needs a job id"),
            (b"CANCEL abc\n", "ERR syntax "),
            (b"STATUS 999999\n", "ERR notfound "),
            (b"PAUSE\n", "ERR syntax "),
            (b"SUBMIT priority=high hello\n", "ERR syntax "),
            (b"SUBMIT\n", "ERR syntax SUBMIT needs a job type name"),
            (b"Hello\n", "ERR "),
        ]
        for raw, expected in cases:
            with self.subTest(raw=raw[:40]):
                c.send(raw)
                reply = c.line()
                self.assertTrue(reply.startswith(expected), f"{raw[:40]!r} -> {reply!r}")
                self.assert_usable(c)
        self.assertTrue(self.d.alive())
        # Nothing was enqueued by any of it.
        jobs = json.loads(c.call("LIST")[3:])
        self.assertEqual(jobs, [])

    def test_binary_garbage_blob(self):
        c = self.d.conn()
        blob = bytes(range(256)) * 40
        c.send(blob + b"\n")
        replies = []
        # Each LF in the blob ends a line: one ERR per line, nothing else.
        for _ in range(blob.count(b"\n") + 1):
            replies.append(c.line())
        self.assertTrue(all(r.startswith("ERR ") for r in replies), replies)
        self.assert_usable(c)

    def test_crlf_and_pipelining_keep_order(self):
        c = self.d.conn()
        lines = []
        for i in range(300):
            lines.append(f"hello n{i}" if i % 3 else "PING")
        c.send("\r\n".join(lines) + "\r\n")
        replies = [c.line() for _ in lines]
        ids = []
        for req, rep in zip(lines, replies):
            if req == "PING":
                self.assertEqual(rep, "OK pong")
            else:
                self.assertRegex(rep, r"^ACK \d+$")
                ids.append(int(rep.split()[1]))
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(len(set(ids)), len(ids))

    def test_last_line_without_newline_is_answered_at_eof(self):
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.d.socket)
        s.sendall(b"PING")
        s.shutdown(socket.SHUT_WR)
        self.assertEqual(s.recv(100), b"OK pong\n")
        self.assertEqual(s.recv(100), b"")

    def test_admin_verbs(self):
        c = self.d.conn()
        self.assertEqual(json.loads(c.call("VERSION")[3:])["protocol"], 1)
        types = {t["name"]: t for t in json.loads(c.call("TYPES")[3:])}
        self.assertIn("hello", types)
        self.assertFalse(types["off"]["active"])
        self.assertEqual(c.call("PAUSE hello"), 'OK {"paused":true,"type":"hello"}')
        job = int(c.call("hello paused")[4:])
        time.sleep(0.3)
        self.assertEqual(json.loads(c.call(f"STATUS {job}")[3:])["state"], "queued")
        self.assertEqual(c.call("RESUME hello"), 'OK {"paused":false,"type":"hello"}')
        self.assertEqual(json.loads(c.call(f"WAIT {job} 30")[3:])["state"], "done")
        stats = json.loads(c.call("STATS")[3:])
        by_type = {t["type"]: t for t in stats["types"]}
        self.assertEqual(by_type["hello"]["done"], 1)
        self.assertGreaterEqual(stats["uptime"], 0)
        listed = json.loads(c.call("LIST type=hello state=done")[3:])
        self.assertEqual([j["id"] for j in listed], [job])

    def test_cancel_queued_and_running_and_retry(self):
        c = self.d.conn()
        running = int(c.call("sleepy")[4:])
        wait_for(lambda: json.loads(c.call(f"STATUS {running}")[3:])["state"] == "running",
                 what="sleepy to start")
        queued = int(c.call("sleepy")[4:])
        rec = json.loads(c.call(f"CANCEL {queued}")[3:])
        self.assertEqual(rec["state"], "cancelled")
        self.assertTrue(c.call(f"CANCEL {queued}").startswith("ERR state "))
        rec = json.loads(c.call(f"CANCEL {running}")[3:])
        self.assertTrue(rec["cancel_requested"])
        final = json.loads(c.call(f"WAIT {running} 30")[3:])
        self.assertEqual(final["state"], "cancelled")
        again = json.loads(c.call(f"RETRY {queued}")[3:])
        self.assertEqual(again["state"], "queued")
        self.assertTrue(c.call("RETRY 424242").startswith("ERR notfound "))
        c.call(f"CANCEL {queued}")

    def test_wait_timeout(self):
        c = self.d.conn()
        job = int(c.call("sleepy")[4:])
        self.assertEqual(c.call(f"WAIT {job} 200ms"),
                         f"ERR timeout job {job} not finished after 200ms")
        self.assert_usable(c)
        c.call(f"CANCEL {job}")

    def test_unique_key_and_delay(self):
        c = self.d.conn()
        first = c.call("SUBMIT delay=1h unique=k1 hello a")
        self.assertRegex(first, r"^ACK \d+$")
        self.assertEqual(c.call("SUBMIT delay=1h unique=k1 hello b"), first + " existing")
        rec = json.loads(c.call(f"STATUS {first.split()[1]}")[3:])
        self.assertEqual(rec["state"], "queued")
        self.assertEqual(rec["unique_key"], "k1")
        stats = json.loads(c.call("STATS")[3:])
        self.assertEqual({t["type"]: t for t in stats["types"]}["hello"]["delayed"], 1)

    def test_many_concurrent_clients_and_a_stalled_one(self):
        # A client that sends requests but never reads its replies must not stall others.
        stalled = socket.socket(socket.AF_UNIX)
        stalled.connect(self.d.socket)
        stalled.setblocking(False)
        try:
            stalled.send(b"PING\n" * 200_000)
        except BlockingIOError:
            pass
        half_open = Conn(self.d.socket)
        half_open.send("hello par")  # no newline, ever
        errors = []
        acks = []

        def client(n):
            try:
                c = Conn(self.d.socket)
                for i in range(50):
                    r = c.call(f"hello c{n}-{i}")
                    if not r.startswith("ACK "):
                        errors.append(r)
                    acks.append(int(r.split()[1]))
                c.close()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(len(set(acks)), 32 * 50)
        stalled.close()
        half_open.close()
        self.assertTrue(self.d.alive())


if __name__ == "__main__":
    unittest.main()
