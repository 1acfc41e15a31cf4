my_category = my_history["interactions"].idxmin()  # a category my_shopper never touched
for sku in exercise4.products(ws, my_category, count=4).index:
    analytics.track(user_id=my_shopper, event="Product Viewed", properties={"sku": sku})
analytics.flush()
exercise4.wait_for_segment(ws)
