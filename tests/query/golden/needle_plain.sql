-- aggregates
SELECT count(*) AS __c0, count(*) AS __matched
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (contains(lower("$service"), $p2) OR contains(lower("$namespace"), $p2) OR contains(lower("$name"), $p2) OR contains(lower("$message"), $p2) OR contains(lower("http.route"), $p2) OR contains(lower("user.id"), $p2) OR contains(lower("$attrs"), $p2))
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "timeout"}

-- events: none

-- series (every group)
SELECT ("$timestamp" // $p3) * $p3 AS __bucket, count(*) AS __c0
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (contains(lower("$service"), $p2) OR contains(lower("$namespace"), $p2) OR contains(lower("$name"), $p2) OR contains(lower("$message"), $p2) OR contains(lower("http.route"), $p2) OR contains(lower("user.id"), $p2) OR contains(lower("$attrs"), $p2))
GROUP BY 1
ORDER BY 1
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "timeout", "p3": 60000000000}
