"""Payment card numbers: the Luhn checksum and the issuers' number ranges (IIN table) and lengths.

Used by the PII detector's card check (:mod:`engine.guardrails.pii`) and by
the digit runs' card mark (:mod:`engine.guardrails.digit_runs`); the C
version of that mark (``_digit_runs.c``) holds the same table, and the tests
check it against these functions.

:data:`ISSUERS` is the issuer identification number table of ISO/IEC 7812 as
the card networks publish it (Wikipedia's "Payment card number" table of
2024 is the maintained summary), every network in it, not a subset; update
it from that table. Ranges a card network used once or spreads over a whole
block are *weak*: Maestro's historic 50 and 56-69, JCB's 15-digit 1800 and
2131 and the rest of its 35 block, UATP's 1. So many order and tracking
numbers fall in them that a weak card counts only where it looks or is named
like one (grouped like a card, or after a payment word; see
:func:`engine.guardrails.pii` ``_card_spans``).
"""

from __future__ import annotations

from typing import NamedTuple

_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")


class Issuer(NamedTuple):
    """A range of issuer identification numbers: ``low``..``high`` (same number of digits) and card lengths."""

    low: int
    high: int
    digits: int
    lengths: frozenset[int]
    name: str
    weak: bool = False


def _issuer(low: str, high: str, lengths: tuple[int, ...] | range, name: str, weak: bool = False) -> Issuer:
    return Issuer(int(low), int(high), len(low), frozenset(lengths), name, weak)


_ANY = range(16, 20)
ISSUERS: tuple[Issuer, ...] = (
    _issuer("34", "34", (15,), "American Express"), _issuer("37", "37", (15,), "American Express"),
    _issuer("31", "31", (19,), "China T-Union"),
    _issuer("62", "62", _ANY, "UnionPay"), _issuer("81", "81", _ANY, "UnionPay"),
    _issuer("36", "36", range(14, 20), "Diners Club International"),
    _issuer("300", "305", range(14, 20), "Diners Club"), _issuer("3095", "3095", range(14, 20), "Diners Club"),
    _issuer("38", "39", range(14, 20), "Diners Club"),
    _issuer("6011", "6011", _ANY, "Discover"), _issuer("644", "649", _ANY, "Discover"),
    _issuer("65", "65", _ANY, "Discover"),
    _issuer("60400100", "60420099", _ANY, "UkrCard"),
    _issuer("60", "60", (16,), "RuPay"), _issuer("81", "82", (16,), "RuPay"), _issuer("508", "508", (16,), "RuPay"),
    _issuer("353", "353", (16,), "RuPay"), _issuer("356", "356", (16,), "RuPay"),
    _issuer("636", "636", _ANY, "InterPayment"), _issuer("637", "639", (16,), "InstaPayment"),
    _issuer("3528", "3589", _ANY, "JCB"),
    _issuer("6759", "6759", range(12, 20), "Maestro UK"), _issuer("676770", "676770", range(12, 20), "Maestro UK"),
    _issuer("676774", "676774", range(12, 20), "Maestro UK"),
    *(_issuer(p, p, range(12, 20), "Maestro") for p in ("5018", "5020", "5038", "5893", "6304", "6761", "6762",
                                                         "6763")),
    _issuer("5019", "5019", (16,), "Dankort"),
    _issuer("2200", "2204", _ANY, "Mir"), _issuer("2205", "2205", (16,), "BORICA"),
    _issuer("2221", "2720", (16,), "Mastercard"), _issuer("51", "55", (16,), "Mastercard"),
    _issuer("9792", "9792", (16,), "Troy"),
    _issuer("4", "4", (13, 16, 19), "Visa"),
    _issuer("506099", "506198", (16, 18, 19), "Verve"), _issuer("650002", "650027", (16, 18, 19), "Verve"),
    _issuer("507865", "507964", (16, 18, 19), "Verve"),
    _issuer("357111", "357111", (16,), "LankaPay"),
    _issuer("8600", "8600", (16,), "UzCard"), _issuer("5614", "5614", (16,), "UzCard"),
    _issuer("9860", "9860", (16,), "Humo"),
    _issuer("1946", "1946", (16, 18, 19), "GPN"), _issuer("50", "50", (16, 18, 19), "GPN"),
    _issuer("56", "56", (16, 18, 19), "GPN"), _issuer("58", "58", (16, 18, 19), "GPN"),
    _issuer("60", "63", (16, 18, 19), "GPN"),
    # Weak: historic or block-wide ranges (see the module's docstring).
    _issuer("50", "50", range(12, 20), "Maestro (historic range)", True),
    _issuer("56", "69", range(12, 20), "Maestro (historic range)", True),
    _issuer("1800", "1800", (15,), "JCB (15 digits)", True), _issuer("2131", "2131", (15,), "JCB (15 digits)", True),
    _issuer("35", "35", _ANY, "JCB (35 block)", True),
    _issuer("1", "1", (15,), "UATP", True),
)  # fmt: skip

def _first_digits(issuer: Issuer) -> str:
    """The first digits of the issuer's range ("56".."69" starts with 5 or 6)."""
    low, high = str(issuer.low).zfill(issuer.digits)[0], str(issuer.high).zfill(issuer.digits)[0]
    return "".join(str(d) for d in range(int(low), int(high) + 1))


#: The issuers by first digit, strong ones first.
_BY_FIRST: dict[str, tuple[Issuer, ...]] = {
    digit: tuple(sorted((i for i in ISSUERS if digit in _first_digits(i)), key=lambda i: i.weak))
    for digit in "0123456789"
}
#: The digits a card number can start with.
FIRST_DIGITS = "".join(digit for digit, issuers in _BY_FIRST.items() if issuers)


def luhn_valid(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn checksum.

    >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
    (True, False)
    """
    # Every second digit from the right doubled (its digits summed), through a table; summing
    # the ASCII codes in C and taking 48 off each is several times faster than a Python loop.
    doubled = digits[-2::-2].translate(_LUHN_DOUBLED)
    return (sum(digits[-1::-2].encode()) + sum(doubled.encode()) - 48 * len(digits)) % 10 == 0


def card_issuer(digits: str) -> Issuer | None:
    """The issuer whose range and length ``digits`` has, a strong one before a weak one; None if none.

    >>> card_issuer("4111111111111111").name, card_issuer("180017849976630").weak, card_issuer("9111111111111111")
    ('Visa', True, None)
    """
    length = len(digits)
    for issuer in _BY_FIRST.get(digits[:1], ()):
        if length in issuer.lengths and issuer.low <= int(digits[: issuer.digits]) <= issuer.high:
            return issuer
    return None


def known_card_prefix(digits: str) -> bool:
    """Whether ``digits`` has the range and length of a card of some issuer of :data:`ISSUERS`, weak ones too."""
    return card_issuer(digits) is not None
