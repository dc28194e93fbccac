package io.orderflow.order;

import io.orderflow.intake.RejectedInputException;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The input rules of {@link OrderFormat}: what an order file or message may hold, and what every
 * rejection says (the order, then the field, as a JSON pointer).
 *
 * <p>JSON is written with single quotes in this class for readability; {@link #json(String)} turns
 * them into double quotes. No order in here contains a single quote of its own.
 */
class OrderFormatTest {

    private static final OrderFormat FORMAT = new OrderFormat();

    private static final String CUSTOMER = "{'name':'Ada Lovelace','email':'ada@example.com'}";
    private static final String LINES = "[{'sku':'SKU-1','quantity':2}]";

    // ------------------------------------------------------------------------------------------
    // helpers

    private static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    private static String order(String orderIdJson, String customerJson, String linesJson) {
        return "{'orderId':" + orderIdJson + ",'customer':" + customerJson + ",'lines':" + linesJson + "}";
    }

    private static String orderWithId(String orderId) {
        return order("'" + orderId + "'", CUSTOMER, LINES);
    }

    private static String orderWithCustomer(String customerJson) {
        return order("'A-1'", customerJson, LINES);
    }

    private static String orderWithLines(String linesJson) {
        return order("'A-1'", CUSTOMER, linesJson);
    }

    private static String orderWithSku(String sku) {
        return orderWithLines("[{'sku':'" + sku + "','quantity':1}]");
    }

    private static String orderWithQuantity(String quantityJson) {
        return orderWithLines("[{'sku':'SKU-1','quantity':" + quantityJson + "}]");
    }

    private static String lines(int count) {
        return IntStream.range(0, count)
                .mapToObj(i -> "{'sku':'SKU-" + i + "','quantity':1}")
                .collect(Collectors.joining(",", "[", "]"));
    }

    private static List<Order> parse(String singleQuoted) {
        return FORMAT.parse(json(singleQuoted).getBytes(StandardCharsets.UTF_8));
    }

    private static Order parseOne(String singleQuoted) {
        List<Order> orders = parse(singleQuoted);
        assertThat(orders).hasSize(1);
        return orders.get(0);
    }

    private static List<String> problemsOf(String singleQuoted) {
        return problemsOf(json(singleQuoted).getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> problemsOf(byte[] content) {
        RejectedInputException e = catchThrowableOfType(RejectedInputException.class, () -> FORMAT.parse(content));
        assertThat(e).as("the input should have been rejected").isNotNull();
        assertThat(e.problems()).isNotEmpty();
        assertThat(e.getMessage()).isEqualTo(String.join("; ", e.problems()));
        return e.problems();
    }

    /** Exactly one problem, about the given order (label) and field (JSON pointer), containing the given words. */
    private static void assertSingleProblem(List<String> problems, String orderLabel, String pointer, String... words) {
        assertThat(problems).hasSize(1);
        assertThat(problems.get(0)).startsWith(orderLabel + ": " + pointer + ":");
        for (String w : words) {
            assertThat(problems.get(0)).contains(w);
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    // ------------------------------------------------------------------------------------------

    @Test
    void should_accept_a_valid_order_with_every_field() {
        Order order = parseOne(order("'A-1'", "{'name':'Ada Lovelace','email':'ada@example.com'}",
                "[{'sku':'SKU-1','quantity':2},{'sku':'sku_2.b','quantity':1}]"));

        assertThat(order.orderId()).isEqualTo("A-1");
        assertThat(order.customer()).isEqualTo(new Order.Customer("Ada Lovelace", "ada@example.com"));
        assertThat(order.lines()).containsExactly(new Order.Line("SKU-1", 2), new Order.Line("sku_2.b", 1));
    }

    @Nested
    class OrderId {

        @Test
        void should_accept_an_order_id_of_64_allowed_characters() {
            String id = ("Az09._-" + "x".repeat(64)).substring(0, 64);

            assertThat(parseOne(orderWithId(id)).orderId()).isEqualTo(id).hasSize(64);
        }

        @Test
        void should_reject_an_empty_order_id_naming_the_field() {
            assertSingleProblem(problemsOf(orderWithId("")), "order (orderId )", "/orderId", "pattern");
        }

        @Test
        void should_reject_an_order_id_of_65_characters_naming_the_field() {
            String id = "a".repeat(65);

            assertSingleProblem(problemsOf(orderWithId(id)), "order (orderId " + id + ")", "/orderId", "pattern");
        }

        @Test
        void should_reject_an_order_id_containing_a_space_naming_the_field() {
            assertSingleProblem(problemsOf(orderWithId("A 1")), "order (orderId A 1)", "/orderId", "pattern");
        }

        @Test
        void should_reject_an_order_id_containing_a_slash_naming_the_field() {
            assertSingleProblem(problemsOf(orderWithId("A/1")), "order (orderId A/1)", "/orderId", "pattern");
        }

        @Test
        void should_reject_an_order_id_that_is_a_number_not_a_string() {
            assertSingleProblem(problemsOf(order("42", CUSTOMER, LINES)), "order", "/orderId", "integer found, string expected");
        }

        @Test
        void should_reject_an_order_id_ending_with_a_newline() {
            assertSingleProblem(problemsOf(orderWithId("A-1\\n")), "order (orderId A-1\n)", "/orderId", "pattern");
            String id = "a".repeat(64);
            assertSingleProblem(problemsOf(orderWithId(id + "\\n")), "order (orderId " + id + "\n)", "/orderId", "pattern");
        }
    }

    @Nested
    class Sku {

        @Test
        void should_accept_a_sku_of_64_allowed_characters() {
            String sku = ("Az09._-" + "y".repeat(64)).substring(0, 64);

            assertThat(parseOne(orderWithSku(sku)).lines()).containsExactly(new Order.Line(sku, 1));
        }

        @Test
        void should_reject_an_empty_sku_naming_the_order_and_the_line() {
            assertSingleProblem(problemsOf(orderWithSku("")), "order (orderId A-1)", "/lines/0/sku", "pattern");
        }

        @Test
        void should_reject_a_sku_of_65_characters_naming_the_order_and_the_line() {
            assertSingleProblem(problemsOf(orderWithSku("s".repeat(65))), "order (orderId A-1)", "/lines/0/sku", "pattern");
        }

        @Test
        void should_reject_a_sku_containing_a_space_naming_the_order_and_the_line() {
            assertSingleProblem(problemsOf(orderWithSku("SKU 1")), "order (orderId A-1)", "/lines/0/sku", "pattern");
        }

        @Test
        void should_reject_a_sku_containing_a_slash_naming_the_order_and_the_line() {
            assertSingleProblem(problemsOf(orderWithSku("SKU/1")), "order (orderId A-1)", "/lines/0/sku", "pattern");
        }

        @Test
        void should_name_the_index_of_the_bad_line() {
            List<String> problems = problemsOf(orderWithLines("[{'sku':'OK-1','quantity':1},{'sku':'BAD 2','quantity':1}]"));

            assertSingleProblem(problems, "order (orderId A-1)", "/lines/1/sku", "pattern");
        }

        @Test
        void should_reject_a_sku_ending_with_a_newline() {
            assertSingleProblem(problemsOf(orderWithSku("SKU-1\\n")), "order (orderId A-1)", "/lines/0/sku", "pattern");
        }
    }

    @Nested
    class Customer {

        @Test
        void should_accept_a_customer_without_a_name() {
            Order order = parseOne(orderWithCustomer("{'email':'ada@example.com'}"));

            assertThat(order.customer()).isEqualTo(new Order.Customer(null, "ada@example.com"));
        }

        @Test
        void should_reject_an_email_that_is_not_an_address_naming_the_field() {
            assertSingleProblem(problemsOf(orderWithCustomer("{'email':'not-an-email'}")),
                    "order (orderId A-1)", "/customer/email", "email");
        }

        @Test
        void should_reject_an_email_with_two_at_signs_naming_the_field() {
            assertSingleProblem(problemsOf(orderWithCustomer("{'email':'a@b@c'}")),
                    "order (orderId A-1)", "/customer/email", "email");
        }

        @Test
        void should_reject_an_email_with_a_display_name_naming_the_field() {
            assertSingleProblem(problemsOf(orderWithCustomer("{'email':'Ada <ada@example.com>'}")),
                    "order (orderId A-1)", "/customer/email", "email");
        }

        @Test
        void should_reject_an_email_with_surrounding_whitespace_naming_the_field() {
            assertSingleProblem(problemsOf(orderWithCustomer("{'email':' ada@example.com'}")),
                    "order (orderId A-1)", "/customer/email", "email");
        }

        @Test
        void should_reject_a_customer_without_an_email_naming_it() {
            assertSingleProblem(problemsOf(orderWithCustomer("{'name':'Ada'}")),
                    "order (orderId A-1)", "/customer", "required property 'email'");
        }

        @Test
        void should_accept_a_name_of_200_characters() {
            String name = "n".repeat(200);

            assertThat(parseOne(orderWithCustomer("{'name':'" + name + "','email':'ada@example.com'}")).customer().name())
                    .isEqualTo(name);
        }

        @Test
        void should_reject_a_name_of_201_characters_naming_the_field() {
            assertSingleProblem(problemsOf(orderWithCustomer("{'name':'" + "n".repeat(201) + "','email':'ada@example.com'}")),
                    "order (orderId A-1)", "/customer/name", "200");
        }

        @Test
        void should_reject_a_null_name_naming_the_field() {
            assertSingleProblem(problemsOf(orderWithCustomer("{'name':null,'email':'ada@example.com'}")),
                    "order (orderId A-1)", "/customer/name", "null found, string expected");
        }

        @Test
        void should_accept_and_preserve_a_non_ascii_name() {
            Order order = parseOne(orderWithCustomer("{'name':'Jörg Müller','email':'joerg@example.com'}"));

            assertThat(order.customer().name()).isEqualTo("J\u00f6rg M\u00fcller");
        }
    }

    @Nested
    class Lines {

        @Test
        void should_reject_an_order_without_lines_naming_the_field() {
            assertSingleProblem(problemsOf(orderWithLines("[]")), "order (orderId A-1)", "/lines", "at least 1");
        }

        @Test
        void should_accept_an_order_of_100_lines() {
            List<Order.Line> lines = parseOne(orderWithLines(lines(100))).lines();

            assertThat(lines).hasSize(100);
            assertThat(lines.get(0)).isEqualTo(new Order.Line("SKU-0", 1));
            assertThat(lines.get(99)).isEqualTo(new Order.Line("SKU-99", 1));
        }

        @Test
        void should_reject_an_order_of_101_lines_naming_the_field() {
            assertSingleProblem(problemsOf(orderWithLines(lines(101))), "order (orderId A-1)", "/lines", "at most 100");
        }

        @Test
        void should_reject_a_line_without_a_quantity_naming_it() {
            assertSingleProblem(problemsOf(orderWithLines("[{'sku':'SKU-1'}]")),
                    "order (orderId A-1)", "/lines/0", "required property 'quantity'");
        }
    }

    @Nested
    class Quantity {

        @Test
        void should_accept_a_quantity_of_one() {
            assertThat(parseOne(orderWithQuantity("1")).lines()).containsExactly(new Order.Line("SKU-1", 1));
        }

        @Test
        void should_accept_a_quantity_of_10000() {
            assertThat(parseOne(orderWithQuantity("10000")).lines()).containsExactly(new Order.Line("SKU-1", 10000));
        }

        @Test
        void should_reject_a_quantity_of_zero_naming_the_line() {
            assertSingleProblem(problemsOf(orderWithQuantity("0")), "order (orderId A-1)", "/lines/0/quantity", "minimum", "1");
        }

        @Test
        void should_reject_a_negative_quantity_naming_the_line() {
            assertSingleProblem(problemsOf(orderWithQuantity("-1")), "order (orderId A-1)", "/lines/0/quantity", "minimum", "1");
        }

        @Test
        void should_reject_a_quantity_of_10001_naming_the_line() {
            assertSingleProblem(problemsOf(orderWithQuantity("10001")), "order (orderId A-1)", "/lines/0/quantity", "maximum", "10000");
        }

        @Test
        void should_reject_a_fractional_quantity_naming_the_line() {
            assertSingleProblem(problemsOf(orderWithQuantity("2.5")), "order (orderId A-1)", "/lines/0/quantity", "integer expected");
        }

        @Test
        void should_reject_a_quantity_given_as_a_string_naming_the_line() {
            assertSingleProblem(problemsOf(orderWithQuantity("'2'")), "order (orderId A-1)", "/lines/0/quantity", "string found, integer expected");
        }

        @Test
        void should_reject_a_quantity_beyond_the_range_of_a_long_naming_the_line() {
            assertSingleProblem(problemsOf(orderWithQuantity("99999999999999999999999")),
                    "order (orderId A-1)", "/lines/0/quantity", "maximum");
        }

        @Test
        void should_accept_a_quantity_written_as_2_point_0_as_the_integer_2() {
            // JSON Schema 2020-12: a number with a zero fractional part is an integer
            Order written = parseOne(orderWithQuantity("2.0"));

            assertThat(written.lines()).containsExactly(new Order.Line("SKU-1", 2));
            assertThat(OrderFormat.canonical(written)).isEqualTo(OrderFormat.canonical(parseOne(orderWithQuantity("2"))));
        }
    }

    @Nested
    class UnknownAndMissingFields {

        @Test
        void should_reject_an_unknown_field_at_the_root_naming_it() {
            List<String> problems = problemsOf("{'orderId':'A-1','customer':" + CUSTOMER + ",'lines':" + LINES + ",'note':'x'}");

            assertSingleProblem(problems, "order (orderId A-1)", "/", "'note'");
        }

        @Test
        void should_reject_an_unknown_field_inside_customer_naming_it() {
            assertSingleProblem(problemsOf(orderWithCustomer("{'email':'ada@example.com','phone':'123'}")),
                    "order (orderId A-1)", "/customer", "'phone'");
        }

        @Test
        void should_reject_an_unknown_field_inside_a_line_naming_it() {
            assertSingleProblem(problemsOf(orderWithLines("[{'sku':'SKU-1','quantity':1,'price':3}]")),
                    "order (orderId A-1)", "/lines/0", "'price'");
        }

        @Test
        void should_report_a_missing_order_id() {
            assertSingleProblem(problemsOf("{'customer':" + CUSTOMER + ",'lines':" + LINES + "}"),
                    "order", "/", "required property 'orderId'");
        }

        @Test
        void should_report_a_missing_customer() {
            assertSingleProblem(problemsOf("{'orderId':'A-1','lines':" + LINES + "}"),
                    "order (orderId A-1)", "/", "required property 'customer'");
        }

        @Test
        void should_report_missing_lines() {
            assertSingleProblem(problemsOf("{'orderId':'A-1','customer':" + CUSTOMER + "}"),
                    "order (orderId A-1)", "/", "required property 'lines'");
        }

        @Test
        void should_report_every_missing_field_of_an_empty_object() {
            List<String> problems = problemsOf("{}");

            assertThat(problems).hasSize(3);
            assertThat(problems).allSatisfy(p -> assertThat(p).startsWith("order: /:"));
            assertThat(problems).anySatisfy(p -> assertThat(p).contains("'orderId'"));
            assertThat(problems).anySatisfy(p -> assertThat(p).contains("'customer'"));
            assertThat(problems).anySatisfy(p -> assertThat(p).contains("'lines'"));
        }

        @Test
        void should_report_every_problem_of_a_single_order() {
            List<String> problems = problemsOf(order("'A 1'", "{'email':'ada@example.com','phone':'1'}",
                    "[{'sku':'SKU-1','quantity':0}]"));

            assertThat(problems).hasSize(3);
            assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("order (orderId A 1): /orderId:"));
            assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("order (orderId A 1): /customer:").contains("'phone'"));
            assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("order (orderId A 1): /lines/0/quantity:"));
        }
    }

    @Nested
    class JsonSyntax {

        @Test
        void should_reject_malformed_json_giving_line_and_column() {
            List<String> problems = problemsOf("{\n  'orderId': 'A-1',\n  'customer' }");

            assertThat(problems).singleElement().asString()
                    .startsWith("not valid JSON")
                    .contains("line 3")
                    .contains("column ");
        }

        @Test
        void should_reject_a_duplicate_key_at_the_root() {
            List<String> problems = problemsOf("{'orderId':'A-1','orderId':'A-2','customer':" + CUSTOMER + ",'lines':" + LINES + "}");

            assertThat(problems).singleElement().asString()
                    .startsWith("not valid JSON at line 1")
                    .contains("Duplicate field 'orderId'");
        }

        @Test
        void should_reject_a_duplicate_key_inside_a_line() {
            List<String> problems = problemsOf(orderWithLines("[{'sku':'SKU-1','quantity':1,'quantity':5}]"));

            assertThat(problems).singleElement().asString()
                    .startsWith("not valid JSON")
                    .contains("Duplicate field 'quantity'");
        }

        @Test
        void should_reject_trailing_garbage_after_the_order() {
            List<String> problems = problemsOf(orderWithId("A-1") + " x");

            assertThat(problems).singleElement().asString().startsWith("not valid JSON at line 1");
        }

        @Test
        void should_reject_a_second_object_after_the_order() {
            List<String> problems = problemsOf(orderWithId("A-1") + "\n" + orderWithId("A-2"));

            assertThat(problems).singleElement().asString().startsWith("not valid JSON at line 2");
        }

        @Test
        void should_reject_empty_input() {
            assertThat(problemsOf(new byte[0])).singleElement().asString().startsWith("empty input");
        }

        @Test
        void should_reject_whitespace_only_input() {
            assertThat(problemsOf(" \r\n\t \n")).singleElement().asString().startsWith("empty input");
        }

        @Test
        void should_reject_input_holding_only_a_byte_order_mark() {
            assertThat(problemsOf(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF})).singleElement().asString()
                    .startsWith("empty input");
        }

        @Test
        void should_reject_a_json_value_that_is_not_an_object() {
            assertSingleProblem(problemsOf("'A-1'"), "order", "/", "string found, object expected");
        }

        @Test
        void should_reject_json_null() {
            assertSingleProblem(problemsOf("null"), "order", "/", "null found, object expected");
        }
    }

    @Nested
    class Arrays {

        @Test
        void should_reject_an_empty_array() {
            assertThat(problemsOf("[]")).containsExactly("the array holds no orders");
        }

        @Test
        void should_reject_an_empty_array_written_with_whitespace() {
            assertThat(problemsOf(" [ \n ] ")).containsExactly("the array holds no orders");
        }

        @Test
        void should_accept_an_array_of_two_orders_keeping_their_order() {
            List<Order> orders = parse("[" + order("'B-2'", "{'email':'b@example.com'}", "[{'sku':'S-2','quantity':2}]")
                    + "," + order("'A-1'", "{'email':'a@example.com'}", "[{'sku':'S-1','quantity':1}]") + "]");

            assertThat(orders).containsExactly(
                    new Order("B-2", new Order.Customer(null, "b@example.com"), List.of(new Order.Line("S-2", 2))),
                    new Order("A-1", new Order.Customer(null, "a@example.com"), List.of(new Order.Line("S-1", 1))));
        }

        @Test
        void should_accept_an_array_of_one_order() {
            assertThat(parse("[" + orderWithId("A-1") + "]")).extracting(Order::orderId).containsExactly("A-1");
        }

        @Test
        void should_reject_the_same_order_id_twice_in_one_array_as_a_conflict_naming_the_id() {
            List<String> problems = problemsOf("[" + orderWithId("A-1") + "," + orderWithId("B-2") + "," + orderWithId("A-1") + "]");

            assertThat(problems).singleElement().asString()
                    .startsWith("order #3 (orderId A-1):")
                    .contains("orderId A-1")
                    .contains("conflict");
        }

        @Test
        void should_report_every_bad_order_of_an_array_by_position() {
            List<String> problems = problemsOf("[" + orderWithLines("[]").replace("A-1", "O-1")
                    + "," + orderWithId("O-2")
                    + "," + orderWithQuantity("0").replace("A-1", "O-3") + "]");

            assertThat(problems).hasSize(2);
            assertThat(problems.get(0)).startsWith("order #1 (orderId O-1): /lines:");
            assertThat(problems.get(1)).startsWith("order #3 (orderId O-3): /lines/0/quantity:");
        }

        @Test
        void should_reject_an_array_element_that_is_not_an_object_naming_its_position() {
            List<String> problems = problemsOf("[" + orderWithId("A-1") + ",42]");

            assertSingleProblem(problems, "order #2", "/", "object expected");
        }

        @Test
        void should_reject_a_nested_array() {
            assertSingleProblem(problemsOf("[[" + orderWithId("A-1") + "]]"), "order #1", "/", "array found, object expected");
        }
    }

    @Nested
    class Encoding {

        private final byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

        @Test
        void should_ignore_a_utf8_byte_order_mark() {
            byte[] content = concat(bom, json(orderWithId("A-1")).getBytes(StandardCharsets.UTF_8));

            assertThat(FORMAT.parse(content)).extracting(Order::orderId).containsExactly("A-1");
        }

        @Test
        void should_reject_a_0xFF_byte_as_invalid_utf8_giving_its_offset() {
            byte[] content = concat("{".getBytes(StandardCharsets.US_ASCII), new byte[]{(byte) 0xFF}, "}".getBytes(StandardCharsets.US_ASCII));

            assertThat(problemsOf(content)).singleElement().asString()
                    .contains("UTF-8")
                    .contains("byte offset 1");
        }

        @Test
        void should_reject_a_latin1_e_acute_inside_a_string_as_invalid_utf8_giving_its_offset() {
            String text = json(orderWithCustomer("{'name':'Jos\u00e9','email':'jose@example.com'}"));
            byte[] content = text.getBytes(StandardCharsets.ISO_8859_1);
            int offset = text.indexOf('\u00e9');

            assertThat(problemsOf(content)).singleElement().asString()
                    .contains("UTF-8")
                    .contains("byte offset " + offset);
        }

        @Test
        void should_count_the_byte_order_mark_in_the_offset_of_an_invalid_byte() {
            byte[] content = concat(bom, "{".getBytes(StandardCharsets.US_ASCII), new byte[]{(byte) 0xFF});

            assertThat(problemsOf(content)).singleElement().asString()
                    .contains("UTF-8")
                    .contains("byte offset 4");
        }

        @Test
        void should_reject_a_truncated_multibyte_sequence_at_the_end() {
            byte[] content = concat(json(orderWithId("A-1")).getBytes(StandardCharsets.UTF_8), new byte[]{(byte) 0xC3});

            assertThat(problemsOf(content)).singleElement().asString().contains("UTF-8");
        }

        @Test
        void should_reject_an_overlong_encoding() {
            // 0xC0 0xAF is an overlong '/', never valid UTF-8
            byte[] content = concat("{'orderId':'A".replace('\'', '"').getBytes(StandardCharsets.US_ASCII),
                    new byte[]{(byte) 0xC0, (byte) 0xAF}, "1'}".replace('\'', '"').getBytes(StandardCharsets.US_ASCII));

            assertThat(problemsOf(content)).singleElement().asString().contains("UTF-8");
        }

        @Test
        void should_accept_a_name_with_characters_beyond_the_basic_multilingual_plane() {
            String name = "Zo\u00eb \uD83D\uDE00";

            assertThat(parseOne(orderWithCustomer("{'name':'" + name + "','email':'zoe@example.com'}")).customer().name())
                    .isEqualTo(name);
        }
    }

    @Nested
    class Canonical {

        @Test
        void should_give_equal_canonical_forms_for_the_same_order_written_differently() {
            Order compact = parseOne("{'orderId':'A-1','customer':{'name':'Ada','email':'ada@example.com'},"
                    + "'lines':[{'sku':'S-1','quantity':2},{'sku':'S-2','quantity':1}]}");
            Order spread = parseOne("{\n  'lines' : [ { 'quantity' : 2 , 'sku' : 'S-1' },\n"
                    + "    { 'quantity' : 1, 'sku' : 'S-2' } ],\n"
                    + "  'customer' : { 'email' : 'ada@example.com', 'name' : 'Ada' },\n"
                    + "  'orderId' : 'A-1'\n}\n");

            assertThat(OrderFormat.canonical(spread)).isEqualTo(OrderFormat.canonical(compact));
        }

        @Test
        void should_give_different_canonical_forms_when_a_quantity_differs() {
            Order two = parseOne(orderWithQuantity("2"));
            Order three = parseOne(orderWithQuantity("3"));

            assertThat(OrderFormat.canonical(two)).isNotEqualTo(OrderFormat.canonical(three));
        }

        @Test
        void should_give_different_canonical_forms_when_the_lines_are_in_another_order() {
            Order ab = parseOne(orderWithLines("[{'sku':'S-1','quantity':1},{'sku':'S-2','quantity':1}]"));
            Order ba = parseOne(orderWithLines("[{'sku':'S-2','quantity':1},{'sku':'S-1','quantity':1}]"));

            assertThat(OrderFormat.canonical(ab)).isNotEqualTo(OrderFormat.canonical(ba));
        }

        @Test
        void should_leave_out_an_absent_name_from_the_canonical_form() {
            String canonical = OrderFormat.canonical(parseOne(orderWithCustomer("{'email':'ada@example.com'}")));

            assertThat(canonical).isEqualTo(json(
                    "{'orderId':'A-1','customer':{'email':'ada@example.com'},'lines':[{'sku':'SKU-1','quantity':2}]}"));
        }
    }
}
