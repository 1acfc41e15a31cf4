# Footwear week: only products whose CATEGORY_L1 is "footwear"
my_filter_arn = ensure(
    personalize.create_filter,
    name=ws.name("only-footwear"),
    datasetGroupArn=dataset_group_arn,
    filterExpression='INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("footwear")',
)
wait_until_active(personalize, my_filter_arn)
response = runtime.get_recommendations(
    campaignArn=campaign_arns["user-personalization"],
    userId=user_id,
    numResults=10,
    filterArn=my_filter_arn,
)
ex2.product_table(products, response["itemList"])
