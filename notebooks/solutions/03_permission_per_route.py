import re

api_arn = f"arn:aws:execute-api:{ws.region}:{ws.account_id}:{api_id}"
for route in sorted(apigw.get_routes(ApiId=api_id)["Items"], key=lambda r: r["RouteKey"]):
    method, path = route["RouteKey"].split(" ", 1)  # "GET", "/recommendations/{userId}"
    ensure(
        lambda_client.add_permission,
        FunctionName=name,
        StatementId="allow-" + re.sub(r"[^A-Za-z0-9]+", "-", route["RouteKey"]).strip("-"),
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"{api_arn}/*/{method}{path}",
    )
if any(s["Sid"] == "allow-api-gateway" for s in ex3.policy_statements(lambda_client, name)):
    lambda_client.remove_permission(FunctionName=name, StatementId="allow-api-gateway")
for statement in ex3.policy_statements(lambda_client, name):
    print(statement["Sid"], statement["Condition"]["ArnLike"]["AWS:SourceArn"])
