package io.orderflow.config;

import io.orderflow.db.EmbeddedPostgresServer;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Settings resolution (application.properties &lt; environment &lt; system properties &lt; overrides) and the
 * startup validation, whose message must name the key to fix. Never reads the real environment or
 * system properties.
 */
class SettingsTest {

    private static final Map<String, String> NO_ENV = Map.of();

    private static Properties props(String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }

    private static Settings load(Map<String, String> overrides) {
        return Settings.load(NO_ENV, new Properties(), overrides);
    }

    private static String refusal(Map<String, String> env, Properties system, Map<String, String> overrides) {
        SettingsException e = catchThrowableOfType(SettingsException.class, () -> Settings.load(env, system, overrides));
        assertThat(e).as("the settings should have been refused").isNotNull();
        return e.getMessage();
    }

    private static String refusal(Map<String, String> overrides) {
        return refusal(NO_ENV, new Properties(), overrides);
    }

    // ------------------------------------------------------------------------------------------ defaults

    @Test
    void should_default_the_data_dir_to_data_under_the_working_directory() {
        Settings settings = load(Map.of());

        assertThat(settings.get("orderflow.data-dir")).isEqualTo("./data");
        assertThat(settings.dataDir()).isEqualTo(Path.of("data").toAbsolutePath().normalize());
    }

    @Test
    void should_default_the_mail_mode_to_file() {
        assertThat(load(Map.of()).get("orderflow.mail.mode")).isEqualTo("file");
    }

    @Test
    void should_default_to_running_all_three_services() {
        Settings settings = load(Map.of());

        assertThat(settings.services()).containsExactly("order", "stock", "email");
        assertThat(settings.runs("order")).isTrue();
        assertThat(settings.runs("stock")).isTrue();
        assertThat(settings.runs("email")).isTrue();
    }

    @Test
    void should_default_to_the_embedded_postgresql_under_the_data_dir() {
        Settings settings = load(Map.of());

        assertThat(settings.embeddedPostgres()).isEqualTo(EmbeddedPostgresServer.available());
        assertThat(settings.isPostgres()).isEqualTo(EmbeddedPostgresServer.available());
    }

    @Test
    void should_offer_a_durable_h2_file_database_under_the_data_dir() {
        Settings settings = load(Map.of("orderflow.db.embedded", "h2"));

        assertThat(settings.dbUrl())
                .startsWith("jdbc:h2:file:" + Path.of("data").toAbsolutePath().normalize().resolve("db").resolve("orderflow"))
                .contains(";WRITE_DELAY=0");
        assertThat(settings.isPostgres()).isFalse();
        assertThat(settings.embeddedPostgres()).isFalse();
    }

    @Test
    void should_bound_a_stop_to_20_s_by_default_and_refuse_a_bound_too_short_to_stop_postgresql() {
        assertThat(load(Map.of()).getLong("orderflow.shutdown.timeout-ms")).isEqualTo(20_000);
        assertThat(refusal(NO_ENV, new Properties(), Map.of("orderflow.shutdown.timeout-ms", "4000")))
                .contains("orderflow.shutdown.timeout-ms must be at least 5000");
    }

    @Test
    void should_reject_an_unknown_embedded_database() {
        assertThat(refusal(NO_ENV, new Properties(), Map.of("orderflow.db.embedded", "sqlite")))
                .contains("orderflow.db.embedded must be 'postgres' or 'h2'");
    }

    @Test
    void should_refuse_trace_settings_that_cannot_work() {
        assertThat(refusal(Map.of("orderflow.otel.endpoint", "collector:4318")))
                .contains("orderflow.otel.endpoint must be an http:// or https:// URL");
        assertThat(refusal(Map.of("orderflow.otel.sampling-ratio", "1.5"))).contains("orderflow.otel.sampling-ratio must be a number from 0.0 to 1.0");
        assertThat(refusal(Map.of("orderflow.otel.sampling-ratio", "half"))).contains("orderflow.otel.sampling-ratio");
        assertThat(refusal(Map.of("orderflow.otel.resource-attributes", "team"))).contains("key=value pairs separated by commas");
        assertThat(load(Map.of("orderflow.otel.endpoint", "http://collector:4318", "orderflow.otel.resource-attributes",
                "deployment.environment.name=prod,team=shop")).get("orderflow.otel.endpoint")).isEqualTo("http://collector:4318");
    }

    @Test
    void should_refuse_broker_tls_settings_that_cannot_work() {
        assertThat(refusal(Map.of("orderflow.broker.tls.client-certificates", "maybe")))
                .contains("orderflow.broker.tls.client-certificates must be none, wanted or required");
        assertThat(refusal(Map.of("orderflow.broker.tls.client-certificates", "required")))
                .contains("needs orderflow.broker.tls.truststore");
        assertThat(refusal(Map.of("orderflow.broker.tls.keystore", "/nonexistent/broker.p12")))
                .contains("orderflow.broker.tls.keystore /nonexistent/broker.p12 cannot be read");
    }

    @Test
    void should_default_to_an_embedded_broker_on_loopback_and_the_http_api_on_loopback() {
        Settings settings = load(Map.of());

        assertThat(settings.brokerEmbedded()).isTrue();
        assertThat(settings.brokerListen().getHost()).isEqualTo("127.0.0.1");
        assertThat(settings.brokerUrl()).isEqualTo("vm://0");
        assertThat(settings.get("orderflow.http.host")).isEqualTo("127.0.0.1");
        assertThat(settings.getInt("orderflow.http.port")).isEqualTo(8080);
    }

    @Test
    void should_use_the_routes_packed_in_the_jar_by_default() {
        assertThat(load(Map.of()).routesPattern()).isEqualTo("classpath:routes/*.yaml");
    }

    // ------------------------------------------------------------------------------------------ precedence

    @Test
    void should_let_an_environment_variable_override_the_default() {
        Settings settings = Settings.load(Map.of("ORDERFLOW_HTTP_PORT", "9090"), new Properties(), Map.of());

        assertThat(settings.getInt("orderflow.http.port")).isEqualTo(9090);
    }

    @Test
    void should_map_dashes_and_dots_to_underscores_in_environment_variable_names() {
        Settings settings = Settings.load(Map.of("ORDERFLOW_DATA_DIR", "/var/lib/orderflow"), new Properties(), Map.of());

        assertThat(settings.get("orderflow.data-dir")).isEqualTo("/var/lib/orderflow");
    }

    @Test
    void should_let_a_system_property_override_the_environment_variable() {
        Settings settings = Settings.load(Map.of("ORDERFLOW_HTTP_PORT", "9090"),
                props("orderflow.http.port", "9191"), Map.of());

        assertThat(settings.getInt("orderflow.http.port")).isEqualTo(9191);
    }

    @Test
    void should_let_an_override_win_over_the_system_property() {
        Settings settings = Settings.load(Map.of("ORDERFLOW_HTTP_PORT", "9090"),
                props("orderflow.http.port", "9191"), Map.of("orderflow.http.port", "9292"));

        assertThat(settings.getInt("orderflow.http.port")).isEqualTo(9292);
    }

    @Test
    void should_trim_values() {
        assertThat(Settings.load(NO_ENV, props("orderflow.mail.mode", "  smtp "), Map.of()).get("orderflow.mail.mode"))
                .isEqualTo("smtp");
    }

    // ------------------------------------------------------------------------------------------ refusals

    @Test
    void should_refuse_an_unknown_orderflow_system_property_naming_it() {
        String message = refusal(NO_ENV, props("orderflow.htp.port", "8081"), Map.of());

        assertThat(message).startsWith("unknown setting").contains("orderflow.htp.port");
    }

    @Test
    void should_ignore_system_properties_outside_orderflow() {
        Settings settings = Settings.load(NO_ENV, props("java.io.tmpdir", "/tmp", "orderflowx.anything", "1"), Map.of());

        assertThat(settings.get("orderflow.mail.mode")).isEqualTo("file");
    }

    @Test
    void should_refuse_an_unknown_override_naming_it() {
        assertThat(refusal(Map.of("orderflow.mail.mood", "file"))).contains("orderflow.mail.mood");
    }

    @Test
    void should_refuse_mail_mode_pigeon_naming_the_key() {
        assertThat(refusal(Map.of("orderflow.mail.mode", "pigeon")))
                .contains("orderflow.mail.mode")
                .contains("'pigeon'");
    }

    @Test
    void should_refuse_a_short_admin_token_and_accept_a_long_one() {
        assertThat(refusal(Map.of("orderflow.admin.token", "secret"))).contains("orderflow.admin.token", "16");
        assertThat(refusal(Map.of("orderflow.admin.token", "has a space in it 0123"))).contains("orderflow.admin.token");
        assertThat(load(Map.of("orderflow.admin.token", "0123456789abcdef0123")).get("orderflow.admin.token"))
                .isEqualTo("0123456789abcdef0123");
    }

    @Test
    void should_refuse_a_dedup_retention_shorter_than_the_replay_or_redelivery_window() {
        assertThat(refusal(Map.of("orderflow.retention.processed-events", "P1D"))).contains(
                "orderflow.retention.processed-events (PT24H) is shorter than orderflow.retention.outbox (PT168H)");
        assertThat(refusal(Map.of("orderflow.retention.notifications", "P1D"))).contains("orderflow.retention.notifications");
        assertThat(refusal(Map.of("orderflow.retention.outbox", "PT1M", "orderflow.retention.processed-events", "PT2M")))
                .contains("redelivery window", "orderflow.broker.max-delivery-attempts");
        assertThat(refusal(Map.of("orderflow.retention.outbox", "")))
                .contains("orderflow.retention.processed-events", "forever");
        assertThat(refusal(Map.of("orderflow.retention.files", "a month"))).contains("orderflow.retention.files", "ISO-8601");
        assertThat(load(Map.of("orderflow.retention.outbox", "", "orderflow.retention.processed-events", "",
                "orderflow.retention.notifications", "")).get("orderflow.retention.outbox")).isEmpty();
    }

    @Test
    void should_accept_mail_mode_smtp() {
        assertThat(load(Map.of("orderflow.mail.mode", "smtp")).get("orderflow.mail.mode")).isEqualTo("smtp");
    }

    @Test
    void should_refuse_an_unknown_service_naming_it_and_the_key() {
        assertThat(refusal(Map.of("orderflow.services", "order,billing")))
                .contains("orderflow.services")
                .contains("billing");
    }

    @Test
    void should_refuse_a_services_list_naming_no_service() {
        assertThat(refusal(Map.of("orderflow.services", " , "))).contains("orderflow.services");
    }

    @Test
    void should_accept_a_subset_of_services_with_spaces() {
        Settings settings = load(Map.of("orderflow.services", " stock , email "));

        assertThat(settings.services()).containsExactly("stock", "email");
        assertThat(settings.runs("order")).isFalse();
    }

    @Test
    void should_refuse_a_non_numeric_http_port_naming_the_key() {
        assertThat(refusal(Map.of("orderflow.http.port", "eighty")))
                .contains("orderflow.http.port")
                .contains("'eighty'");
    }

    @Test
    void should_refuse_a_non_numeric_smtp_port_naming_the_key() {
        assertThat(refusal(Map.of("orderflow.mail.smtp.port", "smtp"))).contains("orderflow.mail.smtp.port");
    }

    @Test
    void should_refuse_a_port_above_65535_naming_the_key() {
        assertThat(refusal(Map.of("orderflow.http.port", "70000")))
                .contains("orderflow.http.port")
                .contains("70000");
    }

    @Test
    void should_refuse_a_negative_timeout_naming_the_key() {
        assertThat(refusal(Map.of("orderflow.db.connect-timeout-ms", "-5"))).contains("orderflow.db.connect-timeout-ms");
    }

    @Test
    void should_refuse_a_broker_listening_beyond_loopback_without_credentials_naming_the_keys() {
        assertThat(refusal(Map.of("orderflow.broker.listen", "tcp://0.0.0.0:61616")))
                .contains("orderflow.broker.listen")
                .contains("orderflow.broker.user")
                .contains("orderflow.broker.password");
    }

    @Test
    void should_refuse_a_broker_listening_beyond_loopback_with_a_user_but_no_password() {
        assertThat(refusal(Map.of("orderflow.broker.listen", "tcp://0.0.0.0:61616", "orderflow.broker.user", "app")))
                .contains("orderflow.broker.password");
    }

    @Test
    void should_accept_a_broker_listening_beyond_loopback_with_user_and_password() {
        Settings settings = load(Map.of("orderflow.broker.listen", "tcp://0.0.0.0:61616",
                "orderflow.broker.user", "app", "orderflow.broker.password", "s3cret"));

        assertThat(settings.brokerListen().getHost()).isEqualTo("0.0.0.0");
        assertThat(settings.brokerListen().getPort()).isEqualTo(61616);
    }

    @Test
    void should_accept_a_broker_listening_on_ipv6_loopback_without_credentials() {
        assertThat(load(Map.of("orderflow.broker.listen", "tcp://[::1]:61616")).brokerListen().getPort()).isEqualTo(61616);
    }

    @Test
    void should_refuse_a_broker_listen_address_that_is_not_a_tcp_uri_naming_the_key() {
        assertThat(refusal(Map.of("orderflow.broker.listen", "127.0.0.1:61616"))).contains("orderflow.broker.listen");
    }

    @Test
    void should_refuse_a_broker_listening_on_a_host_name_that_merely_starts_with_127_without_credentials() {
        assertThat(refusal(Map.of("orderflow.broker.listen", "tcp://127.0.0.1.example.com:61616")))
                .contains("orderflow.broker.user");
    }

    @Test
    void should_refuse_an_http_host_beyond_loopback_naming_the_key() {
        assertThat(refusal(Map.of("orderflow.http.host", "0.0.0.0"))).contains("orderflow.http.host");
    }

    @Test
    void should_refuse_an_http_host_name_that_merely_starts_with_127() {
        assertThat(refusal(Map.of("orderflow.http.host", "127.example.com"))).contains("orderflow.http.host");
    }

    @Test
    void should_refuse_a_mysql_database_url_naming_the_key() {
        assertThat(refusal(Map.of("orderflow.db.url", "jdbc:mysql://x")))
                .contains("orderflow.db.url")
                .contains("jdbc:mysql://x");
    }

    @Test
    void should_accept_a_postgresql_database_url() {
        Settings settings = load(Map.of("orderflow.db.url", "jdbc:postgresql://db:5432/orderflow"));

        assertThat(settings.dbUrl()).isEqualTo("jdbc:postgresql://db:5432/orderflow");
        assertThat(settings.isPostgres()).isTrue();
    }

    @Test
    void should_refuse_an_external_broker_without_a_url_naming_the_key() {
        assertThat(refusal(Map.of("orderflow.broker.embedded", "false"))).contains("orderflow.broker.url");
    }

    @Test
    void should_accept_an_external_broker_with_a_url() {
        Settings settings = load(Map.of("orderflow.broker.embedded", "false", "orderflow.broker.url", "tcp://broker:61616"));

        assertThat(settings.brokerEmbedded()).isFalse();
        assertThat(settings.brokerUrl()).isEqualTo("tcp://broker:61616");
    }

    @Test
    void should_accept_a_broker_pair_s_ha_url() {
        String pair = "(tcp://primary:61616,tcp://backup:61617)?ha=true&reconnectAttempts=-1";
        Settings settings = load(Map.of("orderflow.broker.embedded", "false", "orderflow.broker.url", pair));

        assertThat(settings.brokerUrl()).isEqualTo(pair);
    }

    @Test
    void should_refuse_a_broker_url_that_does_not_parse_or_names_no_server_in_one_line() {
        assertThat(refusal(Map.of("orderflow.broker.embedded", "false", "orderflow.broker.url", "(tcp://a:61616,tcp://b:61617?ha=true")))
                .contains("orderflow.broker.url").contains("no closing ')'").doesNotContain("\n");
        assertThat(refusal(Map.of("orderflow.broker.embedded", "false", "orderflow.broker.url", "()?ha=true"))).contains("names no server");
        assertThat(refusal(Map.of("orderflow.broker.embedded", "false", "orderflow.broker.url", "tcp://"))).contains("'tcp://' is not a URL");
        assertThat(refusal(Map.of("orderflow.broker.embedded", "false", "orderflow.broker.url", "tcp://:61616"))).contains("names no host");
        assertThat(refusal(Map.of("orderflow.broker.embedded", "false", "orderflow.broker.url", "(tcp://a:61616,b:61617)")))
                .contains("'b:61617' is not tcp://host:port");
        assertThat(refusal(Map.of("orderflow.broker.embedded", "false", "orderflow.broker.url", "(tcp://a:61616)ha=true")))
                .contains("after the list of servers comes '?'");
    }

    @Test
    void should_refuse_a_broker_embedded_value_that_is_not_a_boolean_saying_so() {
        assertThat(refusal(Map.of("orderflow.broker.embedded", "yes")))
                .contains("orderflow.broker.embedded")
                .contains("true or false")
                .contains("'yes'");
    }
}
