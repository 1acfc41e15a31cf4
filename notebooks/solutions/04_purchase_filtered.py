bought = after["item"].iloc[0]
analytics.track(user_id=shopper, event="Order Completed", properties={"sku": bought})
analytics.flush()
exercise4.wait_for_segment(ws)
response = personalize_runtime.get_recommendations(
    campaignArn=campaign_arn, userId=shopper, numResults=10, filterArn=filter_arn
)
exercise4.product_table(ws, response["itemList"])
