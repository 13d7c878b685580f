"""The phone check's combined patterns answer as the metadata's own patterns, asked one by one, would.

A region's validity is one regex (its general pattern as a lookahead, its number types as one
alternation) and a country calling code's is one regex of its regions: these check them against the
general pattern and every type pattern matched separately, on every region's example numbers and on
numbers near them (a digit changed, one dropped, one added), which the patterns refuse as often as
they take.
"""

from __future__ import annotations

import random
import re

import phonenumbers
from phonenumbers import PhoneMetadata

from engine.guardrails import phones

_TYPES = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "personal_number", "voip", "pager",
          "uan", "voicemail")


def _valid_one_by_one(code: str, national: str) -> bool:
    metadata = PhoneMetadata.metadata_for_region(code)
    assert metadata is not None
    general = metadata.general_desc.national_number_pattern if metadata.general_desc else None
    if not general or re.fullmatch(general, national) is None:
        return False
    return any(re.fullmatch(desc.national_number_pattern, national) is not None
               for name in _TYPES
               if (desc := getattr(metadata, name, None)) is not None and desc.national_number_pattern)


def _numbers(code: str, rng: random.Random) -> set[str]:
    numbers = set()
    for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE,
                 phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.VOIP):
        example = phonenumbers.example_number_for_type(code, kind)
        if example is None:
            continue
        national = str(example.national_number)
        numbers.add(national)
        for _ in range(4):
            at = rng.randrange(len(national))
            numbers.add(national[:at] + str(rng.randrange(10)) + national[at + 1:])
        numbers.add(national[:-1])
        numbers.add(national + str(rng.randrange(10)))
    return numbers


def test_a_regions_one_pattern_is_its_general_pattern_and_any_type() -> None:
    rng = random.Random(1717)
    checked = taken = 0
    for code, region in phones._regions().items():
        for national in _numbers(code, rng):
            expected = _valid_one_by_one(code, national)
            assert region.valid(national) is expected, (code, national)
            checked += 1
            taken += expected
    assert checked > 2000 and 0.3 < taken / checked < 0.9  # both answers are exercised


def test_a_calling_codes_pattern_is_any_of_its_regions() -> None:
    rng = random.Random(1718)
    for calling, codes in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items():
        pattern = phones._calling(codes)
        known = [code for code in codes if code in phones._regions()]
        assert (pattern is None) is (not known), calling
        for national in set().union(*(_numbers(code, rng) for code in known)) if known else ():
            expected = any(_valid_one_by_one(code, national) for code in known)
            assert (pattern is not None and pattern.fullmatch(national) is not None) is expected, (calling, national)
