"""Batch inference jobs: JSON Lines in from S3, `<input name>.out` written to the output prefix.

Each input line is answered like the runtime call its recipe uses (userId, itemId, or userId +
itemList for ranking), with the job's filter and numResults; a line that fails carries its
error text in "error" and the job goes on, as on AWS. Not available for aws-trending-now.
Statuses follow the documented spelling for these jobs: PENDING, IN PROGRESS, ACTIVE,
CREATE FAILED.
"""

from __future__ import annotations

import json
import time

from ..iam.service_roles import personalize_job_problem
from . import recipes
from .control import arn
from .imports import ImportFailure, read_objects, split_location
from .validation import (
    ApiError,
    check_arn,
    check_name,
    check_role,
    invalid,
    limit_exceeded,
    require,
)

STATUS = {"CREATE PENDING": "PENDING", "CREATE IN_PROGRESS": "IN PROGRESS"}


def _answer(runtime, campaign_like, line: dict, job: dict) -> dict:
    category = recipes.CATEGORY[campaign_like["recipe"]]
    body = {"campaignArn": campaign_like["arn"], "numResults": job["numResults"]}
    if job.get("filterArn"):
        body["filterArn"] = job["filterArn"]
    if line.get("filterValues"):
        body["filterValues"] = line["filterValues"]
    if category == "PERSONALIZED_RANKING":
        body.update(userId=line.get("userId"), inputList=line.get("itemList") or [])
        ranked = runtime.get_personalized_ranking(body)["personalizedRanking"]
    else:
        body.update({k: line[k] for k in ("userId", "itemId") if k in line})
        ranked = runtime.get_recommendations(body)["itemList"]
    output = {"recommendedItems": [i["itemId"] for i in ranked]}
    if campaign_like["recipe"] in recipes.SCORED:
        output["scores"] = [i.get("score") for i in ranked]
    return output


class BatchOps:
    """create/describe/list batch inference jobs (mixed into the control plane)."""

    def op_CreateBatchInferenceJob(self, body: dict, region: str) -> dict:
        name = check_name(body.get("jobName"), "jobName")
        version = self._active(
            "solution-version", body.get("solutionVersionArn"), "solutionVersionArn"
        )
        check_role(require(body, "roleArn"))
        source = ((require(body, "jobInput") or {}).get("s3DataSource") or {}).get("path")
        target = ((require(body, "jobOutput") or {}).get("s3DataDestination") or {}).get("path")
        if not source or not target:
            raise invalid("jobInput.s3DataSource.path and jobOutput.s3DataDestination.path.")
        recipe = version.state["trained"].recipe
        if recipe == "aws-trending-now":
            raise invalid("Batch inference jobs are not available for aws-trending-now.")
        mode = body.get("batchInferenceJobMode") or "BATCH_INFERENCE"
        if mode != "BATCH_INFERENCE":
            raise invalid(f"batchInferenceJobMode {mode} is not supported by this recipe.")
        n = body.get("numResults", 25)
        if not isinstance(n, int) or not 1 <= n <= 500:
            raise invalid("numResults must be between 1 and 500.")
        if body.get("filterArn"):
            check_arn(body["filterArn"], "filterArn")
            if self.store.get(body["filterArn"], "filter") is None:
                raise ApiError(
                    "ResourceNotFoundException", f"Could not find resource {body['filterArn']}."
                )
        if self._running("batch-inference-job", region) >= self.quotas["running_batch_jobs"]:
            raise limit_exceeded("More than 5 resources with PENDING or IN_PROGRESS status.")
        resource_arn = arn(region, "batch-inference-job", name)
        refused = personalize_job_problem(body["roleArn"], [source], [target], resource_arn)
        if refused:  # AWS checks the role and the bucket policy when the job is created
            raise invalid(refused)
        fields = {
            "jobName": name,
            "batchInferenceJobArn": resource_arn,
            "filterArn": body.get("filterArn"),
            "solutionVersionArn": version.arn,
            "numResults": n,
            "jobInput": body["jobInput"],
            "jobOutput": body["jobOutput"],
            "batchInferenceJobConfig": body.get("batchInferenceJobConfig"),
            "roleArn": body["roleArn"],
            "batchInferenceJobMode": mode,
        }
        job = self._new("batch-inference-job", resource_arn, name, fields, body.get("tags"))
        runtime = self.runtime

        def work() -> None:
            time.sleep(job.pace)
            s3 = self.app.client("s3", region)
            try:
                inputs = read_objects(s3, source)
            except ImportFailure as exc:
                raise RuntimeError(f"Invalid input path {source}: {exc}") from None
            serving = {"arn": f"batch:{version.arn}", "recipe": recipe, "version": version}
            runtime.batch_versions[serving["arn"]] = version
            bucket, prefix = split_location(target)
            try:
                for key, data in inputs:
                    lines = []
                    for raw in data.decode("utf-8").splitlines():
                        if not raw.strip():
                            continue
                        try:
                            line = json.loads(raw)
                            out = {"input": line, "output": _answer(runtime, serving, line, fields)}
                            out["error"] = None
                        except (ValueError, ApiError) as exc:
                            text = exc.message if isinstance(exc, ApiError) else str(exc)
                            out = {"input": raw, "output": None, "error": text}
                        lines.append(json.dumps(out))
                    name_out = key.rsplit("/", 1)[-1] + ".out"
                    out_key = (prefix.rstrip("/") + "/" if prefix else "") + name_out
                    s3.put_object(Bucket=bucket, Key=out_key, Body="\n".join(lines).encode())
            finally:
                runtime.batch_versions.pop(serving["arn"], None)

        self.store.run(job, work)
        return {"batchInferenceJobArn": resource_arn}

    def _describe_batch(self, job) -> dict:
        out = job.describe()
        out["status"] = STATUS.get(out["status"], out["status"])
        return out

    def op_DescribeBatchInferenceJob(self, body: dict, region: str) -> dict:
        job = self._get(
            "batch-inference-job", body.get("batchInferenceJobArn"), "batchInferenceJobArn"
        )
        return {"batchInferenceJob": self._describe_batch(job)}

    def op_ListBatchInferenceJobs(self, body: dict, region: str) -> dict:
        answer = self._list(
            "batch-inference-job",
            region,
            body,
            "batchInferenceJobs",
            solutionVersionArn=body.get("solutionVersionArn"),
        )
        for item in answer["batchInferenceJobs"]:
            item["status"] = STATUS.get(item["status"], item["status"])
        return answer
