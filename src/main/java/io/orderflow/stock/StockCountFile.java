package io.orderflow.stock;

import io.orderflow.intake.RejectedInputException;
import io.orderflow.intake.Utf8Text;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A stock count file: CSV with the header "sku,quantity", one row per SKU giving its on-hand
 * quantity. A bad row rejects the whole file; every bad row is reported with its line number.
 */
public final class StockCountFile {

    private static final Pattern SKU = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    static final int MAX_QUANTITY = 1_000_000_000;

    private StockCountFile() {
    }

    public static Map<String, Integer> parse(byte[] content) {
        String text = Utf8Text.decode(content);
        String[] lines = text.split("\r?\n", -1);
        if (text.isBlank()) {
            throw new RejectedInputException("empty file: expected the header sku,quantity and one row per SKU");
        }
        if (!lines[0].trim().equalsIgnoreCase("sku,quantity")) {
            throw new RejectedInputException("line 1: expected the header sku,quantity, found '" + abbreviate(lines[0]) + "'");
        }
        List<String> problems = new ArrayList<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].trim();
            if (line.isEmpty()) {
                continue;
            }
            int lineNo = i + 1;
            String[] cells = line.split(",", -1);
            if (cells.length != 2) {
                problems.add("line " + lineNo + ": expected 2 fields (sku,quantity), found " + cells.length);
                continue;
            }
            String sku = cells[0].trim();
            String quantity = cells[1].trim();
            if (!SKU.matcher(sku).matches()) {
                problems.add("line " + lineNo + ": sku '" + abbreviate(sku) + "' must be 1-64 characters of A-Z a-z 0-9 . _ -");
                continue;
            }
            int n;
            try {
                n = Integer.parseInt(quantity);
            } catch (NumberFormatException e) {
                problems.add("line " + lineNo + ": quantity '" + abbreviate(quantity) + "' of " + sku + " is not a whole number");
                continue;
            }
            if (n < 0 || n > MAX_QUANTITY) {
                problems.add("line " + lineNo + ": quantity " + n + " of " + sku + " must be between 0 and " + MAX_QUANTITY);
                continue;
            }
            if (counts.putIfAbsent(sku, n) != null) {
                problems.add("line " + lineNo + ": sku " + sku + " appears more than once");
            }
        }
        if (problems.isEmpty() && counts.isEmpty()) {
            problems.add("no stock rows after the header");
        }
        if (!problems.isEmpty()) {
            throw new RejectedInputException(problems);
        }
        return counts;
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
