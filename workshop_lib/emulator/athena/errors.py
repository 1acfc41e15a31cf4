"""The two ways an Athena query goes wrong: rejected at StartQueryExecution, or FAILED later."""

from __future__ import annotations


class InvalidRequest(Exception):
    """Athena refuses the call itself (InvalidRequestException): syntax errors, bad parameters."""

    def __init__(self, message: str, athena_code: str = "MALFORMED_QUERY") -> None:
        super().__init__(message)
        self.athena_code = athena_code


class QueryFailed(Exception):
    """The query ran and FAILED; `str(self)` is the StateChangeReason the user sees.

    `error_type` follows Athena's AthenaError.ErrorType numbering loosely (1xxx user errors).
    """

    def __init__(self, message: str, category: int = 2, error_type: int = 1100) -> None:
        super().__init__(message)
        self.category = category
        self.error_type = error_type


def position(sql: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset in `sql`, as Athena reports it."""
    before = sql[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1
