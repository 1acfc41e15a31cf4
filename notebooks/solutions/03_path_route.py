ensure(
    apigw.create_route,
    ApiId=api_id,
    RouteKey="GET /recommendations/{userId}",
    Target=f"integrations/{integration_id}",
)
path_response = requests.get(
    f"{base_url}/recommendations/{user}", params={"numResults": 5}, timeout=15
)
print(f"curl '{path_response.url}'")
print(path_response.status_code, [item["itemId"] for item in path_response.json()["items"]])
