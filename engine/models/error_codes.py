"""Which Bedrock error codes a retry may cure.

Shared by the Bedrock provider and the scripted double, so a scripted
``ThrottlingException`` is exactly as retryable as a real one.
"""

from __future__ import annotations

#: Transient service-side conditions: the same request may succeed later.
RETRYABLE_ERROR_CODES: frozenset[str] = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "ModelNotReadyException",
        "InternalServerException",
        "ModelTimeoutException",
        # A stream that broke halfway (ConverseStream): the turn is asked again from its start.
        "ModelStreamErrorException",
    }
)


def is_retryable(error_code: str) -> bool:
    """True for transient codes; any other code (ValidationException,
    AccessDeniedException, ResourceNotFoundException, ModelErrorException,
    unknown ones) fails the same way on retry, so it is not retryable."""
    return error_code in RETRYABLE_ERROR_CODES
