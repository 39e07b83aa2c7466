package dev.baton.engine.storage;

import akka.actor.typed.javadsl.Adapter;
import akka.persistence.jdbc.config.JournalConfig;
import akka.persistence.jdbc.journal.dao.DefaultJournalDao;
import akka.serialization.Serialization;
import akka.stream.Materializer;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;

/**
 * The journal's DAO, answering the recovery of an entity this node has just created ({@link NewEntities})
 * without a query: every trigger starts a new run entity, and its highest-sequence-number query was one of
 * the two database round trips of a trigger. Configured as {@code jdbc-journal.dao}.
 */
public class NewEntityJournalDao extends DefaultJournalDao {

  private static final Future<Object> EMPTY_JOURNAL = Future.successful(0L);

  private final NewEntities newEntities;

  /** The constructor akka-persistence-jdbc calls reflectively for {@code jdbc-journal.dao}. */
  public NewEntityJournalDao(JdbcBackend.DatabaseDef db, JdbcProfile profile, JournalConfig config,
      Serialization serialization, ExecutionContext ec, Materializer mat) {
    super(db, profile, config, serialization, ec, mat);
    this.newEntities = NewEntities.get(Adapter.toTyped(serialization.system()));
  }

  @Override
  public Future<Object> highestSequenceNr(String persistenceId, long fromSequenceNr) {
    return newEntities.take(persistenceId) ? EMPTY_JOURNAL : super.highestSequenceNr(persistenceId, fromSequenceNr);
  }
}
