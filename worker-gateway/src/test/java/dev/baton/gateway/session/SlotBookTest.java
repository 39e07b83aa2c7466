package dev.baton.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.engine.worker.WorkerChannel;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SlotBookTest {

    private static WorkerChannel.Execute execute(String attemptId) {
        return new WorkerChannel.Execute(
                "run_" + attemptId,
                attemptId,
                1,
                "t",
                "task/t",
                "env",
                null,
                null,
                List.of(),
                null,
                null,
                3,
                Instant.EPOCH,
                false,
                null,
                Map.of(),
                null);
    }

    @Test
    void holdsASlotFromExecuteUntilReleased() {
        SlotBook book = new SlotBook(2);
        assertTrue(book.offer(execute("a")));
        assertEquals(1, book.freeSlots());
        assertTrue(book.offer(execute("b")));
        assertEquals(0, book.freeSlots());
        assertTrue(book.release("a"));
        assertFalse(book.release("a"), "a second answer frees nothing");
        assertNull(book.inFlight("a"));
        assertEquals(1, book.freeSlots());
        assertEquals(2, book.executesReceived());
    }

    @Test
    void buffersExecutesBeyondItsSlotsAndSendsThemInOrder() {
        SlotBook book = new SlotBook(1);
        assertTrue(book.offer(execute("a")));
        assertFalse(book.offer(execute("b")));
        assertFalse(book.offer(execute("c")));
        assertEquals(0, book.freeSlots());
        assertEquals(List.of(), book.fillFreeSlots());
        book.release("a");
        assertEquals(List.of(execute("b")), book.fillFreeSlots());
        assertEquals(1, book.inFlightCount());
        assertEquals(0, book.freeSlots(), "c still waits");
        book.release("b");
        assertEquals(List.of(execute("c")), book.fillFreeSlots());
        assertEquals(3, book.executesReceived());
    }

    @Test
    void givesBackEverythingItHolds() {
        SlotBook book = new SlotBook(1);
        book.offer(execute("a"));
        book.offer(execute("b"));
        assertEquals(List.of(execute("a"), execute("b")), book.takeAll());
        assertEquals(1, book.freeSlots());
        assertEquals(0, book.inFlightCount());
    }

    @Test
    void cancelFreesAnInFlightSlotOrForgetsAWaitingExecute() {
        SlotBook book = new SlotBook(1);
        book.offer(execute("a"));
        book.offer(execute("b"));
        book.offer(execute("c"));
        assertEquals(SlotBook.Canceled.WAITING, book.cancel("b"));
        assertEquals(SlotBook.Canceled.IN_FLIGHT, book.cancel("a"));
        assertEquals(SlotBook.Canceled.NOT_HELD, book.cancel("a"));
        assertNull(book.inFlight("a"));
        assertEquals(List.of(execute("c")), book.fillFreeSlots(), "b was dropped, c takes the freed slot");
        assertEquals(0, book.freeSlots());
    }
}
