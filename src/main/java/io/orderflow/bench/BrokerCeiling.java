package io.orderflow.bench;

import io.orderflow.broker.EmbeddedBroker;
import io.orderflow.config.Settings;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code bench --only=broker --broker-url=...}: the ceiling of an external broker (a primary/backup
 * pair, say) beside that of orderflow's embedded broker, both over TCP on this machine, measured in
 * the same run: durable messages of event size sent and received in batched transactions. Divided
 * by the five messages an order needs, it is the most orders a second that broker can carry,
 * whatever orderflow does.
 */
final class BrokerCeiling {

    private static final long WINDOW_MS = 10_000;

    private BrokerCeiling() {
    }

    static void measure(String url, String user, String password, int threads, Path work, Map<String, Object> results) throws Exception {
        if (url.isBlank()) {
            throw new IllegalArgumentException("--only=broker needs --broker-url, e.g. '(tcp://a:61716,tcp://b:61717)?ha=true'");
        }
        Benchmark.say("[broker] durable messages of 500 bytes sent and received in transactions of %d, %d producers and %d consumers, %d s each",
                Ceiling.BATCH, threads, threads, WINDOW_MS / 1000);
        Settings settings = Benchmark.settings(Map.of("orderflow.data-dir", work.resolve("broker-ceiling").toString(),
                "orderflow.db.embedded", "h2"));
        double embedded;
        EmbeddedBroker broker = new EmbeddedBroker(settings);
        broker.start();
        try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory(settings.get("orderflow.broker.listen"))) {
            embedded = Ceiling.brokerMessagesPerSecond(cf, "bench.ceiling", 500, threads, WINDOW_MS);
        } finally {
            broker.close();
        }
        report("embedded broker over TCP (the baseline)", embedded, embedded);
        double external;
        try (ActiveMQConnectionFactory cf = user.isEmpty() ? new ActiveMQConnectionFactory(url)
                : new ActiveMQConnectionFactory(url, user, password)) {
            external = Ceiling.brokerMessagesPerSecond(cf, "bench.ceiling", 500, threads, WINDOW_MS);
        }
        report(url, external, embedded);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("embeddedMessagesPerSecond", Math.round(embedded));
        r.put("url", url);
        r.put("messagesPerSecond", Math.round(external));
        r.put("messagesPerOrder", Ceiling.MESSAGES_PER_ORDER);
        r.put("ordersPerSecond", Math.round(external / Ceiling.MESSAGES_PER_ORDER));
        r.put("ratioToEmbedded", Percentiles.round(external / embedded));
        results.put("brokerCeiling", r);
    }

    private static void report(String what, double messages, double baseline) {
        Benchmark.say("[broker] %s: %,.0f messages/s, %,.0f orders/s at %d messages an order (%.2f x the embedded broker)",
                what, messages, messages / Ceiling.MESSAGES_PER_ORDER, Ceiling.MESSAGES_PER_ORDER, messages / baseline);
    }
}
