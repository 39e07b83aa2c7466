-- The projections' read model and akka-projection-jdbc 1.4.0's own tables; portable between PostgreSQL and H2.
-- Run on every start (idempotent), under the schema lock of dev.baton.engine.storage.Database.

-- One row per run: what it is, where it stands, and when it must be looked at next if nothing else does
-- (the durable timer index read by the sweeper), plus what GET /api/v1/runs lists and filters on.
-- attempt_started_ns is the running attempt's start in epoch nanoseconds, exact as in the event, so the
-- summed duration_ms equals the engine's to the millisecond; timed_attempts says which attempts it already
-- holds, so events delivered again never count an attempt twice.
-- Columns are only ever added, with defaults: each new one is in the CREATE (fresh databases) and in an
-- ADD COLUMN IF NOT EXISTS below (databases created before it). A table, column or index is never renamed.
CREATE TABLE IF NOT EXISTS baton_runs(
  run_id VARCHAR(255) PRIMARY KEY,
  environment_id VARCHAR(64) NOT NULL,
  task_id VARCHAR(255) NOT NULL,
  queue VARCHAR NOT NULL,
  concurrency_key VARCHAR,
  status VARCHAR(32) NOT NULL,
  tag VARCHAR(64) NOT NULL,
  attempt_count INTEGER DEFAULT 0 NOT NULL,
  ttl_ms BIGINT,
  max_duration_seconds INTEGER,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  wake_at TIMESTAMP WITH TIME ZONE,
  wake_count INTEGER DEFAULT 0 NOT NULL,
  is_test BOOLEAN DEFAULT FALSE NOT NULL,
  idempotency_key VARCHAR,
  started_at TIMESTAMP WITH TIME ZONE,
  finished_at TIMESTAMP WITH TIME ZONE,
  delayed_until TIMESTAMP WITH TIME ZONE,
  attempt_started_ns BIGINT,
  duration_ms BIGINT DEFAULT 0 NOT NULL,
  timed_attempts INTEGER DEFAULT 0 NOT NULL,
  version VARCHAR(255),
  batch_id VARCHAR(255),
  schedule_id VARCHAR(255)
);
ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS is_test BOOLEAN DEFAULT FALSE NOT NULL;
ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS idempotency_key VARCHAR;
ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS started_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS finished_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS delayed_until TIMESTAMP WITH TIME ZONE;
ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS attempt_started_ns BIGINT;
ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS duration_ms BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS timed_attempts INTEGER DEFAULT 0 NOT NULL;
ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS version VARCHAR(255);
ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS batch_id VARCHAR(255);
ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS schedule_id VARCHAR(255);

-- The sweeper: due runs of a tag, earliest first.
CREATE INDEX IF NOT EXISTS baton_runs_tag_wake_at_idx ON baton_runs(tag, wake_at);
-- The list, newest first, keyset-paginated on (created_at, run_id): one index per common filter, each
-- ending in the page order so a page is a range scan (read backwards for newest first).
CREATE INDEX IF NOT EXISTS baton_runs_env_created_idx ON baton_runs(environment_id, created_at, run_id);
CREATE INDEX IF NOT EXISTS baton_runs_env_status_created_idx ON baton_runs(environment_id, status, created_at, run_id);
CREATE INDEX IF NOT EXISTS baton_runs_env_task_created_idx ON baton_runs(environment_id, task_id, created_at, run_id);
-- Superseded by baton_runs_env_status_created_idx (same leading columns; also serves the sweeper's
-- unfinished runs of an environment).
DROP INDEX IF EXISTS baton_runs_environment_status_idx;

-- A run's tags, one row each (position keeps their order), for filter[tag]. environment_id and created_at
-- are copied from the run (neither ever changes): the index finds an environment's runs with a tag, in
-- creation order, without touching baton_runs.
CREATE TABLE IF NOT EXISTS baton_run_tags(
  run_id VARCHAR(255) NOT NULL,
  tag VARCHAR NOT NULL,
  position INTEGER NOT NULL,
  environment_id VARCHAR(64) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY(run_id, tag)
);
CREATE INDEX IF NOT EXISTS baton_run_tags_env_tag_created_idx ON baton_run_tags(environment_id, tag, created_at, run_id);

-- akka-projection-jdbc's offset store and management tables, exactly as its postgres-dialect and h2-dialect
-- create them with offset-store.use-lowercase-schema = true (quoted lower-case names suit both databases).
CREATE TABLE IF NOT EXISTS "akka_projection_offset_store" (
  "projection_name" VARCHAR(255) NOT NULL,
  "projection_key" VARCHAR(255) NOT NULL,
  "current_offset" VARCHAR(255) NOT NULL,
  "manifest" VARCHAR(4) NOT NULL,
  "mergeable" BOOLEAN NOT NULL,
  "last_updated" BIGINT NOT NULL,
  PRIMARY KEY("projection_name", "projection_key")
);
CREATE INDEX IF NOT EXISTS "akka_projection_name_index" ON "akka_projection_offset_store" ("projection_name");
CREATE TABLE IF NOT EXISTS "akka_projection_management" (
  "projection_name" VARCHAR(255) NOT NULL,
  "projection_key" VARCHAR(255) NOT NULL,
  "paused" BOOLEAN NOT NULL,
  "last_updated" BIGINT NOT NULL,
  PRIMARY KEY("projection_name", "projection_key")
);
