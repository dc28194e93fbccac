-- What retention has deleted up to, per table: rows of the table older than deleted_before
-- (by the column retention deletes on) may be gone. The invariant check reads it, so that it
-- leaves out the orders whose events were deleted whatever retention settings the checker itself
-- runs with. Only ever moves forward; a table retention never ran on has no row.
CREATE TABLE retention_horizon (
    table_name      VARCHAR(64) PRIMARY KEY,
    deleted_before  TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at      TIMESTAMP WITH TIME ZONE NOT NULL
);
