-- PostgreSQL migration 1: the job queue several torqued nodes share. The same tables as the
-- SQLite schema (schema/), with what several writers need: leases of running jobs owned by
-- nodes, counts kept without a hot row, and notifications of new work to every node.
-- Applied by pg::Migrate in one transaction under an advisory lock. A shipped migration is
-- never edited; later changes go in 0002_*.sql and onwards. Every time is BIGINT
-- milliseconds since the Unix epoch (UTC); 0 means "not yet".

-- Every start of a torqued registers a node. Liveness is judged on seen_at, the database's
-- clock at the last heartbeat, so that hosts whose clocks differ judge each other alike;
-- started_at and heartbeat_at are the node's own clock, for people.
CREATE TABLE nodes (
  id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name         TEXT    NOT NULL,                -- host and pid
  started_at   BIGINT  NOT NULL,
  heartbeat_at BIGINT  NOT NULL,
  seen_at      BIGINT  NOT NULL,
  dead         BOOLEAN NOT NULL DEFAULT false   -- declared dead: its running jobs rescued
);

CREATE TABLE jobs (
  id               BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- never reused
  type             TEXT    NOT NULL,
  args             TEXT    NOT NULL DEFAULT '',
  state            TEXT    NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  priority         INTEGER NOT NULL DEFAULT 0,
  run_at           BIGINT  NOT NULL DEFAULT 0,
  attempts         INTEGER NOT NULL DEFAULT 0,
  max_attempts     INTEGER NOT NULL DEFAULT 1,
  interruptions    INTEGER NOT NULL DEFAULT 0,
  timeout_ms       BIGINT  NOT NULL DEFAULT 0,
  unique_key       TEXT,
  result           TEXT    NOT NULL DEFAULT '',
  error            TEXT    NOT NULL DEFAULT '',
  created_at       BIGINT  NOT NULL DEFAULT 0,
  started_at       BIGINT  NOT NULL DEFAULT 0,
  finished_at      BIGINT  NOT NULL DEFAULT 0,
  cancel_requested BOOLEAN NOT NULL DEFAULT false,
  node             BIGINT  NOT NULL DEFAULT 0,    -- the node running it (running jobs)
  -- Which claim (or insert of a job to start) made it running: when the connection breaks
  -- before the commit's answer, the node finds what it may have claimed without knowing.
  claim_token      BIGINT  NOT NULL DEFAULT 0
);

-- The claim: the ready jobs of one type, best first; only queued rows are indexed, so the
-- index stays as small as the queue.
CREATE INDEX jobs_claim ON jobs (type, priority DESC, run_at, id) WHERE state = 'queued';
-- The next delayed job of a type, and how many are delayed.
CREATE INDEX jobs_next_run ON jobs (type, run_at) WHERE state = 'queued';
-- Unique submissions: at most one queued or running job per (type, unique_key), across nodes.
CREATE UNIQUE INDEX jobs_unique ON jobs (type, unique_key)
  WHERE unique_key IS NOT NULL AND state IN ('queued', 'running');
-- The running jobs of a node (rescue, cancel polling).
CREATE INDEX jobs_running ON jobs (node) WHERE state = 'running';
-- Purging and activity by finish time.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('done', 'failed', 'cancelled');
-- LIST of one type, newest first.
CREATE INDEX jobs_type_id ON jobs (type, id);

-- Jobs per type and state: job_counts is compacted, job_count_deltas holds the changes since.
-- Statement triggers append one delta row per (type, state) a statement changed; they never
-- update a shared row, so inserting nodes never wait for each other's counts (a counter
-- row per type would serialise every submission of that type across nodes).
CREATE TABLE job_counts (
  type  TEXT   NOT NULL,
  state TEXT   NOT NULL,
  n     BIGINT NOT NULL,
  PRIMARY KEY (type, state)
);
CREATE TABLE job_count_deltas (
  id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  type  TEXT   NOT NULL,
  state TEXT   NOT NULL,
  n     BIGINT NOT NULL
);

-- New or requeued work also notifies every node listening on channel torque_jobs: one
-- notification per statement and type, "<run_at> <type>" with the earliest run_at, or
-- "0 <type>" for work ready now, which PostgreSQL sends once per transaction however many
-- statements queued it.
CREATE FUNCTION torque_ready_at(run_at BIGINT) RETURNS TEXT LANGUAGE sql AS $$
  SELECT CASE WHEN run_at <= (extract(epoch from clock_timestamp()) * 1000)::bigint THEN '0'
              ELSE run_at::text END
$$;
CREATE FUNCTION torque_jobs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO job_count_deltas (type, state, n)
    SELECT type, state, COUNT(*) FROM new_rows GROUP BY type, state;
  PERFORM pg_notify('torque_jobs', torque_ready_at(MIN(run_at)) || ' ' || type)
    FROM new_rows WHERE state = 'queued' GROUP BY type;
  RETURN NULL;
END $$;

CREATE FUNCTION torque_jobs_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO job_count_deltas (type, state, n)
    SELECT type, state, SUM(d) FROM (
      SELECT type, state, 1 AS d FROM new_rows UNION ALL SELECT type, state, -1 FROM old_rows
    ) changes GROUP BY type, state HAVING SUM(d) <> 0;
  PERFORM pg_notify('torque_jobs', torque_ready_at(MIN(n.run_at)) || ' ' || n.type)
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.state = 'queued' AND o.state <> 'queued' GROUP BY n.type;
  RETURN NULL;
END $$;

CREATE FUNCTION torque_jobs_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO job_count_deltas (type, state, n)
    SELECT type, state, -COUNT(*) FROM old_rows GROUP BY type, state;
  RETURN NULL;
END $$;

CREATE TRIGGER jobs_inserted AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION torque_jobs_inserted();
CREATE TRIGGER jobs_updated AFTER UPDATE ON jobs
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION torque_jobs_updated();
CREATE TRIGGER jobs_deleted AFTER DELETE ON jobs REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION torque_jobs_deleted();

-- Per-type switches that survive restarts.
CREATE TABLE type_state (
  type   TEXT    PRIMARY KEY,
  paused BOOLEAN NOT NULL DEFAULT false
);

-- The last time each schedule fired: it only moves forward (a compare-and-set), so a fire
-- one node made is not made again by another.
CREATE TABLE schedules (
  type      TEXT   PRIMARY KEY,
  last_fire BIGINT NOT NULL
);

-- The notification outbox. A node leases due notices before delivering them by moving
-- next_at past the delivery (leased_by says who); removed once delivered or given up.
CREATE TABLE outbox (
  id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id     BIGINT  NOT NULL,
  target     TEXT    NOT NULL,
  event      TEXT    NOT NULL,
  subject    TEXT    NOT NULL,
  body       TEXT    NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT  NOT NULL,
  next_at    BIGINT  NOT NULL,
  last_error TEXT,
  leased_by  BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX outbox_next ON outbox (next_at);

-- Durable handler state.
CREATE TABLE handler_state (
  type  TEXT NOT NULL,
  key   TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (type, key)
);
