package io.orderflow.crash;

import com.icegreen.greenmail.util.GreenMail;
import io.orderflow.db.Database;
import io.orderflow.support.ArtemisPair;
import io.orderflow.support.CpuBurner;
import io.orderflow.support.FailoverFlow;
import io.orderflow.support.OrderflowProcess;
import io.orderflow.support.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import static io.orderflow.support.ArtemisPair.ACTIVE;
import static io.orderflow.support.ArtemisPair.BACKUP;
import static io.orderflow.support.ArtemisPair.PRIMARY;
import static io.orderflow.support.ArtemisPair.WAITING_AS_BACKUP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The failures of a shared-store broker pair that a quick failover does not cover: the active
 * backup dies while the other half is restarting (its JVM booting, or waiting for the journal's
 * lock), or while it hands the journal back (failback), or while the other half is down and stays
 * down. Each runs under a backlog (a burst of orders, so every relay has events to send) with every
 * core kept busy by the test, as on a shared host. After each, the flow must move again (every
 * service's relay publishing) within 5 s of the surviving broker serving, in every round; each
 * stall is printed, and the admin API must read the dead letters.
 * At the end every order is applied and mailed once, nothing is rejected or
 * dead-lettered, and no thread of orderflow waits on a connection to a dead broker.
 */
class BrokerPairRacesIT {

    /** From the surviving broker serving to every stage moving again: what no round may exceed. */
    static final Duration STALL_BOUND = Duration.ofSeconds(5);
    private static final int BURST = Integer.getInteger("orderflow.test.race-orders", 2_000);
    /** Orders a second after the burst, until the race is over. */
    private static final double TRICKLE = 50;
    private static final int ROUNDS = Integer.getInteger("orderflow.test.race-rounds", 0);
    private static final Duration DOWN = Duration.ofSeconds(Integer.getInteger("orderflow.test.race-down-s", 60));
    private static final String TOKEN = "races-admin-token-0123456789";
    /** Where an Artemis client thread waits on a connection: for producer credits, or in its reconnect loop. */
    private static final List<String> WAITING_ON_A_CONNECTION = List.of("acquireCredits", "failoverOrReconnect", "getConnectionWithRetry");

    /** Thread dumps and logs of stalls over the bound, kept whether the test passes or not: what to read when one happens. */
    private static final Path STALLS = Path.of("target", "race-stalls");
    /** Kept when the test fails: the brokers', the database's and orderflow's logs are in it. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path work;

    /** How the other half of the pair fails once the backup has taken over from a killed primary. */
    enum Race {
        /** The primary is started again and the backup is killed at once: the primary's JVM is still booting. */
        BACKUP_DIES_WHILE_PRIMARY_BOOTS {
            @Override
            void afterFailover(ArtemisPair pair) throws Exception {
                pair.start(PRIMARY);
                pair.kill(BACKUP);
            }
        },
        /** The restarted primary has announced itself and waits for the journal's lock, which the backup holds. */
        BACKUP_DIES_WHILE_PRIMARY_WAITS_FOR_THE_LOCK {
            @Override
            void afterFailover(ArtemisPair pair) throws Exception {
                pair.start(PRIMARY);
                pair.awaitLog(PRIMARY, WAITING_FOR_LOCK, 1);
                pair.kill(BACKUP);
            }
        },
        /** The backup has seen the primary back and is handing the journal over. */
        BACKUP_DIES_DURING_FAILBACK {
            @Override
            void afterFailover(ArtemisPair pair) throws Exception {
                int before = pair.count(BACKUP, FAILING_BACK);
                pair.start(PRIMARY);
                pair.awaitLog(BACKUP, FAILING_BACK, before + 1);
                pair.kill(BACKUP);
            }
        },
        /** The backup, alone, is killed; nothing serves for a minute; then the primary is started. */
        BACKUP_DIES_WHILE_PRIMARY_IS_DOWN {
            @Override
            void afterFailover(ArtemisPair pair) throws Exception {
                pair.kill(BACKUP);
                // the outage's length: chosen, not waited on
                LockSupport.parkNanos(DOWN.toNanos());
                pair.start(PRIMARY);
            }
        };

        /** The restarted primary's line while it waits for the lock the active backup holds. */
        static final String WAITING_FOR_LOCK = "AMQ221034";
        /** The backup's line when the primary wants the journal back ("restarting server in backup"). */
        static final String FAILING_BACK = "AMQ221008";

        abstract void afterFailover(ArtemisPair pair) throws Exception;
    }

    @Test
    void should_move_again_within_5_s_of_a_broker_serving_after_the_other_half_fails_while_restarting() throws Exception {
        // -Dorderflow.test.races=NAME,...: only those races (the build names two; ALL or none: every race)
        List<Race> kinds = Arrays.stream(System.getProperty("orderflow.test.races", "").split(",")).filter(n -> !n.isBlank())
                .map(String::trim).filter(n -> !n.equals("ALL")).map(Race::valueOf).toList();
        if (kinds.isEmpty()) {
            kinds = Arrays.asList(Race.values());
        }
        List<Race> races = new ArrayList<>(kinds);
        long seed = Long.getLong("orderflow.test.seed", System.nanoTime());
        Random random = new Random(seed);
        // -Pfailover-soak: rounds of the races in random order
        for (int i = races.size(); i < ROUNDS; i++) {
            races.add(kinds.get(random.nextInt(kinds.size())));
        }
        System.out.println("BrokerPairRacesIT: seed " + seed + ", " + races.size() + " races, each under a burst of " + BURST
                + " orders then " + TRICKLE + " a second, " + Runtime.getRuntime().availableProcessors() + " cores kept busy");
        FailoverFlow flow = new FailoverFlow("RACE-", 0);
        GreenMail smtp = FailoverFlow.smtp();
        List<Double> stalls = new ArrayList<>();
        List<Double> failovers = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        try (TestPostgres pg = TestPostgres.create();
             ArtemisPair pair = ArtemisPair.create(Files.createDirectories(work.resolve("brokers")), "shared-store");
             OrderflowProcess orderflow = new OrderflowProcess(Files.createDirectories(work.resolve("orderflow")));
             Database db = FailoverFlow.database(pg.url(), pg.user(), work.resolve("check"))) {
            pair.startBoth();
            FailoverFlow.mailingTo(orderflow, smtp).with("orderflow.db.url", pg.url()).with("orderflow.db.user", pg.user())
                    .with("orderflow.broker.embedded", "false").with("orderflow.broker.url", pair.url())
                    .with("orderflow.broker.user", pair.user).with("orderflow.broker.password", pair.password)
                    .with("orderflow.admin.token", TOKEN)
                    .start();
            flow.stock(orderflow);

            try (CpuBurner burner = CpuBurner.onEveryCore()) {
                for (int r = 0; r < races.size(); r++) {
                    Race race = races.get(r);
                    int from = flow.sent();
                    AtomicBoolean over = new AtomicBoolean();
                    // a burst, then a steady client through the whole race, so every stage has work when a broker serves again
                    CompletableFuture<Integer> sending = CompletableFuture.supplyAsync(
                            () -> flow.sendBurstThenUntil(pair.url(), pair.user, pair.password, BURST, TRICKLE, over::get));
                    // the flow is busy with the burst, a backlog at every stage: the kill comes at a random point of it
                    int at = from + (int) (BURST * (0.05 + 0.25 * random.nextDouble()));
                    // and with a backlog: a client slowed by the busy machine may not be ahead yet when the point is reached
                    await("a backlog of " + BURST / 4 + " orders once " + at + " are mailed").atMost(Duration.ofMinutes(3))
                            .pollInterval(Duration.ofMillis(50)).until(() -> {
                                int mailed = FailoverFlow.mailed(db);
                                return mailed >= at && flow.sent() - mailed > BURST / 4;
                            });
                    int activeBefore = pair.count(BACKUP, pair.backupActive());
                    Instant killed = Instant.now();
                    pair.kill(PRIMARY);
                    pair.awaitLog(BACKUP, pair.backupActive(), activeBefore + 1);
                    Instant tookOver = Instant.now();
                    double failover = awaitResumed(db, tookOver);
                    failovers.add(failover);

                    race.afterFailover(pair);
                    pair.awaitLog(PRIMARY, ACTIVE, 1);
                    Instant serving = Instant.now();
                    assertThat(sending.isDone()).as("the client still sending when the primary serves again").isFalse();
                    double stall = awaitResumed(db, serving, orderflow, STALLS.resolve("stall-" + r + "-" + race + ".txt"));
                    Duration admin = awaitAdminApi(orderflow, serving);
                    stalls.add(stall);
                    String line = String.format("%s: backup active %.1f s after the kill, flow moved %.2f s after; primary serving %.1f s "
                                    + "after the kill, flow moved %.2f s after it serving, admin API %.2f s", race,
                            Duration.between(killed, tookOver).toMillis() / 1000.0, failover,
                            Duration.between(killed, serving).toMillis() / 1000.0, stall, admin.toMillis() / 1000.0);
                    lines.add(line);
                    System.out.println("BrokerPairRacesIT: " + line);

                    // the pair whole again for the next race
                    pair.start(BACKUP);
                    pair.awaitLog(BACKUP, WAITING_AS_BACKUP, 1);
                    over.set(true);
                    sending.get(5, TimeUnit.MINUTES);
                    await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200)).until(() -> FailoverFlow.mailed(db) >= flow.sent());
                    assertNoThreadWaitsOnADeadConnection(orderflow, race);
                }
            }

            flow.assertEveryOrderOnce(db, smtp, pair.url(), pair.user, pair.password, 0);
            System.out.println("BrokerPairRacesIT: every order applied and mailed once; stall from a broker serving to the flow moving "
                    + FailoverFlow.percentiles(stalls) + ", worst " + String.format("%.2f s", stalls.stream().mapToDouble(d -> d).max().orElse(0))
                    + "; from the backup taking over after each round's first kill " + FailoverFlow.percentiles(failovers) + ", worst "
                    + String.format("%.2f s", failovers.stream().mapToDouble(d -> d).max().orElse(0)));
            String all = "stalls from the surviving broker serving to the whole flow moving:\n" + String.join("\n", lines);
            assertThat(stalls).as(all).allMatch(s -> s <= STALL_BOUND.toMillis() / 1000.0);
        } finally {
            smtp.stop();
        }
    }

    /** Seconds from the instant until every service's relay has published again. */
    private static double awaitResumed(Database db, Instant at) {
        return await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
                .until(() -> FailoverFlow.resumed(db, at), s -> !Double.isNaN(s));
    }

    /** The same, with a thread dump of orderflow written to a file if the flow has not moved within the bound: what it waits on. */
    private static double awaitResumed(Database db, Instant at, OrderflowProcess orderflow, Path dumpFile) throws Exception {
        try {
            return await().atMost(STALL_BOUND).pollInterval(Duration.ofMillis(100))
                    .until(() -> FailoverFlow.resumed(db, at), s -> !Double.isNaN(s));
        } catch (org.awaitility.core.ConditionTimeoutException slow) {
            Files.createDirectories(dumpFile.getParent());
            Files.writeString(dumpFile, orderflow.threadDump());
            System.out.println("BrokerPairRacesIT: the flow had not moved " + STALL_BOUND.toSeconds() + " s after a broker served; "
                    + "orderflow's threads then: " + dumpFile);
            double stall = awaitResumed(db, at);
            Files.copy(orderflow.log(), Path.of(dumpFile.toString().replace(".txt", ".log")), StandardCopyOption.REPLACE_EXISTING);
            return stall;
        }
    }

    /** How long after serving the admin API read the dead letters from the broker. */
    private static Duration awaitAdminApi(OrderflowProcess orderflow, Instant serving) {
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> {
            HttpResponse<String> r = orderflow.get("/admin/dead-letters?limit=1", TOKEN);
            return r.statusCode() == 200;
        });
        return Duration.between(serving, Instant.now());
    }

    /** No Artemis client thread of orderflow still waits for credits or a reconnect once the pair serves. */
    private static void assertNoThreadWaitsOnADeadConnection(OrderflowProcess orderflow, Race race) throws Exception {
        List<String> stuck = new ArrayList<>();
        for (String thread : orderflow.threadDump().split("\n\n")) {
            if (WAITING_ON_A_CONNECTION.stream().anyMatch(thread::contains)) {
                stuck.add(thread);
            }
        }
        assertThat(stuck).as("threads waiting on a broker connection after " + race).isEmpty();
    }
}
