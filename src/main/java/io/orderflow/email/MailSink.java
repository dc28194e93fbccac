package io.orderflow.email;

import io.orderflow.config.Settings;
import jakarta.mail.MessagingException;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.util.StreamProvider;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Date;
import java.util.Properties;

/**
 * Where notifications go. In file mode, through Camel's file endpoint: one RFC 5322 .eml per
 * notification under data/mail (written to a temporary name, then renamed; rewriting replaces it).
 * In smtp mode, a real SMTP server through Jakarta Mail, with connect, read and write timeouts.
 *
 * <p>A sender's round sends its batch through one {@link Batch}, and in smtp mode that is one SMTP
 * session for the whole batch. camel-mail's producer opens a session per message: against
 * GreenMail that cost 48 ms a mail on one thread against 2 ms on a kept session, and a real
 * server with STARTTLS and a login costs more. Mail servers may end a session after a number of
 * messages: a session that already carried mail and then fails is opened again once for the same
 * message before the failure counts.
 */
public final class MailSink {

    static {
        // Jakarta Mail 2.1 looks its stream provider up with a ServiceLoader for every body part,
        // multipart and encoded write (jakartaee/mail-api#699, #861): a scan of the jar's service
        // files several times per mail, which took more CPU than the rest of an order's flow and
        // kept the JIT compiling. Named here, it is a class lookup the class loader caches.
        if (System.getProperty(StreamProvider.class.getName()) == null) {
            System.setProperty(StreamProvider.class.getName(), "org.eclipse.angus.mail.util.MailStreamProvider");
        }
    }

    private final ProducerTemplate producer;
    private final boolean file;
    private final String from;
    private final String fileEndpoint;
    private final Session session;
    private final String user;
    private final String password;
    private final String destination;
    /** Resolved at the first send: looking an endpoint up by its URI costs more than writing a small file. */
    private volatile Endpoint target;

    public MailSink(ProducerTemplate producer, Settings settings) {
        this.producer = producer;
        this.file = settings.get("orderflow.mail.mode").equals("file");
        this.from = settings.get("orderflow.mail.from");
        this.fileEndpoint = fileEndpoint(settings);
        this.session = Session.getInstance(smtpProperties(settings));
        this.user = settings.get("orderflow.mail.smtp.user");
        this.password = settings.get("orderflow.mail.smtp.password");
        this.destination = file ? "mail folder " + settings.dataDir().resolve("mail")
                : "mail server " + settings.get("orderflow.mail.smtp.host") + ":" + settings.get("orderflow.mail.smtp.port");
    }

    static String fileEndpoint(Settings settings) {
        return "file:" + settings.dataDir().resolve("mail") + "?tempPrefix=.writing-&fileExist=Override";
    }

    static Properties smtpProperties(Settings s) {
        Properties p = new Properties();
        p.setProperty("mail.smtp.host", s.get("orderflow.mail.smtp.host"));
        p.setProperty("mail.smtp.port", s.get("orderflow.mail.smtp.port"));
        p.setProperty("mail.smtp.connectiontimeout", s.get("orderflow.mail.smtp.connect-timeout-ms"));
        p.setProperty("mail.smtp.timeout", s.get("orderflow.mail.smtp.read-timeout-ms"));
        p.setProperty("mail.smtp.writetimeout", s.get("orderflow.mail.smtp.read-timeout-ms"));
        if (Boolean.parseBoolean(s.get("orderflow.mail.smtp.starttls"))) {
            p.setProperty("mail.smtp.starttls.enable", "true");
            p.setProperty("mail.smtp.starttls.required", "true");
        }
        if (!s.get("orderflow.mail.smtp.user").isEmpty()) {
            p.setProperty("mail.smtp.auth", "true");
        }
        return p;
    }

    /** Where mail goes, for an operator: "mail server host:port" or "mail folder path". */
    String destination() {
        return destination;
    }

    /** Where one round's notifications go; close it at the end of the round. */
    Batch open() {
        return new Batch();
    }

    /** One round's sends: in smtp mode over one session, opened at the first send. */
    final class Batch implements AutoCloseable {

        private Transport transport;
        private int sentOnSession;

        /** Sends or writes it; returns the mail server's reply (or where the file went). */
        String send(Notification n) throws MessagingException, IOException {
            MimeMessage message = compose(n);
            if (file) {
                write(n, message);
                return "written to " + n.fileName();
            }
            boolean fresh = connect();
            try {
                transport.sendMessage(message, message.getAllRecipients());
            } catch (MessagingException e) {
                if (fresh || MailRefusal.aboutTheMessage(e)) {
                    throw e;
                }
                // the server may have ended a session that already carried mail (a limit of
                // messages or time per session): one new session for this message
                close();
                connect();
                transport.sendMessage(message, message.getAllRecipients());
            }
            sentOnSession++;
            return transport instanceof SMTPTransport smtp ? String.valueOf(smtp.getLastServerResponse()).trim() : "sent";
        }

        /** Opens the session if there is none; true if it was opened now. */
        private boolean connect() throws MessagingException {
            // not Transport.isConnected(): it asks the server (a NOOP) every time; a session that
            // ended is found out by the next send, and opened again once
            if (transport != null) {
                return sentOnSession == 0;
            }
            transport = session.getTransport("smtp");
            if (user.isEmpty()) {
                transport.connect();
            } else {
                transport.connect(user, password);
            }
            return true;
        }

        @Override
        public void close() {
            if (transport != null) {
                try {
                    transport.close();
                } catch (MessagingException ignored) {
                    // the session is over either way; what was sent was answered already
                }
                transport = null;
                sentOnSession = 0;
            }
        }
    }

    private void write(Notification n, MimeMessage message) throws MessagingException, IOException {
        ByteArrayOutputStream eml = new ByteArrayOutputStream();
        message.writeTo(eml);
        Exchange result = producer.send(target(), e -> {
            e.getIn().setHeader(Exchange.FILE_NAME, n.fileName());
            e.getIn().setBody(eml.toByteArray());
        });
        if (result.getException() != null) {
            throw new MessagingException(result.getException().getMessage(), result.getException());
        }
    }

    private Endpoint target() {
        Endpoint e = target;
        if (e == null) {
            e = producer.getCamelContext().getEndpoint(fileEndpoint);
            target = e;
        }
        return e;
    }

    MimeMessage compose(Notification n) throws MessagingException {
        MimeMessage m = new FixedIdMessage(session, n.messageId());
        m.setFrom(new InternetAddress(from));
        m.setRecipient(jakarta.mail.Message.RecipientType.TO, new InternetAddress(n.recipient()));
        m.setSubject(n.subject(), "UTF-8");
        if (n.html() == null) {
            m.setText(n.body(), "UTF-8");
        } else {
            // the text first: a client shows the last alternative it can display
            MimeMultipart alternatives = new MimeMultipart("alternative");
            MimeBodyPart text = new MimeBodyPart();
            text.setText(n.body(), "UTF-8");
            alternatives.addBodyPart(text);
            MimeBodyPart html = new MimeBodyPart();
            html.setText(n.html(), "UTF-8", "html");
            alternatives.addBodyPart(html);
            m.setContent(alternatives);
        }
        m.setSentDate(new Date());
        m.setHeader("X-Orderflow-Order-Id", n.orderId());
        m.setHeader("X-Orderflow-Notification", n.kind());
        if (n.traceId() != null) {
            // the order's W3C trace id: the mail can be found from the trace, and the trace from the mail
            m.setHeader("X-Orderflow-Trace-Id", n.traceId());
        }
        m.saveChanges();
        return m;
    }

    /** Keeps our deterministic Message-ID: Jakarta Mail would replace it on saveChanges(). */
    private static final class FixedIdMessage extends MimeMessage {
        private final String id;

        FixedIdMessage(Session session, String id) {
            super(session);
            this.id = id;
        }

        @Override
        protected void updateMessageID() throws MessagingException {
            setHeader("Message-ID", id);
        }
    }
}
