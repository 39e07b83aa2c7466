-- The schedule index: one row per existing schedule (a deleted one's row is removed), written by the
-- schedule index projection in the same transaction as its offset. GET /api/v1/schedules lists from it, and
-- the schedule sweeper reads due_at to wake schedules whose entity may have been passivated or lost with
-- its node. Portable between PostgreSQL and H2; run on every start (idempotent), under the schema lock.
-- Columns are only ever added, with defaults (see projections-schema.sql).
CREATE TABLE IF NOT EXISTS baton_schedules(
  schedule_id VARCHAR(255) PRIMARY KEY,
  environment_id VARCHAR(64) NOT NULL,
  task_id VARCHAR(255) NOT NULL,
  cron VARCHAR(255) NOT NULL,
  timezone VARCHAR(64) NOT NULL,
  external_id VARCHAR,
  deduplication_key VARCHAR,
  schedule_window VARCHAR(16),
  active BOOLEAN NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  cursor_at TIMESTAMP WITH TIME ZONE NOT NULL,
  last_timestamp TIMESTAMP WITH TIME ZONE,
  last_run_id VARCHAR(255),
  -- The next cron time, and when it actually runs (later by the schedule's window); null when inactive.
  next_run_at TIMESTAMP WITH TIME ZONE,
  due_at TIMESTAMP WITH TIME ZONE
);
-- IMPERATIVE (the API's) or DECLARATIVE (a task manifest's schedules.task).
ALTER TABLE baton_schedules ADD COLUMN IF NOT EXISTS schedule_type VARCHAR(16) DEFAULT 'IMPERATIVE' NOT NULL;
-- The list: an environment's schedules, oldest first.
CREATE INDEX IF NOT EXISTS baton_schedules_env_created_idx ON baton_schedules(environment_id, created_at, schedule_id);
-- The sweeper: schedules due soon.
CREATE INDEX IF NOT EXISTS baton_schedules_due_idx ON baton_schedules(due_at);
