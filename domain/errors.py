"""Errors the domain raises. Each message is written to be shown to a member of staff as is."""


class DomainError(Exception):
    """A rule of the domain was broken; the message says which and what to do."""


class RulesError(DomainError):
    """A rules file is invalid; the message names the key and the problem."""


class IllegalTransition(DomainError):
    """An Issues Resolution action that is not allowed in the IR's current state."""


class ChildNotVisible(DomainError):
    """No such child, or the user may not see it: the two are never told apart."""

    def __init__(self) -> None:
        super().__init__("I can't find that child among the children you can see.")


class NotPermitted(DomainError):
    """The actor may see the child but may not make this change; the message says who may."""
