-- aggregates
SELECT count(*) AS __c0, count(*) AS __matched
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (contains("$service", $p2) OR contains("$namespace", $p2) OR contains("$name", $p2) OR contains("$message", $p2) OR contains("http.route", $p2) OR contains("user.id", $p2) OR (contains("$attrs", $p3) AND coalesce(list_bool_or(list_transform(json_extract("$attrs", '$.*'), lambda v: json_type(v) = 'VARCHAR' AND contains((v ->> '$'), $p2))), FALSE)))
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "TimeOut", "p3": "TimeOut"}

-- events: none

-- series (every group)
SELECT ("$timestamp" // $p4) * $p4 AS __bucket, count(*) AS __c0
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (contains("$service", $p2) OR contains("$namespace", $p2) OR contains("$name", $p2) OR contains("$message", $p2) OR contains("http.route", $p2) OR contains("user.id", $p2) OR (contains("$attrs", $p3) AND coalesce(list_bool_or(list_transform(json_extract("$attrs", '$.*'), lambda v: json_type(v) = 'VARCHAR' AND contains((v ->> '$'), $p2))), FALSE)))
GROUP BY 1
ORDER BY 1
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "TimeOut", "p3": "TimeOut", "p4": 60000000000}
