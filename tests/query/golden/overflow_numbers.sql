-- aggregates
SELECT quantile_cont(TRY_CAST(json_extract_string("$attrs", $p9) AS DOUBLE), 0.99) AS __c0, count(*) AS __matched
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (TRY_CAST(json_extract_string("$attrs", $p4) AS DOUBLE) > $p3 AND json_extract_string("$attrs", $p5) = $p6 AND json_extract_string("$attrs", $p7) < $p8)
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p3": 50.0, "p4": "$.\"order.total\"", "p5": "$.\"order.total\"", "p6": "7", "p7": "$.\"region\"", "p8": "3x", "p9": "$.\"order.total\""}

-- events: none

-- series (every group)
SELECT ("$timestamp" // $p10) * $p10 AS __bucket, quantile_cont(TRY_CAST(json_extract_string("$attrs", $p9) AS DOUBLE), 0.99) AS __c0
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (TRY_CAST(json_extract_string("$attrs", $p4) AS DOUBLE) > $p3 AND json_extract_string("$attrs", $p5) = $p6 AND json_extract_string("$attrs", $p7) < $p8)
GROUP BY 1
ORDER BY 1
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p3": 50.0, "p4": "$.\"order.total\"", "p5": "$.\"order.total\"", "p6": "7", "p7": "$.\"region\"", "p8": "3x", "p9": "$.\"order.total\"", "p10": 60000000000}
