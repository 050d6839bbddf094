-- Whole-number sums for the orders report.
--
-- The report folds a million allocation rows into (order, factory) pairs, orders and
-- groups. sum(bigint) accumulates in numeric: a separately allocated state per group and
-- numeric arithmetic per row, about a quarter of the report's CPU time at that size.
-- weft_sum_int8 keeps a plain bigint instead. Where sum(bigint) would return a numeric past
-- 2^63 (which Weft could not read as Int64 anyway), it fails with "bigint out of range".
-- NULL for no rows, like sum.
CREATE AGGREGATE weft_sum_int8(bigint) (
    SFUNC = int8pl,
    STYPE = bigint,
    COMBINEFUNC = int8pl,
    PARALLEL = SAFE
);
