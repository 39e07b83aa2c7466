package dev.baton.projections.lag;

import akka.actor.typed.ActorSystem;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.Jdbc;
import dev.baton.projections.internal.QueryDispatcher;
import dev.baton.projections.runs.RunIndexProjection;
import dev.baton.projections.runs.RunIndexSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * How far each projection with a JDBC offset is behind the journal, per projection key (an event tag):
 * the ordering its stored offset reached, the journal's highest ordering for that tag, and how long ago
 * the offset was last stored. A projection that is idle has {@code behind = 0} and an offset that ages;
 * one that is stuck has {@code behind > 0} and an offset that ages. The run index's tags are listed even
 * before they stored any offset.
 */
public final class ProjectionLag {

    /**
     * @param offset the stored offset's journal ordering; null before the first one (or for an offset
     *     that is not a sequence number)
     * @param journalOrdering the highest journal ordering of an event with this tag (0 for none)
     * @param lastUpdated when the offset was last stored, or null
     * @param sinceUpdate how long ago that was, when read; null without an offset
     */
    public record Entry(
            String projection,
            String key,
            Long offset,
            long journalOrdering,
            Instant lastUpdated,
            Duration sinceUpdate) {

        /** Journal orderings of this tag past the stored offset (not an event count: orderings are global). */
        public long behind() {
            return Math.max(0, journalOrdering - (offset == null ? 0 : offset));
        }
    }

    private static final String SEQUENCE_MANIFEST = "SEQ";

    private final DataSource dataSource;
    private final Executor executor;
    private final List<String> runIndexTags;
    private final Clock clock;

    public ProjectionLag(DataSource dataSource, Executor executor, List<String> runIndexTags, Clock clock) {
        this.dataSource = dataSource;
        this.executor = executor;
        this.runIndexTags = List.copyOf(runIndexTags);
        this.clock = clock;
    }

    public static ProjectionLag create(ActorSystem<?> system, Database database, Clock clock) {
        return new ProjectionLag(
                database.dataSource(),
                QueryDispatcher.lookup(system),
                RunIndexSettings.fromConfig(system.settings().config()).tags(),
                clock);
    }

    public CompletionStage<List<Entry>> current() {
        return Jdbc.async(executor, this::read);
    }

    /** Every stored offset (and every run index tag), by projection and key (blocking). */
    public List<Entry> read() throws SQLException {
        Map<String, Entry> entries = new TreeMap<>();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            for (String tag : runIndexTags) {
                entries.put(
                        RunIndexProjection.NAME + "\u0000" + tag,
                        new Entry(RunIndexProjection.NAME, tag, null, 0, null, null));
            }
            try (PreparedStatement select =
                            connection.prepareStatement("SELECT \"projection_name\", \"projection_key\","
                                    + " \"current_offset\", \"manifest\", \"last_updated\" FROM "
                                    + "\"akka_projection_offset_store\"");
                    ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    String name = result.getString(1);
                    String key = result.getString(2);
                    Long offset = SEQUENCE_MANIFEST.equals(result.getString(4)) ? parse(result.getString(3)) : null;
                    entries.put(
                            name + "\u0000" + key,
                            new Entry(name, key, offset, 0, Instant.ofEpochMilli(result.getLong(5)), null));
                }
            }
            Instant now = clock.instant();
            List<Entry> withJournal = new ArrayList<>();
            try (PreparedStatement max =
                    connection.prepareStatement("SELECT max(\"event_id\") FROM \"event_tag\" WHERE \"tag\" = ?")) {
                for (Entry entry : entries.values()) {
                    max.setString(1, entry.key());
                    try (ResultSet result = max.executeQuery()) {
                        long ordering = result.next() ? result.getLong(1) : 0;
                        Duration since =
                                entry.lastUpdated() == null ? null : Duration.between(entry.lastUpdated(), now);
                        withJournal.add(new Entry(
                                entry.projection(), entry.key(), entry.offset(), ordering, entry.lastUpdated(), since));
                    }
                }
            }
            return withJournal;
        }
    }

    private static Long parse(String offset) {
        try {
            return Long.parseLong(offset);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
