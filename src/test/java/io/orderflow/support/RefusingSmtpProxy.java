package io.orderflow.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A recipient policy in front of a real SMTP server (GreenMail), as a mail relay applies one:
 * the RCPT TO of a listed address gets the configured answer (a 5xx refusal, a 4xx deferral);
 * every other line of the dialogue goes to the server and back unchanged.
 */
public final class RefusingSmtpProxy implements AutoCloseable {

    private static final Pattern RCPT = Pattern.compile("RCPT TO:\\s?<([^>]*)>.*", Pattern.CASE_INSENSITIVE);

    private final ServerSocket listener;
    private final int serverPort;
    private final Map<String, String> answers = new ConcurrentHashMap<>();

    public RefusingSmtpProxy(int serverPort) throws IOException {
        this.serverPort = serverPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::accept, "smtp-policy");
        accept.setDaemon(true);
        accept.start();
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Answers RCPT TO:&lt;address&gt; with this line, e.g. "550 5.1.1 mailbox unavailable". */
    public void answer(String address, String reply) {
        answers.put(address.toLowerCase(Locale.ROOT), reply);
    }

    public void accept(String address) {
        answers.remove(address.toLowerCase(Locale.ROOT));
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), serverPort);
                Thread down = new Thread(() -> copy(server, client), "smtp-policy-down");
                down.setDaemon(true);
                down.start();
                Thread up = new Thread(() -> filter(client, server), "smtp-policy-up");
                up.setDaemon(true);
                up.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void filter(Socket client, Socket server) {
        try (client; server) {
            BufferedReader lines = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.ISO_8859_1));
            OutputStream toServer = server.getOutputStream();
            boolean data = false;
            String line;
            while ((line = lines.readLine()) != null) {
                Matcher rcpt = RCPT.matcher(line);
                String reply = !data && rcpt.matches() ? answers.get(rcpt.group(1).toLowerCase(Locale.ROOT)) : null;
                if (reply != null) {
                    write(client, reply);
                    continue;
                }
                if (!data && line.equalsIgnoreCase("DATA")) {
                    data = true;
                } else if (data && line.equals(".")) {
                    data = false;
                }
                toServer.write((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                toServer.flush();
            }
        } catch (IOException e) {
            // the connection ended
        }
    }

    private static void copy(Socket server, Socket client) {
        try {
            InputStream in = server.getInputStream();
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                synchronized (client) {
                    client.getOutputStream().write(buffer, 0, n);
                    client.getOutputStream().flush();
                }
            }
        } catch (IOException e) {
            // the connection ended
        } finally {
            try {
                client.close();
            } catch (IOException ignored) {
                // closed already
            }
        }
    }

    private static void write(Socket client, String reply) throws IOException {
        synchronized (client) {
            client.getOutputStream().write((reply + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            client.getOutputStream().flush();
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
