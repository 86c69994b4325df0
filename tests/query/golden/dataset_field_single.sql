-- aggregates
SELECT $p4 AS __g0, count(*) AS __c0, count(*) AS __matched, count(*) OVER () AS __groups, sum(count(*)) OVER () AS __matched_all
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND ($p2 = $p3)
GROUP BY __g0
ORDER BY __c0 DESC NULLS LAST, __g0 ASC NULLS LAST
LIMIT $p5 OFFSET $p6
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "otel", "p3": "otel", "p4": "otel", "p5": 100, "p6": 0}

-- events: none

-- totals
SELECT count(*) AS __groups, sum(__n) AS __matched
FROM (SELECT $p4 AS __g0, count(*) AS __n
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND ($p2 = $p3)
GROUP BY __g0)
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "otel", "p3": "otel", "p4": "otel"}

-- series (every group)
SELECT ("$timestamp" // $p7) * $p7 AS __bucket, $p4 AS __g0, count(*) AS __c0
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND ($p2 = $p3)
GROUP BY 1, 2
ORDER BY 1, 2 ASC NULLS LAST
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "otel", "p3": "otel", "p4": "otel", "p7": 60000000000}

-- series (top groups only)
SELECT ("$timestamp" // $p7) * $p7 AS __bucket, $p4 AS __g0, count(*) AS __c0
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND ($p2 = $p3) AND (__g0 IN ($p8))
GROUP BY 1, 2
ORDER BY 1, 2 ASC NULLS LAST
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "otel", "p3": "otel", "p4": "otel", "p7": 60000000000, "p8": "a"}
