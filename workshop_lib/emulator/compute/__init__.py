"""What the emulator runs for real: Lambda workers, API Gateway proxying, Glue Python shell jobs.

The providers (lambda_invoke, apigateway_invoke, glue_jobs) are thin HTTP front ends; the work
happens here. moto keeps every resource definition; `moto_state` is the one place that reads it.
"""
