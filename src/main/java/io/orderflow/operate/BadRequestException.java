package io.orderflow.operate;

/** An admin call that makes no sense as asked: answered with 400 (or the given status) and its reason, changing nothing. */
public class BadRequestException extends RuntimeException {

    private final int status;

    public BadRequestException(String reason) {
        this(400, reason);
    }

    public BadRequestException(int status, String reason) {
        super(reason);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
