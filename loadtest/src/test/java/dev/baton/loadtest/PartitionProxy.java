package dev.baton.loadtest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay in front of one node's cluster port (its canonical Akka address names the relay, the node binds
 * behind it), so a test can cut the node off the way a blocked port does: every connection to it is dropped and new
 * ones are refused. The node's own outbound connections bypass the relay, but the cut is still mutual: the others'
 * heartbeats never reach it, and the answers to its own heartbeats travel on their connections to it.
 */
final class PartitionProxy implements AutoCloseable {

    private final ServerSocket server;
    private final int target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;

    PartitionProxy(int listenPort, int targetPort) throws IOException {
        this.target = targetPort;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort));
        Thread acceptor = new Thread(this::accept, "partition-proxy-" + listenPort);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Drops every connection through the relay and refuses new ones, until {@link #heal()}. */
    void cut() {
        cut = true;
        closeAll();
    }

    /** Relays new connections again. */
    void heal() {
        cut = false;
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException closed) {
                return;
            }
            if (cut) { // refused, as by a firewall's REJECT
                close(client);
                continue;
            }
            open.add(client);
            try {
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                open.add(upstream);
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException nodeDown) {
                close(client); // the connecting side sees the failure and retries
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread thread = new Thread(
                () -> {
                    byte[] buffer = new byte[64 * 1024];
                    try (InputStream in = from.getInputStream();
                            OutputStream out = to.getOutputStream()) {
                        int read;
                        while ((read = in.read(buffer)) >= 0) {
                            out.write(buffer, 0, read);
                        }
                    } catch (IOException closed) {
                        // either side closed: close both
                    } finally {
                        close(from);
                        close(to);
                    }
                },
                "partition-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private void closeAll() {
        for (Socket socket : open) close(socket);
    }

    private void close(Socket socket) {
        open.remove(socket);
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        closeAll();
    }
}
