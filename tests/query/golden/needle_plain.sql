-- aggregates
SELECT count(*) AS __c0, count(*) AS __matched
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (contains(lower("$service"), lower($p2)) OR contains(lower("$namespace"), lower($p2)) OR contains(lower("$name"), lower($p2)) OR contains(lower("$message"), lower($p2)) OR contains(lower("http.route"), lower($p2)) OR contains(lower("user.id"), lower($p2)) OR (contains(lower("$attrs"), lower($p3)) AND coalesce(list_bool_or(list_transform(json_extract("$attrs", '$.*'), lambda v: json_type(v) = 'VARCHAR' AND contains(lower((v ->> '$')), lower($p2)))), FALSE)))
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "TimeOut", "p3": "TimeOut"}

-- events: none

-- series (every group)
SELECT ("$timestamp" // $p4) * $p4 AS __bucket, count(*) AS __c0
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (contains(lower("$service"), lower($p2)) OR contains(lower("$namespace"), lower($p2)) OR contains(lower("$name"), lower($p2)) OR contains(lower("$message"), lower($p2)) OR contains(lower("http.route"), lower($p2)) OR contains(lower("user.id"), lower($p2)) OR (contains(lower("$attrs"), lower($p3)) AND coalesce(list_bool_or(list_transform(json_extract("$attrs", '$.*'), lambda v: json_type(v) = 'VARCHAR' AND contains(lower((v ->> '$')), lower($p2)))), FALSE)))
GROUP BY 1
ORDER BY 1
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "TimeOut", "p3": "TimeOut", "p4": 60000000000}
