-- aggregates
SELECT count(*) AS __c0, count(DISTINCT "user.id") AS __c1, sum("n") AS __c2, avg("n") AS __c3, min("n") AS __c4, max("n") AS __c5, quantile_cont("$duration_ms", 0.5) AS __c6, quantile_cont("$duration_ms", 0.001) AS __c7, quantile_cont("$duration_ms", 0.01) AS __c8, quantile_cont("$duration_ms", 0.05) AS __c9, quantile_cont("$duration_ms", 0.1) AS __c10, quantile_cont("$duration_ms", 0.25) AS __c11, quantile_cont("$duration_ms", 0.75) AS __c12, quantile_cont("$duration_ms", 0.9) AS __c13, quantile_cont("$duration_ms", 0.95) AS __c14, quantile_cont("$duration_ms", 0.99) AS __c15, quantile_cont("$duration_ms", 0.999) AS __c16, stddev_samp("$duration_ms") AS __c17, var_samp("$duration_ms") AS __c18, count(*) AS __matched
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000}

-- events: none

-- series (every group)
SELECT ("$timestamp" // $p2) * $p2 AS __bucket, count(*) AS __c0, count(DISTINCT "user.id") AS __c1, sum("n") AS __c2, avg("n") AS __c3, min("n") AS __c4, max("n") AS __c5, quantile_cont("$duration_ms", 0.5) AS __c6, quantile_cont("$duration_ms", 0.001) AS __c7, quantile_cont("$duration_ms", 0.01) AS __c8, quantile_cont("$duration_ms", 0.05) AS __c9, quantile_cont("$duration_ms", 0.1) AS __c10, quantile_cont("$duration_ms", 0.25) AS __c11, quantile_cont("$duration_ms", 0.75) AS __c12, quantile_cont("$duration_ms", 0.9) AS __c13, quantile_cont("$duration_ms", 0.95) AS __c14, quantile_cont("$duration_ms", 0.99) AS __c15, quantile_cont("$duration_ms", 0.999) AS __c16, stddev_samp("$duration_ms") AS __c17, var_samp("$duration_ms") AS __c18
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1
GROUP BY 1
ORDER BY 1
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": 60000000000}
