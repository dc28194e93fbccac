package io.orderflow.email;

import io.orderflow.config.Settings;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
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
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.Properties;

/**
 * Where notifications go, through a Camel endpoint: in file mode one RFC 5322 .eml per
 * notification under data/mail (written to a temporary name, then renamed; rewriting replaces
 * it), in smtp mode a real SMTP server with connect and read timeouts.
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
    private final String endpoint;
    private final boolean file;
    private final String from;
    private final Session session = Session.getInstance(new Properties());
    /** Resolved at the first send: looking an endpoint up by its URI costs more than writing a small file. */
    private volatile Endpoint target;

    public MailSink(ProducerTemplate producer, Settings settings) {
        this.producer = producer;
        this.file = settings.get("orderflow.mail.mode").equals("file");
        this.from = settings.get("orderflow.mail.from");
        this.endpoint = file ? fileEndpoint(settings) : smtpEndpoint(settings);
    }

    static String fileEndpoint(Settings settings) {
        return "file:" + settings.dataDir().resolve("mail") + "?tempPrefix=.writing-&fileExist=Override";
    }

    static String smtpEndpoint(Settings s) {
        StringBuilder uri = new StringBuilder("smtp://").append(s.get("orderflow.mail.smtp.host")).append(':')
                .append(s.get("orderflow.mail.smtp.port"))
                .append("?connectionTimeout=").append(s.get("orderflow.mail.smtp.connect-timeout-ms"))
                .append("&mail.smtp.timeout=").append(s.get("orderflow.mail.smtp.read-timeout-ms"))
                .append("&mail.smtp.writetimeout=").append(s.get("orderflow.mail.smtp.read-timeout-ms"));
        if (Boolean.parseBoolean(s.get("orderflow.mail.smtp.starttls"))) {
            uri.append("&mail.smtp.starttls.enable=true&mail.smtp.starttls.required=true");
        }
        if (!s.get("orderflow.mail.smtp.user").isEmpty()) {
            uri.append("&username=").append(URLEncoder.encode(s.get("orderflow.mail.smtp.user"), StandardCharsets.UTF_8))
                    .append("&password=RAW(").append(s.get("orderflow.mail.smtp.password")).append(')');
        }
        return uri.toString();
    }

    void send(Notification n) throws MessagingException, IOException {
        MimeMessage message = compose(n);
        Exchange result;
        if (file) {
            ByteArrayOutputStream eml = new ByteArrayOutputStream();
            message.writeTo(eml);
            result = producer.send(target(), e -> {
                e.getIn().setHeader(Exchange.FILE_NAME, n.fileName());
                e.getIn().setBody(eml.toByteArray());
            });
        } else {
            result = producer.send(target(), e -> e.getIn().setBody(message));
        }
        if (result.getException() != null) {
            throw new MessagingException(result.getException().getMessage(), result.getException());
        }
    }

    private Endpoint target() {
        Endpoint e = target;
        if (e == null) {
            e = producer.getCamelContext().getEndpoint(endpoint);
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
