"""Errors the domain raises. Each message is written to be shown to a member of staff as is."""


class DomainError(Exception):
    """A rule of the domain was broken; the message says which and what to do."""


class RulesError(DomainError):
    """A rules file is invalid; the message names the key and the problem."""


class IllegalTransition(DomainError):
    """An Issues Resolution action that is not allowed in the IR's current state."""
