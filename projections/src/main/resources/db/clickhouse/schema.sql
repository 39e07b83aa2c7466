-- Baton's analytics tables in ClickHouse (docs/analytics.md). Run by the node on every start, in the database of
-- baton.clickhouse.database (sent as the `database` URL parameter), after CREATE DATABASE IF NOT EXISTS.
-- Written for Debian's ClickHouse 18.16 and current servers alike: no DateTime64, LowCardinality, TTL, CODEC,
-- Nullable or newer settings. Times are DateTime('UTC') (seconds) plus a *_ms column with epoch milliseconds;
-- "1970-01-01 00:00:00" / 0 means "not yet". Columns are only ever added (ALTER TABLE ... ADD COLUMN), never renamed.

-- One row per journal event of a run, with the run's facts after the event. Re-inserted rows (the projection
-- delivers at least once) are identical and collapse on merge; read with FINAL for exact counts.
CREATE TABLE IF NOT EXISTS run_events (
  env_id String,
  run_id String,
  seq_nr UInt64,
  event_type String,
  event_time DateTime('UTC'),
  event_time_ms UInt64,
  task_id String,
  queue String,
  status String,
  is_final UInt8,
  attempt UInt32,
  attempt_id String,
  worker_id String,
  attempt_duration_ms UInt64,
  duration_ms UInt64,
  queue_wait_ms UInt64,
  error_type String,
  error_message String,
  tags Array(String),
  is_test UInt8,
  created_at DateTime('UTC'),
  created_at_ms UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (env_id, run_id, seq_nr);

-- The latest state of every run: one version per projected group, the highest seq_nr wins (FINAL).
CREATE TABLE IF NOT EXISTS runs (
  env_id String,
  run_id String,
  seq_nr UInt64,
  task_id String,
  queue String,
  status String,
  is_final UInt8,
  created_at DateTime('UTC'),
  created_at_ms UInt64,
  updated_at DateTime('UTC'),
  updated_at_ms UInt64,
  started_at DateTime('UTC'),
  started_at_ms UInt64,
  finished_at DateTime('UTC'),
  finished_at_ms UInt64,
  attempt_count UInt32,
  duration_ms UInt64,
  error_type String,
  error_message String,
  tags Array(String),
  is_test UInt8
) ENGINE = ReplacingMergeTree(seq_nr)
PARTITION BY toYYYYMM(created_at)
ORDER BY (env_id, run_id);

-- Finished runs per task and hour (of the terminal event), pre-aggregated. Run and failure counts are
-- uniqExact over run ids, so a re-delivered or replayed terminal event never counts twice.
CREATE TABLE IF NOT EXISTS task_stats (
  env_id String,
  task_id String,
  hour DateTime('UTC'),
  runs AggregateFunction(uniqExact, String),
  failures AggregateFunction(uniqExactIf, String, UInt8),
  duration_ms_quantiles AggregateFunction(quantilesIf(0.5, 0.95, 0.99), UInt64, UInt8)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (env_id, task_id, hour);

-- Feeds task_stats from every insert into run_events. Failures: FAILED, CRASHED, SYSTEM_FAILURE, TIMED_OUT.
-- Durations: runs that executed and ended (COMPLETED or a failure), not canceled or expired ones.
CREATE MATERIALIZED VIEW IF NOT EXISTS task_stats_mv TO task_stats AS
SELECT
  env_id,
  task_id,
  toStartOfHour(event_time) AS hour,
  uniqExactState(run_id) AS runs,
  uniqExactIfState(run_id, toUInt8(status IN ('FAILED', 'CRASHED', 'SYSTEM_FAILURE', 'TIMED_OUT'))) AS failures,
  quantilesIfState(0.5, 0.95, 0.99)(duration_ms, toUInt8(status NOT IN ('CANCELED', 'EXPIRED'))) AS duration_ms_quantiles
FROM run_events
WHERE is_final = 1
GROUP BY env_id, task_id, hour;

-- Every line in Baton's run logs (baton_run_logs), copied by the cluster's one log shipper in (stored_at, seq)
-- order. seq is the line's id in baton_run_logs; a line shipped again is identical and collapses on merge (FINAL).
-- Partitioned by stored_at, Baton's own clock: logged_at is the worker's.
CREATE TABLE IF NOT EXISTS run_logs (
  env_id String,
  run_id String,
  seq UInt64,
  task_id String,
  attempt_id String,
  attempt_number UInt32,
  logged_at DateTime('UTC'),
  logged_at_ms UInt64,
  stored_at DateTime('UTC'),
  stored_at_ms UInt64,
  level String,
  message String,
  attributes String,
  error_type String,
  error_message String,
  error String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(stored_at)
ORDER BY (env_id, run_id, seq);

-- Spans of finished runs: those Baton draws from each run's journal (source 'run', written by the run event
-- projection on the run's final event; their ids are derived, so a redelivery repeats the same rows) and those
-- workers reported over OTLP (source 'worker', copied from baton_spans by the shipper). Read with FINAL.
CREATE TABLE IF NOT EXISTS spans (
  env_id String,
  run_id String,
  trace_id String,
  span_id String,
  parent_span_id String,
  name String,
  kind String,
  source String,
  start_time DateTime('UTC'),
  start_time_us UInt64,
  end_time DateTime('UTC'),
  end_time_us UInt64,
  duration_us UInt64,
  is_error UInt8,
  status_message String,
  attributes String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(start_time)
ORDER BY (env_id, trace_id, span_id);
