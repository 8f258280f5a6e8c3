-- Migration 2: periodic job types. The last time each schedule fired (or was skipped as
-- a misfire), so that a restart neither fires a schedule twice nor silently skips a run.
-- Times are INTEGER milliseconds since the Unix epoch (UTC), as in 0001.
CREATE TABLE schedules (
  type      TEXT    PRIMARY KEY,
  last_fire INTEGER NOT NULL
);
