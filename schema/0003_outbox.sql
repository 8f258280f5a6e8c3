-- Migration 3: the notification outbox. A job's notifications are inserted in the same
-- transaction as its final state, and deleted once delivered (or given up), so a restart
-- neither loses nor re-sends one. Times are INTEGER milliseconds since the Unix epoch.
CREATE TABLE outbox (
  id         INTEGER PRIMARY KEY,
  job_id     INTEGER NOT NULL,
  target     TEXT    NOT NULL,            -- "mail:a@x,b@y" or "syslog:ident"
  event      TEXT    NOT NULL,            -- "success" or "failure"
  subject    TEXT    NOT NULL,
  body       TEXT    NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 0,  -- delivery attempts so far
  created_at INTEGER NOT NULL,
  next_at    INTEGER NOT NULL,            -- next delivery attempt
  last_error TEXT
);
CREATE INDEX outbox_next ON outbox (next_at);
