package io.orderflow.bench;

import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.qpid.jms.JmsConnectionFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * One client of the bench, sending one order per message (or request) and waiting for the
 * service's acknowledgement before the next, as a client that must not lose an order does: a
 * persistent JMS send over CORE or AMQP 1.0 (the broker's journal synced), a STOMP SEND with a
 * receipt, an HTTP POST answered after the order's commit. Each protocol is spoken by its usual
 * Java client where one exists: Artemis's for CORE, Qpid JMS for AMQP 1.0, the JDK's for HTTP;
 * STOMP, a text protocol with no maintained plain-Java client, by its frames.
 */
public interface OrderClient extends AutoCloseable {

    List<String> PROTOCOLS = List.of("core", "amqp", "stomp", "http");

    /** Sends one order; returns when the service has acknowledged it. */
    default void send(String json) throws Exception {
        send(json, null);
    }

    /** Sends one order in the sender's trace (a W3C traceparent, or null), as the protocol carries one. */
    void send(String json, String traceparent) throws Exception;

    @Override
    void close() throws Exception;

    /** brokerUrl is the embedded acceptor's tcp://host:port, which speaks every broker protocol. */
    public static OrderClient open(String protocol, String brokerUrl, int httpPort) throws Exception {
        URI broker = URI.create(brokerUrl);
        return switch (protocol) {
            case "core" -> new Jms(new ActiveMQConnectionFactory(brokerUrl));
            case "amqp" -> new Jms(new JmsConnectionFactory("amqp://" + broker.getHost() + ":" + broker.getPort()));
            case "stomp" -> new Stomp(broker.getHost(), broker.getPort());
            case "http" -> new Http(URI.create("http://127.0.0.1:" + httpPort + "/api/orders"));
            default -> throw new IllegalArgumentException("unknown protocol " + protocol + "; one of " + PROTOCOLS);
        };
    }

    /** A persistent, non-transacted send: the client's send returns once the broker has the message on disk. */
    final class Jms implements OrderClient {
        private final ConnectionFactory factory;
        private final Connection connection;
        private final Session session;
        private final MessageProducer producer;

        Jms(ConnectionFactory factory) throws Exception {
            this.factory = factory;
            connection = factory.createConnection();
            session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            producer = session.createProducer(session.createQueue("orders.in"));
            producer.setDeliveryMode(DeliveryMode.PERSISTENT);
        }

        @Override
        public void send(String json, String traceparent) throws Exception {
            jakarta.jms.TextMessage message = session.createTextMessage(json);
            if (traceparent != null) {
                // an application property over AMQP 1.0
                message.setStringProperty("traceparent", traceparent);
            }
            producer.send(message);
        }

        @Override
        public void close() throws Exception {
            connection.close();
            if (factory instanceof AutoCloseable closeable) {
                closeable.close();
            }
        }
    }

    /** STOMP 1.2: a persistent SEND to the anycast queue, with a receipt awaited before the next. */
    final class Stomp implements OrderClient {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        private long receipts;

        Stomp(String host, int port) throws IOException {
            socket = new Socket(host, port);
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) Duration.ofSeconds(60).toMillis());
            out = socket.getOutputStream();
            in = new java.io.BufferedInputStream(socket.getInputStream());
            write("CONNECT\naccept-version:1.2\nhost:" + host + "\n\n", new byte[0]);
            String connected = readFrame();
            if (!connected.startsWith("CONNECTED")) {
                throw new IOException("STOMP CONNECT refused: " + connected);
            }
        }

        @Override
        public void send(String json, String traceparent) throws IOException {
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            String receipt = String.valueOf(++receipts);
            write("SEND\ndestination:orders.in\ndestination-type:ANYCAST\npersistent:true\ncontent-type:application/json\n"
                    + (traceparent == null ? "" : "traceparent:" + traceparent + "\n")
                    + "content-length:" + body.length + "\nreceipt:" + receipt + "\n\n", body);
            String frame = readFrame();
            if (!frame.startsWith("RECEIPT") || !frame.contains("receipt-id:" + receipt + "\n")) {
                throw new IOException("STOMP SEND not acknowledged: " + frame);
            }
        }

        private void write(String headers, byte[] body) throws IOException {
            out.write(headers.getBytes(StandardCharsets.UTF_8));
            out.write(body);
            out.write(0);
            out.flush();
        }

        /** The next frame up to its NUL, heart-beat newlines before it skipped. */
        private String readFrame() throws IOException {
            ByteArrayOutputStream frame = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) == '\n' || b == '\r') {
                // heart-beat
            }
            while (b > 0) {
                frame.write(b);
                b = in.read();
            }
            if (b < 0) {
                throw new IOException("STOMP connection closed by the broker: " + frame.toString(StandardCharsets.UTF_8));
            }
            return frame.toString(StandardCharsets.UTF_8);
        }

        @Override
        public void close() throws IOException {
            try {
                write("DISCONNECT\n\n", new byte[0]);
            } finally {
                socket.close();
            }
        }
    }

    /** POST /api/orders on a kept-alive HTTP/1.1 connection: 201 once the order is committed. */
    final class Http implements OrderClient {
        private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        private final URI orders;

        Http(URI orders) {
            this.orders = orders;
        }

        @Override
        public void send(String json, String traceparent) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(orders).header("Content-Type", "application/json");
            if (traceparent != null) {
                request.header("traceparent", traceparent);
            }
            HttpResponse<String> r = client.send(request.timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 201) {
                throw new IOException("POST /api/orders answered " + r.statusCode() + ": " + r.body());
            }
        }

        @Override
        public void close() {
            // the JDK's client on Java 17 has no close; its connections end with it
        }
    }
}
