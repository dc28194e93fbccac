package io.orderflow.crash;

import com.icegreen.greenmail.util.GreenMail;
import io.orderflow.db.Database;
import io.orderflow.support.ArtemisPair;
import io.orderflow.support.FailoverFlow;
import io.orderflow.support.OrderflowProcess;
import io.orderflow.support.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two orderflow instances on a shared-store Artemis pair made from examples/ha, with one
 * PostgreSQL and a real SMTP server, while a client sends orders over the pair's HA URL. The
 * active broker is SIGKILLed at random points: the backup takes over; the primary is started
 * again and takes the journal back (failback), a second failover for every client. Every order
 * must be applied once and mailed once, nothing rejected or dead-lettered, the invariant check
 * clean. The stall of each failover and failback is printed.
 */
class BrokerPairIT {

    private static final int FAILOVERS = Math.max(1, Integer.getInteger("orderflow.test.failovers", 2));
    /** The client's orders a second, through every failure until the last. */
    private static final double RATE = 150;

    /** Kept when the test fails: the brokers', databases' and instances' logs are in it. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path work;

    @Test
    void should_apply_and_mail_every_order_once_through_failovers_and_failbacks_of_a_shared_store_pair() throws Exception {
        run("shared-store", FAILOVERS, true);
    }

    /**
     * A replicated pair, one kill of its primary, no failback: the backup, which has its own
     * replicated journal and duplicate-id cache, takes over. With two brokers alone it decides by
     * itself ("ignoring quorum vote as max cluster size is 1"): the split-brain exposure the README
     * states.
     */
    @Test
    void should_apply_and_mail_every_order_once_when_the_primary_of_a_replicated_pair_is_killed() throws Exception {
        run("replicated", 1, false);
    }

    private void run(String mode, int failovers, boolean failBack) throws Exception {
        long seed = Long.getLong("orderflow.test.seed", System.nanoTime());
        Random random = new Random(seed);
        System.out.println("BrokerPairIT (" + mode + "): seed " + seed + ", " + RATE + " orders a second, " + failovers + " failovers");
        FailoverFlow flow = new FailoverFlow("HA-", 0);
        GreenMail smtp = FailoverFlow.smtp();
        try (TestPostgres pg = TestPostgres.create();
             ArtemisPair pair = ArtemisPair.create(Files.createDirectories(work.resolve("brokers")), mode);
             OrderflowProcess first = new OrderflowProcess(Files.createDirectories(work.resolve("first")));
             OrderflowProcess second = new OrderflowProcess(Files.createDirectories(work.resolve("second")));
             Database db = FailoverFlow.database(pg.url(), pg.user(), work.resolve("check"))) {
            pair.startBoth();
            for (OrderflowProcess p : List.of(first, second)) {
                FailoverFlow.mailingTo(p, smtp).with("orderflow.db.url", pg.url()).with("orderflow.db.user", pg.user())
                        .with("orderflow.broker.embedded", "false").with("orderflow.broker.url", pair.url())
                        .with("orderflow.broker.user", pair.user).with("orderflow.broker.password", pair.password)
                        .start();
            }
            flow.stock(first);

            // the client sends until the last failure is over, however long failovers and failbacks take
            AtomicBoolean failuresOver = new AtomicBoolean();
            CompletableFuture<Integer> sending = CompletableFuture.supplyAsync(
                    () -> flow.sendBurstThenUntil(pair.url(), pair.user, pair.password, 0, RATE, failuresOver::get));

            List<Instant[]> cycles = new ArrayList<>();
            List<String> failbackPhases = new ArrayList<>();
            for (int i = 1; i <= failovers; i++) {
                // at a random point: 2 to 10 s of orders after the flow was whole again
                int at = FailoverFlow.mailed(db) + (int) (RATE * (2 + 8 * random.nextDouble()));
                await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(50)).until(() -> FailoverFlow.mailed(db) >= at);
                flow.awaitInFlight(db, sending);
                int mailedAtKill = FailoverFlow.mailed(db);
                Instant killed = Instant.now();
                pair.kill(ArtemisPair.PRIMARY);
                pair.awaitLog(ArtemisPair.BACKUP, pair.backupActive(), i);
                Instant tookOver = Instant.now();
                if (!failBack) {
                    cycles.add(new Instant[] {killed, null});
                    System.out.printf("BrokerPairIT (%s): primary SIGKILLed at %d orders mailed; backup active after %.1f s%n", mode,
                            mailedAtKill, Duration.between(killed, tookOver).toMillis() / 1000.0);
                    continue;
                }
                int backupStops = pair.count(ArtemisPair.BACKUP, ArtemisPair.STOPPED);
                pair.start(ArtemisPair.PRIMARY);
                pair.awaitLog(ArtemisPair.PRIMARY, ArtemisPair.ACTIVE, 1);
                Instant failedBack = Instant.now();
                // the backup hands the journal back and waits again, in the same process
                pair.awaitLog(ArtemisPair.BACKUP, ArtemisPair.WAITING_AS_BACKUP, i + 1);
                cycles.add(new Instant[] {killed, failedBack});
                failbackPhases.add(failbackPhases(pair, db, backupStops + 1));
                System.out.printf("BrokerPairIT (" + mode + "): failover %d: primary SIGKILLed at %d orders mailed; backup active after %.1f s;"
                        + " primary active again %.1f s after the kill%n", i, mailedAtKill,
                        Duration.between(killed, tookOver).toMillis() / 1000.0, Duration.between(killed, failedBack).toMillis() / 1000.0);
            }

            failuresOver.set(true);
            int resent = sending.get(10, TimeUnit.MINUTES);
            flow.assertEveryOrderOnce(db, smtp, pair.url(), pair.user, pair.password, 0);
            assertThat(first.isAlive() && second.isAlive()).as("both instances ran through").isTrue();

            List<String> stalls = new ArrayList<>();
            List<Double> failoverStalls = new ArrayList<>();
            List<Double> failbackStalls = new ArrayList<>();
            for (Instant[] f : cycles) {
                failoverStalls.add(FailoverFlow.stall(db, f[0]));
                if (f[1] != null) {
                    failbackStalls.add(FailoverFlow.stall(db, f[1]));
                }
                stalls.add(f[1] == null ? String.format("failover %.2f s", failoverStalls.get(failoverStalls.size() - 1))
                        : String.format("failover %.2f s, failback %.2f s", failoverStalls.get(failoverStalls.size() - 1),
                        failbackStalls.get(failbackStalls.size() - 1)));
            }
            System.out.println("BrokerPairIT (" + mode + "): every order applied and mailed once; " + resent + " client batches sent again; "
                    + "stalls (last event published before, first after): " + String.join("; ", stalls));
            if (!failbackPhases.isEmpty()) {
                System.out.println("BrokerPairIT (" + mode + "): failbacks, phase by phase: " + String.join("; ", failbackPhases));
            }
            System.out.println("BrokerPairIT (" + mode + "): failover stall " + FailoverFlow.percentiles(failoverStalls)
                    + (failBack ? "; failback stall " + FailoverFlow.percentiles(failbackStalls) : ""));
        } finally {
            smtp.stop();
        }
    }

    /**
     * Where a failback's time goes, from the brokers' logs and the flow's rows: the backup stops (no
     * broker serves from here), the primary obtains the lock, loads the journal and serves, and the
     * flow moves again.
     */
    private static String failbackPhases(ArtemisPair pair, Database db, int backupStop) {
        Instant stopped = pair.loggedAt(ArtemisPair.BACKUP, ArtemisPair.STOPPED, backupStop);
        Instant locked = pair.loggedAt(ArtemisPair.PRIMARY, ArtemisPair.OBTAINED_LOCK, 1);
        Instant active = pair.loggedAt(ArtemisPair.PRIMARY, ArtemisPair.ACTIVE, 1);
        double moved = await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
                .until(() -> FailoverFlow.resumed(db, active), d -> !Double.isNaN(d));
        return String.format("backup stopped, then lock %.2f s, journal loaded and serving %.2f s, flow moving %.2f s",
                Duration.between(stopped, locked).toMillis() / 1000.0, Duration.between(locked, active).toMillis() / 1000.0, moved);
    }
}
