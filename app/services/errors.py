class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    code, status = "not_found", 404


class Forbidden(DomainError):
    code, status = "forbidden", 403


class Conflict(DomainError):
    code, status = "conflict", 409


class Invalid(DomainError):
    code, status = "invalid", 422


class BadRequest(DomainError):
    code, status = "bad_request", 400
