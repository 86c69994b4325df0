-- aggregates
SELECT count(*) AS __c0, count(*) AS __matched
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (regexp_matches("user.id", $p2))
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "^u-[0-9]+$"}

-- events: none

-- series (every group)
SELECT ("$timestamp" // $p3) * $p3 AS __bucket, count(*) AS __c0
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (regexp_matches("user.id", $p2))
GROUP BY 1
ORDER BY 1
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "^u-[0-9]+$", "p3": 60000000000}
