package io.orderflow.flow;

import io.orderflow.support.OrderflowTestSupport;
import io.orderflow.support.TcpProxy;
import io.orderflow.support.TestPostgres;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * PostgreSQL goes away (its connections dropped, new ones refused) while a file and a JMS order
 * arrive: nothing is rejected or dead-lettered, the file stays in the inbox, the message is not
 * acknowledged, an order over HTTP is answered 503 and written once retried, and everything is
 * processed once the database is back.
 */
class DatabaseOutageTest extends OrderflowTestSupport {

    /** 30 s in mvn verify; -Psoak holds it for 5 minutes */
    private static final int OUTAGE_S = Integer.getInteger("orderflow.test.db-outage-s", 20);

    private TestPostgres postgres;
    private TcpProxy proxy;

    @Override
    protected Map<String, String> settingsOverrides() {
        postgres = TestPostgres.create();
        try {
            proxy = new TcpProxy(URI.create(postgres.url().substring("jdbc:".length())).getPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String url = postgres.url().replaceFirst(":\\d+/", ":" + proxy.port() + "/");
        return Map.of("orderflow.db.url", url, "orderflow.db.user", postgres.user(),
                "orderflow.db.connect-timeout-ms", "1000");
    }

    @AfterAll
    void stopServers() throws Exception {
        context.stop();
        proxy.close();
        postgres.close();
    }

    @Test
    void should_wait_for_the_database_without_rejecting_or_dead_lettering_anything() throws Exception {
        Path inbox = dataDir.resolve("orders/inbox");
        Files.writeString(dataDir.resolve("stock/inbox/s.csv"), "sku,quantity\nOUT-1,10\n", StandardCharsets.UTF_8);
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dataDir.resolve("stock/done/s.csv")));

        proxy.cut();
        await().atMost(Duration.ofSeconds(30)).until(() -> health().startsWith("{\"status\":\"DOWN\""));
        Files.writeString(inbox.resolve("during-outage.json"), order("OUT-A"), StandardCharsets.UTF_8);
        template.sendBody("jms:queue:orders.in", order("OUT-B"));
        // both inputs are held (in flight, not acknowledged, not moved) and retried in place
        await().atMost(Duration.ofSeconds(30)).until(() -> retriedInPlace("order-files") && retriedInPlace("order-messages"));
        // and stay so for the whole outage: nothing rejected, nothing dead-lettered, the file in the inbox
        await().during(Duration.ofSeconds(OUTAGE_S)).atMost(Duration.ofSeconds(OUTAGE_S + 15)).until(() ->
                Files.exists(inbox.resolve("during-outage.json")) && !Files.exists(dataDir.resolve("orders/error/during-outage.json"))
                        && context.getInflightRepository().size("order-messages") == 1);
        // an order over HTTP is answered 503 with Retry-After, and nothing of it is written
        HttpResponse<String> refused = post(order("OUT-C"));
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        assertThat(refused.body()).contains("nothing was written");
        long restored = System.nanoTime();

        proxy.restore();
        await().atMost(Duration.ofSeconds(30)).until(() -> health().startsWith("{\"status\":\"UP\""));
        assertThat(configuration.database().jdbc().queryForObject("SELECT COUNT(*) FROM orders WHERE order_id = 'OUT-C'", Integer.class))
                .isZero();
        // the client's retry
        assertThat(post(order("OUT-C")).statusCode()).isEqualTo(201);
        // processing resumes within 30 s of the database returning
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dataDir.resolve("orders/done/during-outage.json")));
        for (String id : new String[] {"OUT-A", "OUT-B", "OUT-C"}) {
            await().atMost(Duration.ofSeconds(30)).until(() -> "CONFIRMED".equals(configuration.database().jdbc().query(
                    "SELECT status FROM orders WHERE order_id = ?", rs -> rs.next() ? rs.getString(1) : null, id)));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> health().startsWith("{\"status\":\"UP\""));
        System.out.printf("DatabaseOutageTest: %d s outage, everything processed %.1f s after the database returned%n",
                OUTAGE_S, (System.nanoTime() - restored) / 1e9);
        assertThat(consumer.receiveNoWait("jms:queue:orders.in.rejected")).isNull();
        assertThat(consumer.receiveNoWait("jms:queue:orderflow.dead-letter")).isNull();
        assertThat(configuration.database().jdbc().queryForObject("SELECT reserved FROM stock_item WHERE sku = 'OUT-1'", Integer.class))
                .isEqualTo(6);
    }

    private boolean retriedInPlace(String routeId) {
        return context.getInflightRepository().browse(routeId).stream()
                .anyMatch(e -> e.getExchange().getIn().getHeader(Exchange.REDELIVERY_COUNTER, 0, Integer.class) >= 3);
    }

    private static String order(String id) {
        return "{\"orderId\":\"" + id + "\",\"customer\":{\"email\":\"o@example.com\"},\"lines\":[{\"sku\":\"OUT-1\",\"quantity\":2}]}";
    }

    private HttpResponse<String> post(String json) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/api/orders"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String health() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + httpPort + "/observe/health")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.body();
    }
}
