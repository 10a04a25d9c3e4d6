"""The one place errors become HTTP answers: the domain's errors (`service/errors.py`) by kind, and
422 answers that say what was wrong without echoing what was sent (pydantic's errors carry the
offending input, which for a 100 kB form field or JSON body would come back whole)."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from zerowaste.service.batching import Overloaded
from zerowaste.service.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    ServiceError,
    TooLarge,
    UnsupportedFormat,
)

MAX_ECHO = 80  # characters of an offending value worth showing back

STATUS: dict[type[ServiceError], int] = {
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    UnsupportedFormat: 415,
    InvalidInput: 422,
}


def status_of(exc: ServiceError) -> int:
    """The status of the nearest kind the error is of; an unmapped kind is the service's fault (500)."""
    return next((STATUS[k] for k in type(exc).__mro__ if k in STATUS), 500)


def _short(value: Any) -> Any:
    if isinstance(value, str | bytes):
        return value if len(value) <= MAX_ECHO else f"{value[:MAX_ECHO]!r}… ({len(value)} long)"
    if isinstance(value, int | float | bool) or value is None:
        return value
    return f"<{type(value).__name__}>"  # objects and lists: their type, not their contents


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{**e, "input": _short(e.get("input"))} for e in exc.errors()]
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)

    @app.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status_of(exc))

    @app.exception_handler(Overloaded)
    async def overloaded(_: Request, exc: Overloaded) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": str(exc.retry_after_s)})
