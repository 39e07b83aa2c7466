package dev.baton.loadtest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where a fault scenario keeps its node logs and embedded store: under target/faults, for a look after a failure. */
final class FaultRuns {

    private FaultRuns() {}

    static Path directory(String scenario) {
        try {
            return Files.createDirectories(Path.of("target", "faults", scenario).toAbsolutePath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
