-- Migration 1: the job queue. The database is the queue; torqued's memory holds a window.
-- Applied in one transaction by SqliteStore, which then sets PRAGMA user_version = 1.
-- A shipped migration is never edited; later changes go in 0002_*.sql and onwards.
-- Every time is INTEGER milliseconds since the Unix epoch (UTC); 0 means "not yet".

-- One row per job, kept after it ends (done/failed/cancelled) until purged.
CREATE TABLE jobs (
  -- AUTOINCREMENT: ids are never reused, even after the newest jobs are purged.
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  type             TEXT    NOT NULL,
  args             TEXT    NOT NULL DEFAULT '',
  -- queued also covers delayed jobs (run_at in the future).
  state            TEXT    NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  priority         INTEGER NOT NULL DEFAULT 0,    -- higher runs first
  run_at           INTEGER NOT NULL DEFAULT 0,    -- not before this time
  attempts         INTEGER NOT NULL DEFAULT 0,    -- runs started so far
  max_attempts     INTEGER NOT NULL DEFAULT 1,    -- 1 + retries (+1 per interruption)
  interruptions    INTEGER NOT NULL DEFAULT 0,    -- runs cut short by a daemon crash/stop
  timeout_ms       INTEGER NOT NULL DEFAULT 0,    -- 0: no limit
  unique_key       TEXT,                          -- NULL when none
  result           TEXT    NOT NULL DEFAULT '',   -- bounded stdout of the last run
  error            TEXT    NOT NULL DEFAULT '',   -- why the last attempt failed
  created_at       INTEGER NOT NULL DEFAULT 0,
  started_at       INTEGER NOT NULL DEFAULT 0,
  finished_at      INTEGER NOT NULL DEFAULT 0,    -- set when the job becomes final
  cancel_requested INTEGER NOT NULL DEFAULT 0     -- 1: CANCEL arrived while running
);

-- Claiming: the ready jobs of one type, best first (only queued rows are indexed).
CREATE INDEX jobs_claim ON jobs (type, priority DESC, run_at, id) WHERE state = 'queued';

-- When the next delayed job of a type becomes ready, and how many are delayed. `state` is
-- a column too only so that SQLite sees these queries as covered by the index.
CREATE INDEX jobs_next_run ON jobs (type, run_at, state) WHERE state = 'queued';

-- Unique submissions: at most one queued or running job per (type, unique_key).
CREATE UNIQUE INDEX jobs_unique ON jobs (type, unique_key)
  WHERE unique_key IS NOT NULL AND state IN ('queued', 'running');

-- Purging final jobs by age, and finding running jobs at startup. Queued jobs, the bulk,
-- are left out so that inserting one does not touch this index; a query uses it only when
-- it repeats the term "state <> 'queued'".
CREATE INDEX jobs_finished ON jobs (state, finished_at) WHERE state <> 'queued';

-- Counts per type and state; also LIST filtered by type (and state), newest first.
CREATE INDEX jobs_type_state ON jobs (type, state);

-- Per-type switches that survive restarts.
CREATE TABLE type_state (
  type   TEXT    PRIMARY KEY,
  paused INTEGER NOT NULL DEFAULT 0
);
