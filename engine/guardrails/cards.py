"""Payment card numbers: the Luhn checksum and the issuers' prefixes and lengths.

Used by the PII detector's card check (:mod:`engine.guardrails.pii`) and by
the digit runs' card mark (:mod:`engine.guardrails.digit_runs`); the C
version of that mark (``_digit_runs.c``) spells the same rules, and the
tests check it against these functions.
"""

from __future__ import annotations

_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")


def luhn_valid(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn checksum.

    >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
    (True, False)
    """
    # Every second digit from the right doubled (its digits summed), through a table; summing
    # the ASCII codes in C and taking 48 off each is several times faster than a Python loop.
    doubled = digits[-2::-2].translate(_LUHN_DOUBLED)
    return (sum(digits[-1::-2].encode()) + sum(doubled.encode()) - 48 * len(digits)) % 10 == 0


def known_card_prefix(digits: str) -> bool:
    """Whether ``digits`` has the prefix and length of a card from a known issuer.

    Visa, Mastercard, American Express, Discover, JCB, Diners Club, Maestro and UnionPay.
    """
    length = len(digits)
    two, three, four = int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":
        return length in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return length == 16
    if two in (34, 37):
        return length == 15
    if four == 6011 or two == 65 or 644 <= three <= 649:
        return 16 <= length <= 19
    if 3528 <= four <= 3589:  # JCB
        return 16 <= length <= 19
    if 300 <= three <= 305 or two in (36, 38, 39):  # Diners Club
        return 14 <= length <= 19
    if four in (5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763):  # Maestro
        return 12 <= length <= 19
    if two == 62:  # UnionPay
        return 16 <= length <= 19
    return False
