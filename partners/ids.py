"""Ids read from what a person sent: a query string, a form's raw data, an address."""

# The largest value of a BigAutoField (PostgreSQL's bigint, SQLite's INTEGER). A larger one in a lookup
# by foreign key makes SQLite raise OverflowError instead of finding nothing.
LARGEST_ID = 2**63 - 1


def id_or_none(value: object) -> int | None:
    """The id ``value`` writes in ASCII digits, up to `LARGEST_ID`; None for anything else.

    ``str.isdigit`` is not enough: it takes "²", which ``int`` refuses with a ValueError.
    """
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > len(str(LARGEST_ID)):
        return None
    number = int(text)
    return number if number <= LARGEST_ID else None
