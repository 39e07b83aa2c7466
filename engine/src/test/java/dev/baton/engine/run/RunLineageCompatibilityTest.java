package dev.baton.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.serialization.jackson.JacksonObjectMapperProvider;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A lineage stored before it named a schedule (inside every RunTriggered) still reads, as a run of no schedule. */
class RunLineageCompatibilityTest {

    private static ActorTestKit testKit;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create("RunLineageCompatibilityTest");
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void aLineageWithoutScheduleIdReadsAsNone() throws Exception {
        ObjectMapper cbor =
                JacksonObjectMapperProvider.get(testKit.system()).getOrCreate("jackson-cbor", Optional.empty());
        Map<String, Object> older = new LinkedHashMap<>();
        older.put("parentRunId", null);
        older.put("rootRunId", null);
        older.put("depth", 0);
        older.put("triggerFunction", "batchTrigger");
        older.put("batchId", "batch_1");
        older.put("batchIndex", 2);
        older.put("parentWaitKey", null);
        RunLineage read = cbor.readValue(cbor.writeValueAsBytes(older), RunLineage.class);
        assertEquals(RunLineage.ofBatch("batch_1", 2), read);
        assertNull(read.scheduleId());

        RunLineage scheduled = RunLineage.ofSchedule("sched_1");
        assertEquals(scheduled, cbor.readValue(cbor.writeValueAsBytes(scheduled), RunLineage.class));
    }
}
