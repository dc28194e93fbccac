package io.orderflow.trace;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.orderflow.infra.OutageLog;
import io.orderflow.support.FlowTestSupport;
import io.orderflow.support.OtlpReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A collector that is down for 30 s, then hangs for 30 s, changes nothing in the flow: every order
 * is applied and mailed once meanwhile, spans beyond the exporter's small queue are dropped and
 * counted, the heap does not grow with them, and the outage is a few WARN lines, not one per batch.
 */
class TracesCollectorOutageTest extends FlowTestSupport {

    private static final Duration PHASE = Duration.ofSeconds(Integer.getInteger("orderflow.test.collector-outage-s", 30));
    private static final int PER_SECOND = 10;
    // static: the base class reads the settings while it is constructed
    private static final OtlpReceiver collector = start();

    private static OtlpReceiver start() {
        try {
            return new OtlpReceiver();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected Map<String, String> settingsOverrides() {
        // a queue this small fills within seconds of a hang; one outage line per 10 s, as by default
        return Map.of("orderflow.otel.endpoint", collector.endpoint(), "orderflow.otel.queue-size", "300",
                "orderflow.retry.outage-max-delay-ms", "10000");
    }

    @AfterAll
    void stopCollector() {
        collector.close();
    }

    private double dropped() {
        return configuration.meters().find("orderflow.traces.spans.dropped").functionCounter().count();
    }

    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Sends PER_SECOND orders a second by JMS for the phase; returns their ids. */
    private List<String> sendFor(Duration phase, String prefix, String sku) {
        List<String> ids = new ArrayList<>();
        long start = System.nanoTime();
        for (int second = 0; second < phase.toSeconds(); second++) {
            for (int i = 0; i < PER_SECOND; i++) {
                String id = prefix + "-" + second + "-" + i;
                template.sendBody("jms:queue:orders.in", order(id, "oc@example.com", sku, "1"));
                ids.add(id);
            }
            // the pace of a steady client: chosen, not waited on
            LockSupport.parkNanos(start + TimeUnit.SECONDS.toNanos(second + 1) - System.nanoTime());
        }
        return ids;
    }

    private void awaitAllMailed(String prefix, int n) {
        await().atMost(TIMEOUT).until(() -> count("SELECT COUNT(*) FROM orders WHERE order_id LIKE ? AND notified_at IS NOT NULL",
                prefix + "-%") == n);
        assertThat(count("SELECT COUNT(*) FROM email_notification WHERE order_id LIKE ? AND status = 'SENT'", prefix + "-%"))
                .as("mailed once each").isEqualTo(n);
    }

    @Test
    void should_go_on_unchanged_while_the_collector_is_down_then_hangs_with_spans_dropped_and_counted_and_few_warnings() throws Exception {
        Logger outageLog = (Logger) LoggerFactory.getLogger(OutageLog.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        outageLog.addAppender(lines);
        try {
            String sku = unique("OC");
            stock("sku,quantity\n" + sku + ",100000\n");
            String warm = unique("OCW");
            drop("orders", warm + ".json", order(warm, "oc@example.com", sku, "1"));
            awaitNotified(warm);
            await().atMost(TIMEOUT).until(() -> !collector.spansOf(warm).isEmpty());
            long heapBefore = heapAfterGc();

            collector.down();
            String downPrefix = unique("OCD");
            List<String> sentWhileDown = sendFor(PHASE, downPrefix, sku);
            awaitAllMailed(downPrefix, sentWhileDown.size());

            collector.up();
            collector.hang();
            double droppedBefore = dropped();
            String hangPrefix = unique("OCH");
            List<String> sentWhileHanging = sendFor(PHASE, hangPrefix, sku);
            // still hanging: the flow did not wait for it
            awaitAllMailed(hangPrefix, sentWhileHanging.size());
            assertThat(dropped()).as("spans beyond the queue dropped and counted").isGreaterThan(droppedBefore);
            long heapDuring = heapAfterGc();
            assertThat(heapDuring - heapBefore).as("the heap does not hold the spans the collector did not take").isLessThan(32L << 20);

            collector.answer();
            // once an export goes through again, the queue (full of the hang's spans) has room
            await().atMost(TIMEOUT).until(() -> lines.list.stream().anyMatch(e -> e.getFormattedMessage()
                    .startsWith(OtlpTraces.SOURCE + " is working again")));
            String after = unique("OCA");
            drop("orders", after + ".json", order(after, "oc@example.com", sku, "1"));
            awaitNotified(after);
            await().atMost(TIMEOUT).until(() -> !collector.spansOf(after).isEmpty());

            List<String> warnings = lines.list.stream().filter(e -> e.getFormattedMessage().startsWith(OtlpTraces.SOURCE + ":"))
                    .map(ILoggingEvent::getFormattedMessage).toList();
            assertThat(warnings).as("the collector's outage, said once per 10 s interval").isNotEmpty()
                    .hasSizeLessThanOrEqualTo((int) (2 * PHASE.toSeconds() / 10) + 3);
            assertThat(warnings).allMatch(w -> w.contains("spans dropped, the flow not held up"));
        } finally {
            outageLog.detachAppender(lines);
        }
    }
}
