package io.orderflow.order;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/** A customer order as accepted: validated against schema/order.schema.json. */
public record Order(String orderId, Customer customer, List<Line> lines) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Customer(String name, String email) {
    }

    public record Line(String sku, int quantity) {
    }
}
