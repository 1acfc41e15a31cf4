shares = sql("""
    SELECT type,
           count(*) AS events,
           count_if(userId IS NULL) / CAST(count(*) AS double) AS anonymous_share
    FROM segment_logs
    GROUP BY type
    ORDER BY anonymous_share DESC
""")
shares.round(3)
