package dev.baton.api;

import dev.baton.projections.batches.BatchList;
import dev.baton.projections.bulkactions.BulkActionList;
import dev.baton.projections.clickhouse.TaskAnalytics;
import dev.baton.projections.lag.ProjectionLag;
import dev.baton.projections.runs.RunList;
import dev.baton.projections.schedules.ScheduleList;
import dev.baton.projections.waitpoints.TokenList;

/**
 * The read models the API answers lists from, built by the node with its clock and query dispatcher: the
 * routes only ask them, so they need no database of their own. {@code analytics} reads ClickHouse, and is off
 * (answers nothing) when the node has none.
 */
public record ReadModels(
        RunList runs,
        TokenList tokens,
        ScheduleList schedules,
        BatchList batches,
        BulkActionList bulkActions,
        ProjectionLag lag,
        TaskAnalytics analytics) {}
