package io.orderflow.stock;

import io.orderflow.intake.RejectedInputException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.entry;

/** The stock count CSV: header sku,quantity, one row per SKU; a bad row rejects the file, every bad row is named. */
class StockCountFileTest {

    private static Map<String, Integer> parse(String text) {
        return StockCountFile.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> problemsOf(String text) {
        return problemsOf(text.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> problemsOf(byte[] content) {
        RejectedInputException e = catchThrowableOfType(RejectedInputException.class, () -> StockCountFile.parse(content));
        assertThat(e).as("the file should have been rejected").isNotNull();
        assertThat(e.problems()).isNotEmpty();
        return e.problems();
    }

    @Test
    void should_read_every_row_in_file_order() {
        Map<String, Integer> counts = parse("sku,quantity\nA-1,5\nb_2.x,12\nC-3,1000000000\n");

        assertThat(counts).containsExactly(entry("A-1", 5), entry("b_2.x", 12), entry("C-3", 1_000_000_000));
    }

    @Test
    void should_accept_a_file_without_a_final_newline() {
        assertThat(parse("sku,quantity\nA-1,5")).containsExactly(entry("A-1", 5));
    }

    @Test
    void should_reject_a_file_without_a_header_naming_line_1() {
        assertThat(problemsOf("A-1,5\nB-2,6\n")).singleElement().asString()
                .startsWith("line 1:")
                .contains("sku,quantity")
                .contains("'A-1,5'");
    }

    @Test
    void should_reject_a_wrong_header_naming_line_1() {
        assertThat(problemsOf("sku;quantity\nA-1,5\n")).singleElement().asString()
                .startsWith("line 1:")
                .contains("'sku;quantity'");
    }

    @Test
    void should_reject_a_header_with_the_columns_swapped_naming_line_1() {
        assertThat(problemsOf("quantity,sku\nA-1,5\n")).singleElement().asString().startsWith("line 1:");
    }

    @Test
    void should_accept_the_header_in_another_case_and_with_surrounding_spaces() {
        assertThat(parse(" SKU,Quantity \nA-1,5\n")).containsExactly(entry("A-1", 5));
    }

    @Test
    void should_accept_crlf_line_endings() {
        assertThat(parse("sku,quantity\r\nA-1,5\r\nB-2,7\r\n")).containsExactly(entry("A-1", 5), entry("B-2", 7));
    }

    @Test
    void should_accept_a_utf8_byte_order_mark() {
        byte[] body = "sku,quantity\nA-1,5\n".getBytes(StandardCharsets.UTF_8);
        byte[] content = new byte[body.length + 3];
        content[0] = (byte) 0xEF;
        content[1] = (byte) 0xBB;
        content[2] = (byte) 0xBF;
        System.arraycopy(body, 0, content, 3, body.length);

        assertThat(StockCountFile.parse(content)).containsExactly(entry("A-1", 5));
    }

    @Test
    void should_ignore_blank_lines() {
        assertThat(parse("sku,quantity\n\nA-1,5\n   \n\r\nB-2,6\n\n")).containsExactly(entry("A-1", 5), entry("B-2", 6));
    }

    @Test
    void should_count_blank_lines_in_the_line_numbers_it_reports() {
        assertThat(problemsOf("sku,quantity\n\n\nA-1,-1\n")).singleElement().asString().startsWith("line 4:");
    }

    @Test
    void should_accept_a_quantity_of_zero() {
        assertThat(parse("sku,quantity\nA-1,0\n")).containsExactly(entry("A-1", 0));
    }

    @Test
    void should_trim_spaces_around_the_fields() {
        assertThat(parse("sku,quantity\n A-1 , 5 \n")).containsExactly(entry("A-1", 5));
    }

    @Test
    void should_reject_a_negative_quantity_naming_the_line() {
        assertThat(problemsOf("sku,quantity\nA-1,5\nB-2,-1\n")).singleElement().asString()
                .startsWith("line 3:")
                .contains("-1")
                .contains("B-2");
    }

    @Test
    void should_reject_a_quantity_above_one_billion_naming_the_line() {
        assertThat(problemsOf("sku,quantity\nA-1,1000000001\n")).singleElement().asString()
                .startsWith("line 2:")
                .contains("1000000001");
    }

    @Test
    void should_reject_a_non_numeric_quantity_naming_the_line() {
        assertThat(problemsOf("sku,quantity\nA-1,five\n")).singleElement().asString()
                .startsWith("line 2:")
                .contains("'five'")
                .contains("not a whole number");
    }

    @Test
    void should_reject_a_fractional_quantity_naming_the_line() {
        assertThat(problemsOf("sku,quantity\nA-1,2.5\n")).singleElement().asString()
                .startsWith("line 2:")
                .contains("'2.5'");
    }

    @Test
    void should_reject_an_empty_quantity_naming_the_line() {
        assertThat(problemsOf("sku,quantity\nA-1,\n")).singleElement().asString()
                .startsWith("line 2:")
                .contains("not a whole number");
    }

    @Test
    void should_reject_a_row_with_too_many_fields_naming_the_line() {
        assertThat(problemsOf("sku,quantity\nA-1,5,extra\n")).singleElement().asString()
                .startsWith("line 2:")
                .contains("expected 2 fields")
                .contains("found 3");
    }

    @Test
    void should_reject_a_row_with_one_field_naming_the_line() {
        assertThat(problemsOf("sku,quantity\nA-1\n")).singleElement().asString()
                .startsWith("line 2:")
                .contains("found 1");
    }

    @Test
    void should_reject_a_sku_with_a_space_naming_the_line() {
        assertThat(problemsOf("sku,quantity\nA 1,5\n")).singleElement().asString()
                .startsWith("line 2:")
                .contains("'A 1'");
    }

    @Test
    void should_reject_a_sku_with_a_slash_naming_the_line() {
        assertThat(problemsOf("sku,quantity\nA/1,5\n")).singleElement().asString()
                .startsWith("line 2:")
                .contains("'A/1'");
    }

    @Test
    void should_reject_an_empty_sku_naming_the_line() {
        assertThat(problemsOf("sku,quantity\n,5\n")).singleElement().asString().startsWith("line 2:");
    }

    @Test
    void should_reject_a_sku_of_65_characters_naming_the_line() {
        assertThat(problemsOf("sku,quantity\n" + "s".repeat(65) + ",5\n")).singleElement().asString().startsWith("line 2:");
    }

    @Test
    void should_accept_a_sku_of_64_characters() {
        String sku = "s".repeat(64);

        assertThat(parse("sku,quantity\n" + sku + ",5\n")).containsExactly(entry(sku, 5));
    }

    @Test
    void should_reject_a_duplicate_sku_naming_the_second_line() {
        assertThat(problemsOf("sku,quantity\nA-1,5\nB-2,1\nA-1,6\n")).singleElement().asString()
                .startsWith("line 4:")
                .contains("A-1")
                .contains("more than once");
    }

    @Test
    void should_reject_an_empty_file() {
        assertThat(problemsOf(new byte[0])).singleElement().asString().startsWith("empty file");
    }

    @Test
    void should_reject_a_whitespace_only_file() {
        assertThat(problemsOf(" \r\n\n")).singleElement().asString().startsWith("empty file");
    }

    @Test
    void should_reject_a_header_only_file() {
        assertThat(problemsOf("sku,quantity\n")).containsExactly("no stock rows after the header");
    }

    @Test
    void should_reject_a_header_followed_by_blank_lines_only() {
        assertThat(problemsOf("sku,quantity\r\n\r\n  \r\n")).containsExactly("no stock rows after the header");
    }

    @Test
    void should_reject_invalid_utf8() {
        byte[] content = "sku,quantity\nA-1,5\n".getBytes(StandardCharsets.US_ASCII);
        content[14] = (byte) 0xFF;

        assertThat(problemsOf(content)).singleElement().asString().contains("UTF-8").contains("byte offset 14");
    }

    @Test
    void should_report_every_bad_row_with_its_line_number() {
        List<String> problems = problemsOf("sku,quantity\n"
                + "A-1,-1\n"        // line 2: negative
                + "B-2,5\n"         // line 3: good
                + "C 3,1\n"         // line 4: bad sku
                + "\n"              // line 5: blank
                + "D-4,1,2\n"       // line 6: too many fields
                + "E-5,many\n"      // line 7: not a number
                + "B-2,6\n");       // line 8: duplicate

        assertThat(problems).hasSize(5);
        assertThat(problems.get(0)).startsWith("line 2:");
        assertThat(problems.get(1)).startsWith("line 4:");
        assertThat(problems.get(2)).startsWith("line 6:");
        assertThat(problems.get(3)).startsWith("line 7:");
        assertThat(problems.get(4)).startsWith("line 8:").contains("more than once");
    }
}
