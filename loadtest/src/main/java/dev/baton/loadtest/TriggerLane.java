package dev.baton.loadtest;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * One closed-loop lane of single triggers: a keep-alive HTTP/1.1 connection of its own, used by one thread,
 * one call after the other. {@code java.net.http} cost the generator about 0.6 ms of CPU per call (a third of the
 * 2 cores at 1,100 calls/s, taken from the node it measures); writing the request and reading the answer on a
 * blocking socket costs a fraction of that. The open loop keeps {@link TriggerClient}, which needs no thread per
 * call in flight.
 */
final class TriggerLane implements AutoCloseable {

    private final URI base;
    private final String head;
    private Socket socket;
    private OutputStream output;
    private InputStream input;

    TriggerLane(URI base, String secretKey) {
        this.base = base;
        this.head = "POST /api/v1/tasks/" + TriggerClient.TASK + "/trigger HTTP/1.1\r\n"
                + "Host: " + base.getHost() + ":" + base.getPort() + "\r\n"
                + "Authorization: Bearer " + secretKey + "\r\n"
                + "Content-Type: application/json\r\n";
    }

    /**
     * Triggers the run {@code {"i":i,"t":t}} and returns its id; a non-2xx answer is a {@link
     * TriggerClient.HttpStatusException}.
     */
    String trigger(long i, long t) throws IOException {
        byte[] body = ("{\"payload\":{\"i\":" + i + ",\"t\":" + t + "}}").getBytes(StandardCharsets.UTF_8);
        if (socket == null) connect();
        try {
            output.write((head + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            output.write(body);
            output.flush();
            return answer();
        } catch (IOException e) {
            close(); // the next call reconnects; this one failed and is counted so
            throw e;
        }
    }

    private void connect() throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(60_000);
        socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 10_000);
        output = socket.getOutputStream();
        input = new BufferedInputStream(socket.getInputStream(), 8192);
    }

    private String answer() throws IOException {
        String status = line();
        if (!status.startsWith("HTTP/1.")) throw new IOException("not an HTTP answer: " + status);
        int code = Integer.parseInt(status.substring(9, 12));
        int length = -1;
        boolean chunked = false;
        boolean closes = false;
        for (String header = line(); !header.isEmpty(); header = line()) {
            int colon = header.indexOf(':');
            if (colon < 0) continue;
            String name = header.substring(0, colon).trim().toLowerCase();
            String value = header.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = Integer.parseInt(value);
                case "transfer-encoding" -> chunked = value.equalsIgnoreCase("chunked");
                case "connection" -> closes = value.equalsIgnoreCase("close");
                default -> {}
            }
        }
        String body =
                chunked ? chunkedBody() : new String(input.readNBytes(Math.max(length, 0)), StandardCharsets.UTF_8);
        if (closes) close();
        if (code / 100 != 2) throw new TriggerClient.HttpStatusException("trigger", code, body);
        return runId(body);
    }

    private String chunkedBody() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int size = Integer.parseInt(line().split(";")[0].trim(), 16);
                size > 0;
                size = Integer.parseInt(line().split(";")[0].trim(), 16)) {
            body.write(input.readNBytes(size));
            line();
        }
        while (!line().isEmpty()) {} // trailers
        return body.toString(StandardCharsets.UTF_8);
    }

    /** The {@code id} of the trigger's answer ({@code {"id":"run_…", …}}). */
    static String runId(String body) throws IOException {
        int key = body.indexOf("\"id\":\"");
        if (key < 0) throw new IOException("trigger answered without an id: " + body);
        int start = key + 6;
        return body.substring(start, body.indexOf('"', start));
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder(64);
        for (int c = input.read(); c != '\n'; c = input.read()) {
            if (c < 0) throw new IOException("connection closed by the node");
            if (c != '\r') line.append((char) c);
        }
        return line.toString();
    }

    @Override
    public void close() {
        if (socket == null) return;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a socket that failed
        }
        socket = null;
    }
}
