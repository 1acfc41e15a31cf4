# aws-user-personalization again, but weighing a shopper's whole history the same
# (recency_mask "false"): does the order of what shoppers did matter?
my_solution_arn = ensure(
    personalize.create_solution,
    name=ws.name("no-recency"),
    datasetGroupArn=dataset_group_arn,
    recipeArn="arn:aws:personalize:::recipe/aws-user-personalization",
    performAutoTraining=False,
    solutionConfig={"algorithmHyperParameters": {"recency_mask": "false"}},
)
wait_until_active(personalize, my_solution_arn)
my_version_arn = ensure(personalize.create_solution_version, solutionArn=my_solution_arn)
wait_until_active(personalize, my_version_arn, timeout=2 * 3600)
print(f"trained: {my_version_arn}")
