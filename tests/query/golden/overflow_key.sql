-- aggregates
SELECT json_extract_string("$attrs", $p7) AS __g0, count(DISTINCT json_extract_string("$attrs", $p8)) AS __c0, count(*) AS __matched
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (NOT coalesce(json_extract_string("$attrs", $p2) = $p3, FALSE) AND json_extract_string("$attrs", $p4) IN ($p5, $p6))
GROUP BY __g0
ORDER BY __c0 DESC NULLS LAST, __g0 ASC NULLS LAST
LIMIT $p9 OFFSET $p10
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "$.\"region\"", "p3": "eu", "p4": "$.\"customer.tier\"", "p5": "gold", "p6": "silver", "p7": "$.\"region\"", "p8": "$.\"order.id\"", "p9": 100, "p10": 0}

-- events: none

-- totals
SELECT count(*) AS __groups, sum(__n) AS __matched
FROM (SELECT json_extract_string("$attrs", $p7) AS __g0, count(*) AS __n
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (NOT coalesce(json_extract_string("$attrs", $p2) = $p3, FALSE) AND json_extract_string("$attrs", $p4) IN ($p5, $p6))
GROUP BY __g0)
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "$.\"region\"", "p3": "eu", "p4": "$.\"customer.tier\"", "p5": "gold", "p6": "silver", "p7": "$.\"region\""}

-- series (every group)
SELECT ("$timestamp" // $p11) * $p11 AS __bucket, json_extract_string("$attrs", $p7) AS __g0, count(DISTINCT json_extract_string("$attrs", $p8)) AS __c0
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (NOT coalesce(json_extract_string("$attrs", $p2) = $p3, FALSE) AND json_extract_string("$attrs", $p4) IN ($p5, $p6))
GROUP BY 1, 2
ORDER BY 1, 2 ASC NULLS LAST
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "$.\"region\"", "p3": "eu", "p4": "$.\"customer.tier\"", "p5": "gold", "p6": "silver", "p7": "$.\"region\"", "p8": "$.\"order.id\"", "p11": 60000000000}

-- series (top groups only)
SELECT ("$timestamp" // $p11) * $p11 AS __bucket, json_extract_string("$attrs", $p7) AS __g0, count(DISTINCT json_extract_string("$attrs", $p8)) AS __c0
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (NOT coalesce(json_extract_string("$attrs", $p2) = $p3, FALSE) AND json_extract_string("$attrs", $p4) IN ($p5, $p6)) AND (__g0 IN ($p12))
GROUP BY 1, 2
ORDER BY 1, 2 ASC NULLS LAST
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "$.\"region\"", "p3": "eu", "p4": "$.\"customer.tier\"", "p5": "gold", "p6": "silver", "p7": "$.\"region\"", "p8": "$.\"order.id\"", "p11": 60000000000, "p12": "a"}
