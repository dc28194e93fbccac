package io.orderflow.email;

import io.orderflow.config.Settings;
import io.orderflow.config.SettingsException;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The email templates, parsed once and rendered per notification: the jar's, a folder's, and broken ones refused. */
class NotificationTemplatesTest {

    @TempDir
    Path dir;
    private Settings settings(String templatesDir) {
        return Settings.load(Map.of(), new Properties(), Map.of("orderflow.data-dir", dir.resolve("data").toString(),
                "orderflow.mail.templates-dir", templatesDir));
    }

    private static Event decision(String type, String data) throws Exception {
        return Event.create(type, "A-1", EventJson.MAPPER.readTree(data));
    }

    @Test
    void should_render_the_templates_packed_in_the_jar() throws Exception {
        NotificationTemplates templates = new NotificationTemplates(settings(""));

        NotificationTemplates.Rendered confirmation = templates.render("confirmation", decision(Event.STOCK_RESERVED,
                "{\"customer\":{\"name\":\"Ann\",\"email\":\"ann@example.com\"},\"lines\":[{\"sku\":\"BOOK\",\"quantity\":2}]}"));
        assertThat(confirmation.subject()).isEqualTo("Your order A-1 is confirmed");
        assertThat(confirmation.body()).isEqualTo("Hello Ann,\r\n\r\nThank you for your order A-1. Everything is reserved for you:\r\n\r\n"
                + "  2 x BOOK\r\n\r\n-- \r\norderflow\r\n");

        NotificationTemplates.Rendered outOfStock = templates.render("out-of-stock", decision(Event.OUT_OF_STOCK,
                "{\"customer\":{\"email\":\"b@example.com\"},\"lines\":[],\"missing\":[{\"sku\":\"MUG\",\"requested\":5,\"available\":3}]}"));
        assertThat(outOfStock.subject()).isEqualTo("Your order A-1 cannot be fulfilled");
        assertThat(outOfStock.body()).startsWith("Hello,\r\n").contains("  MUG: ordered 5, available 3\r\n",
                "Nothing has been reserved or charged");
    }

    @Test
    void should_render_an_html_alternative_with_every_value_from_the_order_escaped() throws Exception {
        NotificationTemplates templates = new NotificationTemplates(settings(""));

        NotificationTemplates.Rendered rendered = templates.render("confirmation", decision(Event.STOCK_RESERVED,
                "{\"customer\":{\"name\":\"<script>alert(1)</script> & Co\",\"email\":\"x@example.com\"},"
                        + "\"lines\":[{\"sku\":\"<b>BOOK</b>\",\"quantity\":2}]}"));

        assertThat(rendered.html()).startsWith("<!DOCTYPE html>").contains("Hello &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co,",
                "&lt;b&gt;BOOK&lt;/b&gt;", "<b>A-1</b>").doesNotContain("<script>");
        // the text part is plain text: nothing to escape
        assertThat(rendered.body()).contains("Hello <script>alert(1)</script> & Co,");
    }

    @Test
    void should_take_a_folders_template_instead_and_render_a_missing_field_visibly() throws Exception {
        Files.writeString(dir.resolve("confirmation.vm"), "Subject: Order $orderId: on its way, $customer.nickname\n\n"
                + "Dear $customer.name ($customer.nickname), $lines.size() line(s).\n");

        NotificationTemplates templates = new NotificationTemplates(settings(dir.toString()));

        NotificationTemplates.Rendered mine = templates.render("confirmation", decision(Event.STOCK_RESERVED,
                "{\"customer\":{\"name\":\"Ann\",\"email\":\"ann@example.com\"},\"lines\":[{\"sku\":\"BOOK\",\"quantity\":2}]}"));
        assertThat(mine.subject()).isEqualTo("Order A-1: on its way, $customer.nickname");
        assertThat(mine.body()).isEqualTo("Dear Ann ($customer.nickname), 1 line(s).\r\n");
        // the other kind still comes from the jar
        assertThat(templates.render("out-of-stock", decision(Event.OUT_OF_STOCK, "{\"customer\":{\"email\":\"b@example.com\"}}"))
                .subject()).isEqualTo("Your order A-1 cannot be fulfilled");
    }

    @Test
    void should_refuse_a_template_that_does_not_parse_naming_the_file_and_the_line() throws Exception {
        Files.writeString(dir.resolve("out-of-stock.vm"), "Subject: sorry\n\nHello,\n#foreach($item in $missing)\n  $item.sku\n");

        assertThatThrownBy(() -> settings(dir.toString())).isInstanceOf(SettingsException.class)
                .hasMessageContaining(dir.resolve("out-of-stock.vm").toString()).hasMessageContaining("line ")
                .hasMessageContaining("does not parse").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void should_refuse_an_unknown_template_a_missing_folder_and_a_template_without_its_subject() throws Exception {
        Files.writeString(dir.resolve("confirmaton.vm"), "Subject: typo\n\nHi\n");
        assertThatThrownBy(() -> settings(dir.toString())).hasMessageContaining("no template is called confirmaton.vm")
                .hasMessageContaining("confirmation.vm, out-of-stock.vm");
        Files.delete(dir.resolve("confirmaton.vm"));

        assertThatThrownBy(() -> settings(dir.resolve("nowhere").toString())).hasMessageContaining("is not a folder");

        Files.writeString(dir.resolve("confirmation.vm"), "Hello $customer.name\n");
        assertThatThrownBy(() -> settings(dir.toString())).hasMessageContaining("confirmation.vm line 1")
                .hasMessageContaining("Subject:");
    }
}
