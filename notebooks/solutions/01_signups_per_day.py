signups = sql("""
    SELECT date(from_iso8601_timestamp("timestamp")) AS day, count(*) AS signups
    FROM segment_logs
    WHERE type = 'track' AND event = 'Signed Up'
    GROUP BY 1
    ORDER BY 1
""")
signups.head()
