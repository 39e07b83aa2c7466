package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Follows a run: asks for its events every interval and prints each new one once, until the run is final. Exit code
 * 0 if it completed, 1 if it failed, crashed, timed out, expired or was cancelled.
 */
@Command(
        name = "tail",
        description = {
            "Follow a run's events until it ends.",
            "Exit code 0 if the run completed, 1 if it failed, crashed, timed out, expired or was cancelled."
        })
final class TailCommand extends RunCommands.RunCommand {

    static final String COMPLETED = "COMPLETED";

    @Parameters(paramLabel = "<runId>")
    String runId;

    @Option(
            names = "--interval",
            paramLabel = "<duration>",
            description = "How often to ask for new events, e.g. 500ms or 2s (default: baton.cli.tail-interval, 1s).")
    String interval;

    @Override
    int run() {
        Duration pause = interval == null ? defaults().tailInterval() : parseInterval(interval);
        ApiClient client = environmentClient();
        String runPath = "/api/v3/runs/" + ApiClient.segment(runId);
        String eventsPath = "/api/v1/runs/" + ApiClient.segment(runId) + "/events";
        long lastPrinted = Long.MIN_VALUE;
        while (true) {
            // The run before its events: when the run is final, the events read after it hold its last one.
            JsonNode run = client.get(runPath);
            for (JsonNode event : client.get(eventsPath).path("data")) {
                long sequenceNr = event.path("sequenceNr").asLong();
                if (sequenceNr <= lastPrinted) continue;
                printEvent(event);
                lastPrinted = sequenceNr;
            }
            if (run.path("isCompleted").asBoolean(false)) {
                String status = run.path("status").asText();
                if (!connection.json) {
                    out().println("Run " + runId + " ended " + status + ".");
                    out().flush();
                }
                return COMPLETED.equals(status) ? 0 : 1;
            }
            sleep(pause);
        }
    }

    private void printEvent(JsonNode event) {
        if (connection.json) {
            out().println(event.toString()); // one event per line, for scripts
        } else {
            JsonNode data = event.path("data");
            out().println(String.join(
                    "  ",
                    event.path("timestamp").asText(data.path("at").asText("-")),
                    event.path("type").asText(),
                    data.isMissingNode() || data.isNull() ? "" : data.toString()));
        }
        out().flush();
    }

    private Duration parseInterval(String text) {
        Duration parsed;
        try {
            parsed = ConfigFactory.parseMap(Map.of("interval", text)).getDuration("interval");
        } catch (ConfigException e) {
            throw usage("--interval must be a duration such as 500ms or 2s, not " + text);
        }
        if (parsed.isNegative() || parsed.isZero()) throw usage("--interval must be more than 0");
        return parsed;
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure("interrupted", e);
        }
    }
}
