-- aggregates
SELECT count(*) AS __c0, count(*) AS __matched
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (regexp_matches("$service", $p2) OR regexp_matches("$namespace", $p2) OR regexp_matches("$name", $p2) OR regexp_matches("$message", $p2) OR regexp_matches("http.route", $p2) OR regexp_matches("user.id", $p2) OR coalesce(list_bool_or(list_transform(json_extract("$attrs", '$.*'), lambda v: json_type(v) = 'VARCHAR' AND regexp_matches((v ->> '$'), $p2))), FALSE))
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "^Time"}

-- events: none

-- series (every group)
SELECT ("$timestamp" // $p3) * $p3 AS __bucket, count(*) AS __c0
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (regexp_matches("$service", $p2) OR regexp_matches("$namespace", $p2) OR regexp_matches("$name", $p2) OR regexp_matches("$message", $p2) OR regexp_matches("http.route", $p2) OR regexp_matches("user.id", $p2) OR coalesce(list_bool_or(list_transform(json_extract("$attrs", '$.*'), lambda v: json_type(v) = 'VARCHAR' AND regexp_matches((v ->> '$'), $p2))), FALSE))
GROUP BY 1
ORDER BY 1
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "^Time", "p3": 60000000000}
