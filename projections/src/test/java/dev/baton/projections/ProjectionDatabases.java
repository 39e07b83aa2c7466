package dev.baton.projections;

import dev.baton.engine.storage.Database;
import dev.baton.engine.testkit.TestDatabases;

/** Opens a test database (see the engine testkit's TestDatabases) with the projections' tables too. */
public final class ProjectionDatabases {

    private ProjectionDatabases() {}

    /** Opens the database and creates the engine's and the projections' tables. */
    public static Database open(String url) {
        Database database = Database.open(TestDatabases.dbConfig(url));
        database.createSchemaIfMissing();
        database.runSchemaScript(Projections.SCHEMA_SCRIPT);
        return database;
    }
}
