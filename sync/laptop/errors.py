"""Why a sync could not finish, for the person: one line each, and nothing local is lost."""

from __future__ import annotations

from schema.errors import DomainError


class SyncError(DomainError):
    """Sync could not finish; the message is one line for the person. Nothing local is lost."""

    exit_code = 1


class ServerUnreachable(SyncError):
    exit_code = 3


class SyncRefused(SyncError):
    """The server answered 4xx: a bad token, a payload it will not take, an old client."""
