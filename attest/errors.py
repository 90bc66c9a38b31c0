"""Domain errors carry a Swedish message for the user and an HTTP status for the views."""

from __future__ import annotations


class AttestError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(AttestError):
    """The input cannot be accepted."""

    status = 400


class NotFound(AttestError):
    status = 404


class Forbidden(AttestError):
    status = 403


class Conflict(AttestError):
    """Someone else changed the thing first (optimistic locking, a taken step)."""

    status = 409
