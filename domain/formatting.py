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


def counted(n: int, word: str, plural: str | None = None) -> str:
    """ "1 review", "3 reviews", "1 child", "2 children" (``plural`` when not ``word`` + s)."""
    return f"{n} {word}" if n == 1 else f"{n} {plural or word + 's'}"
