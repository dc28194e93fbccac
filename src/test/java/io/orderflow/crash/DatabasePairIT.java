package io.orderflow.crash;

import com.icegreen.greenmail.util.GreenMail;
import io.orderflow.db.Database;
import io.orderflow.support.FailoverFlow;
import io.orderflow.support.OrderflowProcess;
import io.orderflow.support.PostgresPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * orderflow on a PostgreSQL primary with a synchronous standby made from examples/ha, through a
 * multi-host URL, while a client sends orders over JMS. The primary is SIGKILLed at a random point
 * and the standby promoted. Every order must be applied once, every email sent once by its
 * Message-ID (a mail whose SENT mark the kill cut is marked at the next round, not sent again),
 * nothing rejected or dead-lettered, the invariant check clean. The stall is printed.
 */
class DatabasePairIT {

    private static final int ORDERS = Integer.getInteger("orderflow.test.failover-orders", 10_000);

    /** Kept when the test fails: the brokers', databases' and instances' logs are in it. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path work;

    @Test
    void should_apply_and_mail_every_order_once_when_the_primary_is_killed_and_its_synchronous_standby_promoted() throws Exception {
        long seed = Long.getLong("orderflow.test.seed", System.nanoTime());
        Random random = new Random(seed);
        FailoverFlow flow = new FailoverFlow("DB-", ORDERS);
        GreenMail smtp = FailoverFlow.smtp();
        try (PostgresPair pair = PostgresPair.create(Files.createDirectories(work.resolve("databases")));
             OrderflowProcess orderflow = new OrderflowProcess(Files.createDirectories(work.resolve("orderflow")))) {
            pair.startBoth("orderflow");
            FailoverFlow.mailingTo(orderflow, smtp).with("orderflow.db.url", pair.url("orderflow"))
                    .with("orderflow.db.user", "postgres").start();
            flow.stock(orderflow);
            String broker = "tcp://127.0.0.1:" + orderflow.brokerPort;
            double rate = Math.min(150, ORDERS / 40.0);
            CompletableFuture<Integer> sending = CompletableFuture.supplyAsync(() -> flow.send(broker, "", "", rate));

            try (Database db = FailoverFlow.database(pair.url("orderflow"), "postgres", work.resolve("check"))) {
                int at = (int) (ORDERS * (0.2 + 0.4 * random.nextDouble()));
                await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(50))
                        .until(() -> FailoverFlow.mailed(db) >= at || sending.isDone());
                flow.awaitInFlight(db, sending);
                Instant killed = Instant.now();
                pair.kill(PostgresPair.PRIMARY);
                pair.promoteStandby();
                Instant promoted = Instant.now();
                System.out.printf("DatabasePairIT: seed %d; primary SIGKILLed at %d orders mailed, standby promoted %.1f s later%n",
                        seed, at, Duration.between(killed, promoted).toMillis() / 1000.0);

                int resent = sending.get(10, TimeUnit.MINUTES);
                // the pool drops the connections the kill broke; the multi-host URL finds the promoted server
                int twice = flow.assertEveryOrderOnce(db, smtp, broker, "", "", 0);
                assertThat(orderflow.isAlive()).isTrue();
                System.out.printf("DatabasePairIT: every order applied once, %d emails sent twice, %d client batches sent again;"
                        + " stall (last event published before the kill, first after) %.2f s%n", twice, resent, FailoverFlow.stall(db, killed));
            }
        } finally {
            smtp.stop();
        }
    }
}
