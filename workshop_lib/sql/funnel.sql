-- The shop's funnel: of the people who viewed a product, how many added one, how many bought.
WITH people AS (
  SELECT coalesce(userId, anonymousId) AS person,
         max(IF(event = 'Product Viewed', 1, 0)) AS viewed,
         max(IF(event = 'Product Added', 1, 0)) AS added,
         max(IF(event = 'Order Completed', 1, 0)) AS bought
  FROM {database}.segment_logs
  WHERE type = 'track'
  GROUP BY 1
)
SELECT step, people FROM (
  SELECT 1 AS n, 'viewed a product' AS step, sum(viewed) AS people FROM people
  UNION ALL SELECT 2, 'added to cart', sum(viewed * added) FROM people
  UNION ALL SELECT 3, 'completed an order', sum(viewed * added * bought) FROM people
)
ORDER BY n
