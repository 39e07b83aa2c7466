package dev.baton.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.baton.engine.run.MetadataOperation.Type;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetadataOperationTest {

    private static String apply(String metadata, MetadataOperation... operations) {
        return MetadataOperation.applyAll(metadata, List.of(operations));
    }

    @Test
    void eachOperationType() {
        assertEquals("{\"a\":1}", apply(null, new MetadataOperation(Type.SET, "a", "1")));
        assertEquals("{\"b\":2}", apply("{\"a\":1}", new MetadataOperation(Type.UPDATE, null, "{\"b\":2}")));
        assertEquals("{}", apply("{\"a\":1}", new MetadataOperation(Type.DELETE, "a", null)));
        assertEquals("{\"l\":[1,2]}", apply("{\"l\":[1]}", new MetadataOperation(Type.APPEND, "l", "2")));
        assertEquals("{\"l\":[\"x\"]}", apply(null, new MetadataOperation(Type.APPEND, "l", "\"x\"")));
        assertEquals("{\"l\":[1,2]}", apply("{\"l\":1}", new MetadataOperation(Type.APPEND, "l", "2")));
        assertEquals(
                "{\"l\":[1,3]}",
                apply("{\"l\":[1,{\"x\":2},3]}", new MetadataOperation(Type.REMOVE, "l", "{\"x\":2}")));
        assertEquals("{\"n\":5}", apply("{\"n\":2}", new MetadataOperation(Type.INCREMENT, "n", "3")));
        assertEquals("{\"n\":-1.5}", apply(null, new MetadataOperation(Type.INCREMENT, "n", "-1.5")));
    }

    @Test
    void jsonPathKeysReachNestedObjects() {
        assertEquals("{\"a\":{\"b\":{\"c\":true}}}", apply(null, new MetadataOperation(Type.SET, "$.a.b.c", "true")));
        assertEquals("{\"a\":{}}", apply("{\"a\":{\"b\":1}}", new MetadataOperation(Type.DELETE, "$.a.b", null)));
        assertEquals("{\"a\":1}", apply("{\"a\":1}", new MetadataOperation(Type.DELETE, "$.x.y", null)));
    }

    @Test
    void operationsApplyInOrder() {
        assertEquals(
                "{\"n\":2,\"l\":[\"a\"]}",
                apply(
                        null,
                        new MetadataOperation(Type.INCREMENT, "n", "1"),
                        new MetadataOperation(Type.INCREMENT, "n", "1"),
                        new MetadataOperation(Type.APPEND, "l", "\"a\"")));
    }

    @Test
    void invalidOperationsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new MetadataOperation(Type.SET, "__proto__", "1"));
        assertThrows(IllegalArgumentException.class, () -> new MetadataOperation(Type.SET, "$.a.constructor", "1"));
        assertThrows(IllegalArgumentException.class, () -> new MetadataOperation(Type.SET, null, "1"));
        assertThrows(IllegalArgumentException.class, () -> new MetadataOperation(Type.UPDATE, null, "[1]"));
        assertThrows(IllegalArgumentException.class, () -> new MetadataOperation(Type.INCREMENT, "n", "\"x\""));
        assertThrows(IllegalArgumentException.class, () -> new MetadataOperation(Type.SET, "a", "{not json"));
    }
}
