"""How dates read to a person in England: "Wednesday 21 January 2026", never 01/21/2026."""

from datetime import date


def long_date(day: date) -> str:
    """'Wednesday 21 January 2026'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_date(day: date) -> str:
    """'21 January 2026'."""
    return f"{day.day} {day:%B %Y}"


def uk_date(day: date) -> str:
    """'21/01/2026'."""
    return f"{day:%d/%m/%Y}"
