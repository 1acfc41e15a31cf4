-- The most viewed products, with how often they were added to a cart and bought.
SELECT properties.sku AS sku,
       arbitrary(properties.name) AS name,
       count_if(event = 'Product Viewed') AS views,
       count_if(event = 'Product Added') AS added,
       count_if(event = 'Order Completed') AS bought
FROM {database}.segment_logs
WHERE type = 'track' AND properties.sku IS NOT NULL
GROUP BY properties.sku
ORDER BY views DESC, sku
LIMIT 10
