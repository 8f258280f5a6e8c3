#!/usr/bin/python3
"""Writes tests/fuzz/corpus/<target>/ seeds from the golden tables of the unit tests.

Each target's seeds are the C++ string literals of the tests of its parser (valid and invalid
inputs alike), plus whole files where the parser reads files (the shipped torque.ini, test
metafiles). Seeds are named by content hash, so running this again adds new ones and keeps
the inputs of past findings that were added by hand (named finding-*). The kept corpora are
then cut down to the inputs that add coverage, with libFuzzer (bench/fuzz.sh builds it):

    tests/fuzz/seed_corpora.py
    build-fuzz/tests/fuzz/fuzz_NAME -merge=1 NEW_DIR tests/fuzz/corpus/NAME  # then NEW_DIR
                                                                             # replaces it
"""
import ast
import hashlib
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")

# target -> test files whose string literals are seeds
LITERALS = {
    "protocol": ["tests/core/protocol_test.cc", "tests/core/line_reader_test.cc"],
    "words": ["tests/core/words_test.cc"],
    "duration": ["tests/core/duration_test.cc"],
    "schedule": ["tests/core/schedule_test.cc"],
    "notify": ["tests/core/notify_config_test.cc"],
    "config": ["tests/core/config_test.cc"],
    "condition": ["tests/rtorrent/condition_test.cc", "tests/rtorrent/prefilter_test.cc"],
    "xmlrpc": ["tests/rtorrent/transport_test.cc"],
    "scgi": ["tests/rtorrent/transport_test.cc"],
    "rtorrent_rc": ["tests/rtorrent/connector_test.cc", "tests/rtorrent/transport_test.cc"],
    "metafile": ["tests/jobs/metafile_test.cc", "tests/jobs/bencode_test.cc"],
    "template": ["tests/jobs/watch_template_test.cc"],
    "watch_ini": ["tests/jobs/watch_folders_test.cc"],
}
FILES = {
    "config": ["etc/torque.ini"],
    "rtorrent_rc": ["../shared/rtorrent/rtorrent.rc", "../shared/rtorrent/hooks.rc.example",
                    "etc/rtorrent.d/torque.rc"],
}
DIRS = {"metafile": ["tests/jobs/data/metafile"]}
# What the HTTP listener is sent: scrapers and browsers, and what it must refuse.
HTTP_SEEDS = [
    "GET /metrics HTTP/1.1\r\nHost: localhost:9100\r\nUser-Agent: Prometheus/2.45\r\n"
    "Accept: text/plain;version=0.0.4\r\nAccept-Encoding: gzip\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: localhost\r\nAccept: text/html\r\nConnection: close\r\n\r\n",
    "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /metrics?name[]=torque_up HTTP/1.0\r\n\r\n",
    "GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    "GET http://localhost/metrics HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /fail HTTP/1.1\r\nHost: x\r\n\r\n",
    "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n",
    "BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
    "GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n",
    "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + "a" * 9000 + "\r\n\r\n",
    "GET /metrics HTTP/1.1\r\n" + "X-Many: 1\r\n" * 700 + "\r\n",
    "GET /metrics HTTP/1.1\nHost: x\n\n",
    "GET /metrics HTTP/2.0\r\n\r\n",
    "GET /metrics\r\n\r\n",
    "GET /met rics HTTP/1.1\r\n\r\n",
    "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    "GET /metrics HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n",
    "GET /metrics HTTP/1.1\r\nHost: x",
    "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello
]

LITERAL = re.compile(r'(?<![A-Za-z0-9_])"(?:[^"\\\n]|\\.)*"')
RAW = re.compile(r'R"([^(]*)\((.*?)\)\1"', re.S)


def literals(text):
    """The C++ string literals of `text`, adjacent ones joined, escapes decoded."""
    out = [m.group(2) for m in RAW.finditer(text)]
    text = RAW.sub("", text)
    joined = re.sub(r'"\s*\n\s*"', "", text)  # "a" "b" across lines
    for m in LITERAL.finditer(joined):
        try:
            out.append(ast.literal_eval(m.group(0)))
        except (ValueError, SyntaxError):
            continue
    return [s for s in out if s and len(s) < 8192]


def write(target, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def main():
    for request in HTTP_SEEDS:
        write("http", request)
    for target in sorted(set(LITERALS) | set(FILES) | set(DIRS)):
        for rel in LITERALS.get(target, []):
            with open(os.path.join(ROOT, rel), encoding="utf-8", errors="surrogateescape") as f:
                for s in literals(f.read()):
                    write(target, s)
        for rel in FILES.get(target, []):
            path = os.path.join(ROOT, rel)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    write(target, f.read())
        for rel in DIRS.get(target, []):
            folder = os.path.join(ROOT, rel)
            for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
                with open(os.path.join(folder, name), "rb") as f:
                    write(target, f.read())
    for target in sorted(os.listdir(CORPUS)):
        print(f"{target}: {len(os.listdir(os.path.join(CORPUS, target)))} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
