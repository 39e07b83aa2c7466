package dev.baton.sdk.worker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.sdk.internal.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Just enough of a WebSocket server (RFC 6455: handshake, text and close frames) to play the
 * worker gateway in tests. The real gateway's end-to-end tests live in the gateway module.
 */
final class FakeGateway implements AutoCloseable {

    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private final ServerSocket server;
    private final String workerToken;
    private final BlockingQueue<Connection> connections = new LinkedBlockingQueue<>();
    private final AtomicInteger refusedHandshakes = new AtomicInteger();

    FakeGateway(String workerToken) throws IOException {
        this.workerToken = workerToken;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "fake-gateway-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    URI httpUrl() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    int refusedHandshakes() {
        return refusedHandshakes.get();
    }

    /** The next accepted WebSocket connection, or null after {@code timeout}. */
    Connection nextConnection(Duration timeout) throws InterruptedException {
        return connections.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread thread = new Thread(() -> handshake(socket), "fake-gateway-connection");
                thread.setDaemon(true);
                thread.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void handshake(Socket socket) {
        try {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            Map<String, String> headers = readRequestHeaders(in);
            OutputStream out = socket.getOutputStream();
            if (!("Bearer " + workerToken).equals(headers.get("authorization"))) {
                refusedHandshakes.incrementAndGet();
                out.write("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                socket.close();
                return;
            }
            byte[] digest = MessageDigest.getInstance("SHA-1")
                    .digest((headers.get("sec-websocket-key") + ACCEPT_GUID).getBytes(StandardCharsets.ISO_8859_1));
            out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            + "Sec-WebSocket-Accept: " + Base64.getEncoder().encodeToString(digest) + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Connection connection = new Connection(socket, in, headers.get("authorization"));
            connections.add(connection);
            connection.readFrames();
        } catch (Exception e) {
            closeQuietly(socket);
        }
    }

    private static Map<String, String> readRequestHeaders(DataInputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("handshake cut short");
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        Map<String, String> headers = new HashMap<>();
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(
                        lines[i].substring(0, colon).trim().toLowerCase(),
                        lines[i].substring(colon + 1).trim());
            }
        }
        return headers;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** One worker connection: messages received, and ways to answer or cut it. */
    static final class Connection {
        private final Socket socket;
        private final DataInputStream in;
        private final String authorization;
        private final BlockingQueue<JsonNode> received = new LinkedBlockingQueue<>();
        private final CountDownLatch disconnected = new CountDownLatch(1);
        private volatile boolean closeFrameReceived;

        private Connection(Socket socket, DataInputStream in, String authorization) {
            this.socket = socket;
            this.in = in;
            this.authorization = authorization;
        }

        String authorization() {
            return authorization;
        }

        /** The next message from the worker, or null after {@code timeout}. */
        JsonNode next(Duration timeout) throws InterruptedException {
            return received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** The next message that is not a heartbeat, or null after {@code timeout}. */
        JsonNode nextIgnoringHeartbeats(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                long left = deadline - System.nanoTime();
                JsonNode message = received.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
                if (message == null || !message.path("type").asText().equals("heartbeat")) {
                    return message;
                }
            }
        }

        void send(String json) throws IOException {
            writeFrame(true, 1, json.getBytes(StandardCharsets.UTF_8));
        }

        /** Sends one message as two frames, so the client sees a text message in parts. */
        void sendInTwoFrames(String json) throws IOException {
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            int half = bytes.length / 2;
            writeFrame(false, 1, java.util.Arrays.copyOfRange(bytes, 0, half));
            writeFrame(true, 0, java.util.Arrays.copyOfRange(bytes, half, bytes.length));
        }

        /** Pings the worker, as a node does on an idle connection. */
        void ping() throws IOException {
            writeFrame(true, 9, new byte[0]);
        }

        /** Closes the connection with a close frame, as a node that is stopping does (1001: going away). */
        void goAway() throws IOException {
            writeFrame(true, 8, new byte[] {(byte) (1001 >> 8), (byte) (1001 & 0xff)});
            closeQuietly(socket);
        }

        /** Cuts the TCP connection without a close frame, like a crashed node. */
        void drop() {
            closeQuietly(socket);
        }

        boolean awaitDisconnect(Duration timeout) throws InterruptedException {
            return disconnected.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        boolean closeFrameReceived() {
            return closeFrameReceived;
        }

        private void readFrames() {
            ByteArrayOutputStream message = new ByteArrayOutputStream();
            try {
                while (true) {
                    int first = in.readUnsignedByte();
                    int second = in.readUnsignedByte();
                    boolean fin = (first & 0x80) != 0;
                    int opcode = first & 0x0F;
                    long length = second & 0x7F;
                    if (length == 126) {
                        length = in.readUnsignedShort();
                    } else if (length == 127) {
                        length = in.readLong();
                    }
                    byte[] mask = new byte[4];
                    if ((second & 0x80) != 0) {
                        in.readFully(mask);
                    }
                    byte[] payload = new byte[(int) length];
                    in.readFully(payload);
                    for (int i = 0; i < payload.length; i++) {
                        payload[i] ^= mask[i % 4];
                    }
                    switch (opcode) {
                        case 0, 1 -> {
                            message.write(payload);
                            if (fin) {
                                received.add(Json.mapper().readTree(message.toByteArray()));
                                message.reset();
                            }
                        }
                        case 8 -> {
                            closeFrameReceived = true;
                            writeFrame(true, 8, payload);
                            socket.close();
                            return;
                        }
                        case 9 -> writeFrame(true, 10, payload);
                        default -> {} // pong or binary: not used by the worker
                    }
                }
            } catch (IOException e) {
                // EOF or reset: the worker went away
            } finally {
                closeQuietly(socket);
                disconnected.countDown();
            }
        }

        private synchronized void writeFrame(boolean fin, int opcode, byte[] payload) throws IOException {
            OutputStream out = socket.getOutputStream();
            out.write((fin ? 0x80 : 0) | opcode);
            if (payload.length < 126) {
                out.write(payload.length);
            } else if (payload.length < 65_536) {
                out.write(126);
                out.write(payload.length >>> 8);
                out.write(payload.length & 0xFF);
            } else {
                out.write(127);
                for (int shift = 56; shift >= 0; shift -= 8) {
                    out.write((int) ((long) payload.length >>> shift) & 0xFF);
                }
            }
            out.write(payload);
            out.flush();
        }
    }
}
