package io.orderflow.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;
import java.util.Iterator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The embedded PostgreSQL's life cycle on a data dir, with the real server. */
class EmbeddedPostgresServerTest {

    @TempDir
    Path dataDir;

    @Test
    void should_run_durable_keep_its_data_across_restarts_and_refuse_a_second_owner() throws Exception {
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(dataDir, Set.of())) {
            assertThat(setting(server, "fsync")).isEqualTo("on");
            assertThat(setting(server, "synchronous_commit")).isEqualTo("on");
            execute(server, "CREATE TABLE kept (id INT PRIMARY KEY)", "INSERT INTO kept VALUES (42)");

            assertThatThrownBy(() -> EmbeddedPostgresServer.start(dataDir, Set.of()))
                    .hasMessageContaining("in use by another running orderflow");
            // a reader such as check attaches to the owner's server instead
            try (EmbeddedPostgresServer attached = EmbeddedPostgresServer.startOrAttach(dataDir, Set.of())) {
                assertThat(attached.url()).isEqualTo(server.url());
            }
            assertThat(EmbeddedPostgresServer.postmasterPid(dataDir)).as("the attached reader stops nothing").isPresent();
        }
        assertThat(EmbeddedPostgresServer.postmasterPid(dataDir)).as("stopped with its owner").isEmpty();

        try (EmbeddedPostgresServer again = EmbeddedPostgresServer.start(dataDir, Set.of())) {
            assertThat(query(again, "SELECT id FROM kept")).isEqualTo("42");
        }
    }

    @Test
    void should_have_its_server_stopped_by_the_watchdog_once_the_pipe_from_its_jvm_closes() throws Exception {
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(dataDir, Set.of())) {
            long postmaster = EmbeddedPostgresServer.postmasterPid(dataDir).orElseThrow();
            // a second watchdog, its pipe closed as the death of the JVM would close it
            PostmasterWatchdog.watch(dataDir.resolve("pg"), dataDir.resolve("logs").resolve("postgresql.log")).close();

            await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(postmaster).map(p -> !p.isAlive()).orElse(true));
            assertThat(Files.readString(dataDir.resolve("logs").resolve("postgresql.log")))
                    .contains("orderflow's JVM is gone: stopping its embedded PostgreSQL (pid " + postmaster + ")");
        }
    }

    @Test
    void should_start_over_a_cluster_whose_first_start_was_cut_short() throws Exception {
        // what a kill during initdb leaves: a cluster folder whose server never ran
        Path cluster = Files.createDirectories(dataDir.resolve("pg").resolve("base"));
        Files.writeString(dataDir.resolve("pg").resolve("PG_VERSION"), "14\n");

        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(dataDir, Set.of())) {
            assertThat(query(server, "SELECT 1")).isEqualTo("1");
        }
        assertThat(cluster).isDirectory();
    }

    @Test
    void should_not_take_a_port_that_orderflow_binds_later() throws Exception {
        Iterator<Integer> offered = List.of(61616, 8080, 61616, 45123).iterator();

        assertThat(EmbeddedPostgresServer.firstNotIn(Set.of(61616, 8080), offered::next)).isEqualTo(45123);
        assertThat(EmbeddedPostgresServer.freePortOtherThan(Set.of(61616, 8080))).isNotIn(61616, 8080);
    }

    private static String setting(EmbeddedPostgresServer server, String name) throws Exception {
        return query(server, "SHOW " + name);
    }

    private static String query(EmbeddedPostgresServer server, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(server.url(), server.user(), "");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void execute(EmbeddedPostgresServer server, String... statements) throws Exception {
        try (Connection c = DriverManager.getConnection(server.url(), server.user(), "");
             Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }
}
