"""The errors a person sees.

Every refusal in the domain (an illegal transition, an unknown unit, a bad date) is a
`DomainError` whose message is one sentence a user understands. The CLI and the TUI print the
message as it is; the district server returns it as the reason of a rejected op.
"""


class DomainError(Exception):
    """A request the rules refuse. `str(err)` is the one-line message for the user, in the words
    of the work (never a command-line flag: the TUI shows the same sentence).

    `fields` names what the person must give (`opinion`, `reason`): the CLI adds its own flags
    for them (`--opinion`), a form could point at its fields.
    """

    def __init__(self, message: str, *, fields: tuple[str, ...] = ()):
        super().__init__(message)
        self.fields = fields


class NotFound(DomainError):
    """An id that names no row."""


class StoreError(DomainError):
    """The database file itself cannot be used (unreadable, not SafeCity, too new)."""
