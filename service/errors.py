"""What the service's domain code raises when a request cannot be carried out.

Domain modules (registry, model store, uploads, …) know nothing of HTTP: they raise these, with a
message meant for the caller, and `service/api/errors.py` answers each kind with its status code and
the documented body `{"detail": "<message>"}`. A thread that is no request (the model gate) logs them.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service cannot carry out; the message says why, in words for the caller."""


class NotFound(ServiceError):
    """What the request names does not exist."""


class Conflict(ServiceError):
    """The request contradicts the current state (a file already registered, a model not accepted)."""


class InvalidInput(ServiceError):
    """The request is well-formed but its content is not acceptable (an empty model file, a bad channel)."""


class TooLarge(ServiceError):
    """The request carries more bytes than the service takes."""


class UnsupportedFormat(ServiceError):
    """A file in a format the service does not take (a GIF where a photo is asked for)."""
