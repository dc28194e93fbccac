package io.orderflow.config;

import io.orderflow.db.EmbeddedPostgresServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The resolved orderflow.* settings: defaults from application.properties, overridden by environment
 * variables (ORDERFLOW_DATA_DIR style), overridden by system properties (-Dorderflow.data-dir).
 * Validation happens here, before anything starts, so that a wrong setting stops startup with one
 * line saying what to fix.
 */
public final class Settings {

    public static final Set<String> SERVICES = Set.of("order", "stock", "email");

    private final Map<String, String> values;

    private Settings(Map<String, String> values) {
        this.values = values;
    }

    public static Settings load(Map<String, String> env, Properties system) {
        return load(env, system, Map.of());
    }

    /** @param overrides highest precedence, used by tests */
    public static Settings load(Map<String, String> env, Properties system, Map<String, String> overrides) {
        Map<String, String> defaults = defaults();
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, String> d : defaults.entrySet()) {
            String key = d.getKey();
            String value = d.getValue();
            String fromEnv = env.get(envName(key));
            if (fromEnv != null) {
                value = fromEnv;
            }
            String fromSystem = system.getProperty(key);
            if (fromSystem != null) {
                value = fromSystem;
            }
            if (overrides.containsKey(key)) {
                value = overrides.get(key);
            }
            values.put(key, value.trim());
        }
        List<String> unknown = new ArrayList<>();
        for (String name : system.stringPropertyNames()) {
            if (name.startsWith("orderflow.") && !defaults.containsKey(name) && !name.startsWith("orderflow.test.")) {
                unknown.add(name);
            }
        }
        Set<String> envNames = new java.util.HashSet<>();
        defaults.keySet().forEach(k -> envNames.add(envName(k)));
        for (String name : env.keySet()) {
            if (name.startsWith("ORDERFLOW_") && !envNames.contains(name)) {
                unknown.add(name);
            }
        }
        for (String name : overrides.keySet()) {
            if (!defaults.containsKey(name) && !name.startsWith("orderflow.test.")) {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            throw new SettingsException("unknown setting " + String.join(", ", unknown)
                    + " (see the configuration table in README.md)");
        }
        Settings settings = new Settings(values);
        settings.validate();
        return settings;
    }

    static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static Map<String, String> defaults() {
        Properties p = new Properties();
        try (InputStream in = Settings.class.getResourceAsStream("/application.properties")) {
            if (in == null) {
                throw new IllegalStateException("application.properties missing from the classpath");
            }
            p.load(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> defaults = new LinkedHashMap<>();
        for (String name : new TreeSet<>(p.stringPropertyNames())) {
            if (name.startsWith("orderflow.")) {
                defaults.put(name, p.getProperty(name));
            }
        }
        return defaults;
    }

    private void otel() {
        String endpoint = get("orderflow.otel.endpoint");
        if (!endpoint.isEmpty()) {
            URI uri;
            try {
                uri = new URI(endpoint);
            } catch (java.net.URISyntaxException e) {
                uri = null;
            }
            if (uri == null || uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw new SettingsException("orderflow.otel.endpoint must be an http:// or https:// URL of an OTLP/HTTP collector "
                        + "(e.g. http://collector:4318), not '" + endpoint + "'");
            }
        }
        double ratio;
        try {
            ratio = Double.parseDouble(get("orderflow.otel.sampling-ratio"));
        } catch (NumberFormatException e) {
            ratio = -1;
        }
        if (!(ratio >= 0 && ratio <= 1)) {
            throw new SettingsException("orderflow.otel.sampling-ratio must be a number from 0.0 to 1.0, not '"
                    + get("orderflow.otel.sampling-ratio") + "'");
        }
        String attributes = get("orderflow.otel.resource-attributes");
        if (!attributes.isEmpty() && !attributes.matches("[^=,]+=[^,]*(,[^=,]+=[^,]*)*")) {
            throw new SettingsException("orderflow.otel.resource-attributes must be key=value pairs separated by commas, not '"
                    + attributes + "'");
        }
    }

    private void validate() {
        for (String key : new String[] {"orderflow.broker.embedded", "orderflow.mail.smtp.starttls"}) {
            String bool = get(key);
            if (!bool.equals("true") && !bool.equals("false")) {
                throw new SettingsException(key + " must be true or false, not '" + bool + "'");
            }
        }
        for (String key : values.keySet()) {
            if (key.endsWith("-ms") || key.endsWith("-s") || key.endsWith("-mb") || key.endsWith("-size") || key.endsWith("-attempts")
                    || key.endsWith(".port") || key.endsWith(".concurrency") || key.endsWith("pool-size")) {
                positiveLong(key);
            }
        }
        if (getLong("orderflow.shutdown.timeout-ms") < 5000) {
            throw new SettingsException("orderflow.shutdown.timeout-ms must be at least 5000 (3 s of it are kept for stopping "
                    + "the embedded PostgreSQL), not " + get("orderflow.shutdown.timeout-ms"));
        }
        port("orderflow.http.port");
        io.orderflow.retention.RetentionPolicy.from(this);
        io.orderflow.email.NotificationTemplates.check(this);
        String token = get("orderflow.admin.token");
        if (!token.isEmpty() && (token.length() < 16 || token.chars().anyMatch(c -> c <= ' ' || c > '~'))) {
            throw new SettingsException("orderflow.admin.token must be at least 16 printable ASCII characters without spaces "
                    + "(for example: openssl rand -hex 24)");
        }
        port("orderflow.mail.smtp.port");
        otel();
        String mode = get("orderflow.mail.mode");
        if (!mode.equals("file") && !mode.equals("smtp")) {
            throw new SettingsException("orderflow.mail.mode must be 'file' or 'smtp', not '" + mode + "'");
        }
        String routesDir = get("orderflow.routes-dir");
        if (!routesDir.isEmpty()) {
            Path dir = Path.of(routesDir).toAbsolutePath();
            try (var yaml = java.nio.file.Files.newDirectoryStream(dir, "*.yaml")) {
                if (!yaml.iterator().hasNext()) {
                    throw new SettingsException("orderflow.routes-dir " + dir + " holds no *.yaml routes");
                }
            } catch (java.io.IOException e) {
                throw new SettingsException("orderflow.routes-dir " + dir + " is not a readable folder of *.yaml routes");
            }
        }
        try {
            new jakarta.mail.internet.InternetAddress(get("orderflow.mail.from"), true).validate();
        } catch (jakarta.mail.internet.AddressException e) {
            throw new SettingsException("orderflow.mail.from must be an email address, not '" + get("orderflow.mail.from") + "'");
        }
        if (services().isEmpty()) {
            throw new SettingsException("orderflow.services must name at least one of order, stock, email");
        }
        for (String s : get("orderflow.services").split(",")) {
            if (!s.isBlank() && !SERVICES.contains(s.trim())) {
                throw new SettingsException("orderflow.services: unknown service '" + s.trim()
                        + "' (use a comma-separated subset of order,stock,email)");
            }
        }
        String url = get("orderflow.db.url");
        if (!url.isEmpty() && !url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:postgresql:")) {
            throw new SettingsException("orderflow.db.url must be a jdbc:h2: or jdbc:postgresql: URL, not '" + url + "'");
        }
        String embedded = get("orderflow.db.embedded");
        if (!embedded.equals("postgres") && !embedded.equals("h2")) {
            throw new SettingsException("orderflow.db.embedded must be 'postgres' or 'h2', not '" + embedded + "'");
        }
        if (brokerEmbedded()) {
            URI listen = brokerListen();
            String clientCertificates = get("orderflow.broker.tls.client-certificates");
            if (!Set.of("none", "wanted", "required").contains(clientCertificates)) {
                throw new SettingsException("orderflow.broker.tls.client-certificates must be none, wanted or required, not '"
                        + clientCertificates + "'");
            }
            if (!clientCertificates.equals("none") && get("orderflow.broker.tls.truststore").isEmpty()) {
                throw new SettingsException("orderflow.broker.tls.client-certificates=" + clientCertificates
                        + " needs orderflow.broker.tls.truststore: the certificates to check clients' against");
            }
            if (!clientCertificates.equals("none") && get("orderflow.broker.tls.keystore").isEmpty()) {
                throw new SettingsException("orderflow.broker.tls.client-certificates=" + clientCertificates
                        + " needs TLS: set orderflow.broker.tls.keystore");
            }
            for (String store : new String[] {"orderflow.broker.tls.keystore", "orderflow.broker.tls.truststore"}) {
                if (!get(store).isEmpty() && !java.nio.file.Files.isReadable(java.nio.file.Path.of(get(store)))) {
                    throw new SettingsException(store + " " + get(store) + " cannot be read");
                }
            }
            if (!isLoopback(listen.getHost()) && (get("orderflow.broker.user").isEmpty()
                    || get("orderflow.broker.password").isEmpty())) {
                throw new SettingsException("orderflow.broker.listen " + listen + " is beyond loopback: set "
                        + "orderflow.broker.user and orderflow.broker.password");
            }
        } else if (get("orderflow.broker.url").isEmpty()) {
            throw new SettingsException("orderflow.broker.embedded=false needs orderflow.broker.url "
                    + "(for example tcp://broker-host:61616)");
        } else {
            checkBrokerUrl(get("orderflow.broker.url"));
        }
        if (!isLoopback(get("orderflow.http.host"))) {
            // the API has no authentication of its own and shows customer data
            throw new SettingsException("orderflow.http.host " + get("orderflow.http.host") + " is beyond loopback: "
                    + "the HTTP API has no credentials, keep it on 127.0.0.1 and publish it through an "
                    + "authenticating reverse proxy");
        }
    }

    private static final java.util.regex.Pattern LOOPBACK_V4 =
            java.util.regex.Pattern.compile("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

    /** Only literal loopback addresses and "localhost": a name like 127.0.0.1.example.com can resolve anywhere. */
    public static boolean isLoopback(String host) {
        return host != null && (host.equals("localhost") || LOOPBACK_V4.matcher(host).matches() || host.equals("::1")
                || host.equals("[::1]"));
    }

    private long positiveLong(String key) {
        String v = get(key);
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new SettingsException(key + " must be a non-negative whole number, not '" + v + "'");
        }
    }

    private void port(String key) {
        long p = positiveLong(key);
        if (p > 65535) {
            throw new SettingsException(key + " must be a port number (0-65535), not " + p);
        }
    }

    public String get(String key) {
        String v = values.get(key);
        if (v == null) {
            throw new IllegalArgumentException("no such setting: " + key);
        }
        return v;
    }

    public long getLong(String key) {
        return Long.parseLong(get(key));
    }

    public int getInt(String key) {
        return Integer.parseInt(get(key));
    }

    public Map<String, String> asMap() {
        return values;
    }

    public Path dataDir() {
        return Path.of(get("orderflow.data-dir")).toAbsolutePath().normalize();
    }

    public List<String> services() {
        return Arrays.stream(get("orderflow.services").split(",")).map(String::trim)
                .filter(s -> !s.isEmpty()).toList();
    }

    public boolean runs(String service) {
        return services().contains(service);
    }

    /** The ports this instance binds itself: its HTTP API and, when embedded, its broker. */
    public Set<Integer> portsToBind() {
        Set<Integer> ports = new HashSet<>();
        ports.add(getInt("orderflow.http.port"));
        if (brokerEmbedded()) {
            ports.add(brokerListen().getPort());
        }
        return ports;
    }

    public boolean brokerEmbedded() {
        return Boolean.parseBoolean(get("orderflow.broker.embedded"));
    }

    public URI brokerListen() {
        try {
            URI uri = URI.create(get("orderflow.broker.listen"));
            if (!"tcp".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
                throw new IllegalArgumentException();
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new SettingsException("orderflow.broker.listen must look like tcp://127.0.0.1:61616, not '"
                    + get("orderflow.broker.listen") + "'");
        }
    }

    /**
     * Refuses a broker URL that names no server it could reach, with one line. The Artemis client
     * takes such a URL and reports "cannot connect" forever, as if the broker were down. Accepted:
     * {@code tcp://host:port} (the port defaults to 61616) or a list of them for a broker pair,
     * {@code (tcp://a:61616,tcp://b:61617)}, each with its options after '?', or vm:// and udp://.
     */
    static void checkBrokerUrl(String url) {
        String servers;
        String options;
        if (url.startsWith("(")) {
            int close = url.indexOf(')');
            if (close < 0) {
                throw new SettingsException("orderflow.broker.url " + url + ": the list of servers has no closing ')'");
            }
            servers = url.substring(1, close);
            options = url.substring(close + 1);
            if (!options.isEmpty() && !options.startsWith("?")) {
                throw new SettingsException("orderflow.broker.url " + url + ": after the list of servers comes '?' and its options, not '"
                        + options + "'");
            }
        } else {
            servers = url;
        }
        if (servers.isBlank()) {
            throw new SettingsException("orderflow.broker.url " + url + " names no server (for example tcp://broker-host:61616, "
                    + "or (tcp://primary:61616,tcp://backup:61617)?ha=true for a pair)");
        }
        for (String server : servers.split(",")) {
            URI u;
            try {
                u = new URI(server.trim());
            } catch (java.net.URISyntaxException e) {
                throw new SettingsException("orderflow.broker.url " + url + ": '" + server.trim() + "' is not a URL (" + e.getReason() + ")");
            }
            String scheme = u.getScheme() == null ? "" : u.getScheme();
            if (!List.of("tcp", "vm", "udp").contains(scheme)) {
                throw new SettingsException("orderflow.broker.url " + url + ": '" + server.trim() + "' is not tcp://host:port "
                        + "(nor vm:// or udp://)");
            }
            if (!scheme.equals("vm") && (u.getHost() == null || u.getHost().isEmpty())) {
                throw new SettingsException("orderflow.broker.url " + url + ": '" + server.trim() + "' names no host "
                        + "(for example tcp://broker-host:61616)");
            }
        }
    }

    public String brokerUrl() {
        String url = get("orderflow.broker.url");
        return url.isEmpty() ? "vm://0" : url;
    }

    /**
     * Whether orderflow runs its own PostgreSQL server under the data dir: no URL is set, the
     * embedded choice is postgres, and this platform has its binaries.
     */
    public boolean embeddedPostgres() {
        return get("orderflow.db.url").isEmpty() && get("orderflow.db.embedded").equals("postgres")
                && EmbeddedPostgresServer.available();
    }

    /**
     * The JDBC URL of a configured server or of the embedded H2 file. The embedded PostgreSQL's
     * URL is known once it runs ({@code Database.url()}).
     */
    public String dbUrl() {
        String url = get("orderflow.db.url");
        if (!url.isEmpty()) {
            return url;
        }
        if (embeddedPostgres()) {
            throw new IllegalStateException("the embedded PostgreSQL's URL is known once it runs");
        }
        // WRITE_DELAY=0: each commit is written before it returns (H2 otherwise loses the last
        // seconds of commits when the process is killed). Written, not fsynced: it survives a kill,
        // not a power loss (README, "Guarantees and their limits"). H2CommitImageTest checks it.
        // DB_CLOSE_ON_EXIT=FALSE: orderflow closes the database itself, after its routes stopped.
        // MODE=PostgreSQL: one SQL dialect for both databases (INSERT ... ON CONFLICT DO NOTHING).
        return "jdbc:h2:file:" + dataDir().resolve("db").resolve("orderflow")
                + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH";
    }

    public boolean isPostgres() {
        return embeddedPostgres() || get("orderflow.db.url").startsWith("jdbc:postgresql:");
    }

    /** The Camel route include pattern: routes packed in the jar, or a folder that overrides them. */
    public String routesPattern() {
        String dir = get("orderflow.routes-dir");
        if (dir.isEmpty()) {
            return "classpath:routes/*.yaml";
        }
        return "file:" + Path.of(dir).toAbsolutePath().normalize() + "/*.yaml";
    }
}
