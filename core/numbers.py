"""Numbers as pages write them: percentages rounded half up, the same on every page, chart and file
(Python's round() takes halves to the even neighbour, so 12.5 % would read 12 % on one page and 13 %
on another)."""

import math
from fractions import Fraction
from numbers import Rational


def _exact(value: float | Rational) -> Fraction:
    # A float through its shortest decimal form: 0.145 is 0.145, not 0.144999... in binary.
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def as_percent(share: float | Rational | None, *, digits: int = 0) -> int | float | None:
    """A share (0.25) as a percentage (25), halves rounded up; None stays None."""
    if share is None:
        return None
    scale = 10**digits
    rounded = Fraction(math.floor(_exact(share) * 100 * scale + Fraction(1, 2)), scale)
    return int(rounded) if digits == 0 else float(rounded)


def percent(part: int, whole: int) -> int | None:
    """``part`` of ``whole`` as a whole percentage, halves rounded up; None when ``whole`` is 0."""
    return None if not whole else as_percent(Fraction(part, whole))
