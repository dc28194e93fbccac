package io.orderflow.crash;

import com.icegreen.greenmail.util.GreenMail;
import io.orderflow.db.Database;
import io.orderflow.support.FailoverFlow;
import io.orderflow.support.OrderflowProcess;
import io.orderflow.support.RestartablePostgres;
import io.orderflow.support.TcpProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * orderflow on its embedded broker, a PostgreSQL server and a real SMTP server behind a TCP proxy,
 * while a client sends orders over JMS. In each cycle the database is restarted (an immediate
 * shutdown, which is a crash, and a fast one, an operator's restart, in turn) and the mail server
 * is cut off, each for a random 0.5 to 3 s. Every order must be applied once and mailed (once by
 * Message-ID), nothing rejected or dead-lettered, the invariant check clean. For each kind the
 * recovery time is printed, p50 and p99: from the server being back to the flow being whole again
 * (every outbox publishing, for the database; every mail that waited sent, for the mail server).
 */
class OutageCyclesIT {

    /** Two of each in verify; -Pfailover-soak runs 20. */
    private static final int CYCLES = Math.max(1, Integer.getInteger("orderflow.test.outage-cycles", 2));
    private static final double RATE = 40;

    /** Kept when the test fails: the database's and orderflow's logs are in it. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path work;

    @Test
    void should_apply_and_mail_every_order_once_through_cycles_of_database_restarts_and_mail_server_outages() throws Exception {
        long seed = Long.getLong("orderflow.test.seed", System.nanoTime());
        Random random = new Random(seed);
        // at most: a cycle takes about 10 s at 40 orders/s; the client stops after the last outage
        FailoverFlow flow = new FailoverFlow("OC-", CYCLES * 1000 + 1000);
        System.out.println("OutageCyclesIT: seed " + seed + ", " + CYCLES + " cycles");
        GreenMail smtp = FailoverFlow.smtp();
        try (RestartablePostgres pg = RestartablePostgres.create(Files.createDirectories(work.resolve("database")), "orderflow");
             TcpProxy mailServer = new TcpProxy(smtp.getSmtp().getPort());
             OrderflowProcess orderflow = new OrderflowProcess(Files.createDirectories(work.resolve("orderflow")))) {
            FailoverFlow.mailingTo(orderflow, smtp).with("orderflow.mail.smtp.port", String.valueOf(mailServer.port()))
                    .with("orderflow.db.url", pg.url("orderflow")).with("orderflow.db.user", "postgres").start();
            flow.stock(orderflow);
            String broker = "tcp://127.0.0.1:" + orderflow.brokerPort;
            CompletableFuture<Integer> sending = CompletableFuture.supplyAsync(() -> flow.send(broker, "", "", RATE));

            List<Double> databaseRecovery = new ArrayList<>();
            List<Double> mailRecovery = new ArrayList<>();
            try (Database db = FailoverFlow.database(pg.url("orderflow"), "postgres", work.resolve("check"))) {
                for (int i = 1; i <= CYCLES; i++) {
                    awaitProgress(db, sending);
                    RestartablePostgres.Shutdown how = i % 2 == 1 ? RestartablePostgres.Shutdown.IMMEDIATE : RestartablePostgres.Shutdown.FAST;
                    pg.stop(how);
                    holdDown(random);
                    pg.start();
                    Instant up = Instant.now();
                    databaseRecovery.add(seconds(up, await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
                            .ignoreExceptions().until(() -> everyOutboxPublishedAfter(db, up), t -> t != null)));

                    awaitProgress(db, sending);
                    mailServer.cut();
                    holdDown(random);
                    mailServer.restore();
                    Instant restored = Instant.now();
                    mailRecovery.add(seconds(restored, await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
                            .until(() -> everyMailWaitingSent(db, restored), t -> t != null)));
                    System.out.printf("OutageCyclesIT: cycle %d: database (%s shutdown) whole again %.2f s after its start,"
                                    + " mail server %.2f s after it was back%n", i, how, databaseRecovery.get(i - 1), mailRecovery.get(i - 1));
                }
                assertThat(sending.isDone()).as("the client was still sending after the last outage").isFalse();
                flow.stop();
                int resent = sending.get(10, TimeUnit.MINUTES);
                // a cut can fall between the server taking a mail and its answer: that mail goes again, same Message-ID
                int twice = flow.assertEveryOrderOnce(db, smtp, broker, "", "", CYCLES * 4);
                assertThat(orderflow.isAlive()).isTrue();
                System.out.printf("OutageCyclesIT: every order of %d applied once, %d emails sent twice (same Message-ID),"
                                + " %d client batches sent again; recovery p50/p99: database restart %s, mail server outage %s%n",
                        flow.sent(), twice, resent, FailoverFlow.percentiles(databaseRecovery), FailoverFlow.percentiles(mailRecovery));
            }
        } finally {
            smtp.stop();
        }
    }

    /** Until 50 more orders are mailed: the flow runs between two outages. */
    private static void awaitProgress(Database db, CompletableFuture<Integer> sending) {
        assertThat(sending.isDone()).as("the client was still sending").isFalse();
        int from = await().atMost(Duration.ofMinutes(1)).ignoreExceptions().until(() -> FailoverFlow.mailed(db), n -> n >= 0);
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                .until(() -> FailoverFlow.mailed(db) >= from + 50);
    }

    /** The outage's length: a random 0.5 to 3 s, chosen, not waited on. */
    private static void holdDown(Random random) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500 + random.nextInt(2500)));
    }

    /** When all three outboxes have published an event after the instant (each stage is back), or null. */
    private static Timestamp everyOutboxPublishedAfter(Database db, Instant at) {
        Timestamp latest = null;
        for (String outbox : List.of("order_outbox", "stock_outbox", "email_outbox")) {
            Timestamp first = db.jdbc().queryForObject("SELECT MIN(published_at) FROM " + outbox + " WHERE published_at > ?",
                    Timestamp.class, Timestamp.from(at));
            if (first == null) {
                return null;
            }
            latest = latest == null || first.after(latest) ? first : latest;
        }
        return latest;
    }

    /** When every notification recorded before the instant has been sent, or null while one waits. */
    private static Timestamp everyMailWaitingSent(Database db, Instant at) {
        Timestamp t = Timestamp.from(at);
        Integer waiting = db.jdbc().queryForObject("SELECT COUNT(*) FROM email_notification WHERE status = 'PENDING' AND created_at < ?",
                Integer.class, t);
        if (waiting > 0) {
            return null;
        }
        Timestamp last = db.jdbc().queryForObject("SELECT MAX(sent_at) FROM email_notification WHERE created_at < ?", Timestamp.class, t);
        return last == null || last.before(t) ? t : last;
    }

    private static double seconds(Instant from, Timestamp to) {
        return Math.max(0, to.getTime() - from.toEpochMilli()) / 1000.0;
    }
}
