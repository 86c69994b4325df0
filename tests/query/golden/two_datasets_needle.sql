-- aggregates
SELECT count(*) AS __c0, count(*) AS __matched
FROM (SELECT $p0 AS "$dataset", "$timestamp" AS "$timestamp", "$id" AS "$id", "$attrs" AS "$attrs"
FROM "otel"
WHERE "$timestamp" >= $p1 AND "$timestamp" < $p2 AND (contains(lower("$service"), lower($p3)) OR contains(lower("$namespace"), lower($p3)) OR contains(lower("$name"), lower($p3)) OR contains(lower("$message"), lower($p3)) OR contains(lower("http.route"), lower($p3)) OR contains(lower("user.id"), lower($p3)) OR (contains(lower("$attrs"), lower($p4)) AND coalesce(list_bool_or(list_transform(json_extract("$attrs", '$.*'), lambda v: json_type(v) = 'VARCHAR' AND contains(lower((v ->> '$')), lower($p3)))), FALSE)))
UNION ALL SELECT $p5 AS "$dataset", "$timestamp" AS "$timestamp", "$id" AS "$id", CAST(NULL AS VARCHAR) AS "$attrs"
FROM "logs"
WHERE "$timestamp" >= $p6 AND "$timestamp" < $p7 AND (contains(lower("$service"), lower($p8)) OR contains(lower("$namespace"), lower($p8)) OR contains(lower("$name"), lower($p8)) OR contains(lower("$message"), lower($p8)) OR contains(lower("n"), lower($p8)) OR contains(lower("severity_text"), lower($p8)))) AS source
WHERE TRUE
-- params: {"p0": "otel", "p1": 1699995600000000000, "p2": 1699999200000000000, "p3": "boom", "p4": "boom", "p5": "logs", "p6": 1699995600000000000, "p7": 1699999200000000000, "p8": "boom"}

-- events: none

-- series (every group)
SELECT ("$timestamp" // $p9) * $p9 AS __bucket, count(*) AS __c0
FROM (SELECT $p0 AS "$dataset", "$timestamp" AS "$timestamp", "$id" AS "$id", "$attrs" AS "$attrs"
FROM "otel"
WHERE "$timestamp" >= $p1 AND "$timestamp" < $p2 AND (contains(lower("$service"), lower($p3)) OR contains(lower("$namespace"), lower($p3)) OR contains(lower("$name"), lower($p3)) OR contains(lower("$message"), lower($p3)) OR contains(lower("http.route"), lower($p3)) OR contains(lower("user.id"), lower($p3)) OR (contains(lower("$attrs"), lower($p4)) AND coalesce(list_bool_or(list_transform(json_extract("$attrs", '$.*'), lambda v: json_type(v) = 'VARCHAR' AND contains(lower((v ->> '$')), lower($p3)))), FALSE)))
UNION ALL SELECT $p5 AS "$dataset", "$timestamp" AS "$timestamp", "$id" AS "$id", CAST(NULL AS VARCHAR) AS "$attrs"
FROM "logs"
WHERE "$timestamp" >= $p6 AND "$timestamp" < $p7 AND (contains(lower("$service"), lower($p8)) OR contains(lower("$namespace"), lower($p8)) OR contains(lower("$name"), lower($p8)) OR contains(lower("$message"), lower($p8)) OR contains(lower("n"), lower($p8)) OR contains(lower("severity_text"), lower($p8)))) AS source
WHERE TRUE
GROUP BY 1
ORDER BY 1
-- params: {"p0": "otel", "p1": 1699995600000000000, "p2": 1699999200000000000, "p3": "boom", "p4": "boom", "p5": "logs", "p6": 1699995600000000000, "p7": 1699999200000000000, "p8": "boom", "p9": 60000000000}
