package dev.baton.gateway.session;

import akka.NotUsed;
import akka.actor.typed.ActorRef;
import akka.http.javadsl.model.ws.Message;
import akka.http.javadsl.model.ws.TextMessage;
import akka.japi.Pair;
import akka.stream.Materializer;
import akka.stream.OverflowStrategy;
import akka.stream.StreamLimitReachedException;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import akka.stream.typed.javadsl.ActorSink;
import akka.stream.typed.javadsl.ActorSource;
import dev.baton.engine.common.Failures;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Wires one WebSocket connection to its {@link WorkerSession}: incoming frames go to the session
 * one at a time (it acknowledges each), outgoing messages come from an actor-backed source. The two
 * sides are coupled, so when either ends the session hears {@link WorkerSession.SocketClosed}.
 */
public final class WorkerSocket {
    private WorkerSocket() {}

    /** What a session sends towards the worker. */
    public sealed interface Outgoing {}

    record Send(String json) implements Outgoing {}

    /** Completes the outgoing side after everything queued before it was written; the socket then closes. */
    enum Close implements Outgoing {
        INSTANCE
    }

    /** One complete message from the worker. */
    sealed interface Incoming {}

    record Text(String text) implements Incoming {}

    /** A message the gateway will not read (binary, too large, cut off); a protocol error. */
    record Unreadable(String reason) implements Incoming {}

    /**
     * The flow for one connection. Nothing happens until akka-http materializes it; then
     * {@code startSession} is given the outgoing side and must return the new session.
     */
    public static Flow<Message, Message, NotUsed> flow(
            GatewaySettings settings, Function<ActorRef<Outgoing>, ActorRef<WorkerSession.Command>> startSession) {
        return Flow.<Message, Message, NotUsed>fromMaterializer((materializer, attributes) -> {
                    Pair<ActorRef<Outgoing>, Source<Outgoing, NotUsed>> outgoing = ActorSource.<Outgoing>actorRef(
                                    message -> message == Close.INSTANCE,
                                    message -> Optional.empty(),
                                    settings.sendBufferSize(),
                                    OverflowStrategy.fail())
                            .preMaterialize(materializer);
                    ActorRef<WorkerSession.Command> session = startSession.apply(outgoing.first());
                    Sink<Message, NotUsed> toSession = Flow.of(Message.class)
                            .mapAsync(1, message -> read(message, settings, materializer))
                            .to(
                                    ActorSink
                                            .<Incoming, WorkerSession.Command, WorkerSession.SocketAck>
                                                    actorRefWithBackpressure(
                                                            session,
                                                            WorkerSession.FrameReceived::new,
                                                            WorkerSession.SocketOpened::new,
                                                            WorkerSession.SocketAck.INSTANCE,
                                                            WorkerSession.SocketClosed.INSTANCE,
                                                            WorkerSession.SocketFailed::new));
                    Source<Message, NotUsed> toWorker =
                            outgoing.second().collectType(Send.class).map(send -> TextMessage.create(send.json()));
                    return Flow.fromSinkAndSourceCoupled(toSession, toWorker);
                })
                .mapMaterializedValue(ignored -> NotUsed.getInstance());
    }

    /** Collects one (possibly fragmented) message, bounded in size and in time. */
    private static CompletionStage<Incoming> read(
            Message message, GatewaySettings settings, Materializer materializer) {
        int limit = settings.maxMessageSize();
        if (!message.isText()) {
            // A streamed message must be drained, or the connection stalls.
            return message.asBinaryMessage()
                    .getStreamedData()
                    .runWith(Sink.ignore(), materializer)
                    .handle((done, error) -> new Unreadable("binary messages are not part of the protocol"));
        }
        TextMessage text = message.asTextMessage();
        if (text.isStrict()) {
            String strict = text.getStrictText();
            return CompletableFuture.completedFuture(strict.length() > limit ? tooLarge(limit) : new Text(strict));
        }
        return text.getStreamedText()
                .limitWeighted(limit, part -> (long) part.length())
                .completionTimeout(settings.messageReadTimeout())
                .runFold(new StringBuilder(), (collected, part) -> collected.append(part), materializer)
                .<Incoming>thenApply(collected -> new Text(collected.toString()))
                .exceptionally(error -> Failures.cause(error) instanceof StreamLimitReachedException
                        ? tooLarge(limit)
                        : new Unreadable("could not read the message: "
                                + Failures.cause(error).getMessage()));
    }

    private static Incoming tooLarge(int limit) {
        return new Unreadable("message larger than " + limit + " characters");
    }
}
