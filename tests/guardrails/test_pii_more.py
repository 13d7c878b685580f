"""The PII types beyond contact details: IBAN, IP, dates of birth, medical record numbers, cued phones."""

from __future__ import annotations

import pytest

from engine.guardrails.pii import PII_TYPES, PiiDetector, iban_valid

ALL = PiiDetector(PII_TYPES)


def found(text: str, detector: PiiDetector = ALL) -> list[tuple[str, str]]:
    return [(f.type, text[f.start : f.end]) for f in detector.scan(text)]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("IBAN DE89 3704 0044 0532 0130 00 please", "DE89 3704 0044 0532 0130 00"),
        ("pay to GB82 WEST 1234 5698 7654 32.", "GB82 WEST 1234 5698 7654 32"),
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("FR14 2004 1010 0505 0001 3M02 606", "FR14 2004 1010 0505 0001 3M02 606"),
    ],
)
def test_iban_found(text: str, match: str) -> None:
    assert found(text) == [("iban", match)]


@pytest.mark.parametrize(
    "text",
    [
        "DE89 3704 0044 0532 0130 01",  # checksum fails
        "DE89 3704 0044 0532 0130",  # too short for Germany
        "XX89370400440532013000",  # no such country
        "ref AB12 3456 7890 1234",
    ],
)
def test_iban_not_found(text: str) -> None:
    assert [t for t, _ in found(text)] == []


def test_iban_checksum_helper() -> None:
    assert (iban_valid("GB82WEST12345698765432"), iban_valid("GB82WEST12345698765433")) == (True, False)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("login from 203.0.113.42 failed", "203.0.113.42"),
        ("server 10.1.2.3.", "10.1.2.3"),
        ("v6 2001:db8:85a3::8a2e:370:7334 at 10:30:00", "2001:db8:85a3::8a2e:370:7334"),
        ("link-local fe80::1 here", "fe80::1"),
    ],
)
def test_ip_found(text: str, match: str) -> None:
    assert found(text) == [("ip_address", match)]


@pytest.mark.parametrize(
    "text",
    [
        "bind 0.0.0.0:8080 and 127.0.0.1",  # identify no one
        "netmask 255.255.255.0",
        "version 1.2.3.4 is out",
        "at 10:30:00 and 12:45",
        "MAC 00:1a:2b:3c:4d:5e",
        "std::vector<int>",
        "999.1.1.1",
    ],
)
def test_ip_not_found(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("DOB: 03/14/1985", "03/14/1985"),
        ("d.o.b. 1985-03-14", "1985-03-14"),
        ("I was born on March 14, 1985.", "March 14, 1985"),
        ("Geburtsdatum: 14.03.1985", "14.03.1985"),
        ("geboren am 14. März 1985", "14. März 1985"),
        ("née le 12 mars 1985", "12 mars 1985"),
        ("fecha de nacimiento: 5 de mayo de 1990", "5 de mayo de 1990"),
        ("生年月日: 1985年3月14日", "1985年3月14日"),
    ],
)
def test_date_of_birth_found_after_a_cue(text: str, match: str) -> None:
    assert found(text) == [("date_of_birth", match)]


@pytest.mark.parametrize(
    "text",
    ["The meeting is on 03/14/2024.", "born in 1985", "a stubborn bug since 2024-03-15", "invoice date 14.03.1985"],
)
def test_dates_without_a_birth_cue_are_not_dates_of_birth(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "match"),
    [("MRN: 00123456", "00123456"), ("my MRN is A96108096, thanks", "A96108096"),
     ("Medical record number 22-7572-44", "22-7572-44"), ("patient ID 4410-2231", "4410-2231")],
)
def test_medical_record_number_found_after_a_cue(text: str, match: str) -> None:
    assert found(text) == [("medical_record_number", match)]


def test_medical_record_number_needs_digits_and_a_cue() -> None:
    assert found("MRN pending, patient id unknown") == []
    assert found("record AH1234567 updated") == []


def test_a_tenants_mrn_pattern_finds_its_numbers_anywhere() -> None:
    detector = PiiDetector(["medical_record_number"], mrn_pattern=r"\bAH\d{7}\b")
    assert found("record AH1234567 updated", detector) == [("medical_record_number", "AH1234567")]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Tel.: 030 12345678", "030 12345678"),
        ("call me on 0837 783533 after 5", "0837 783533"),
        ("Mobil: 0151 23456789", "0151 23456789"),
        ("Appelez-moi au 04 65 03 83 43 svp", "04 65 03 83 43"),
        ("電話: 090-5195-6835", "090-5195-6835"),
        ("Dana Lee\n(01631) 01679\nBerlin", "(01631) 01679"),
        ("206.269.0743x9150", "206.269.0743x9150"),
    ],
)
def test_national_numbers_are_phones_after_a_cue_or_alone_on_a_line(text: str, match: str) -> None:
    assert found(text) == [("phone", match)]


@pytest.mark.parametrize(
    "text",
    [
        "order 0837 783533",  # no cue
        "call about order 12345678",  # an id word after the cue
        "My phone: +44 20 7946 0958 and MRN is 26785526",  # the cue belongs to the first number
        "Call us: the meeting is 2024-03-15",  # a date
    ],
)
def test_numbers_that_only_look_like_national_phones(text: str) -> None:
    assert [t for t, _ in found(text) if t == "phone" and "7946" not in _] == []


def test_more_issuers_pass_luhn_and_prefix() -> None:
    assert found("diners 30569309025904") == [("payment_card", "30569309025904")]
    assert found("jcb 3530111333300000") == [("payment_card", "3530111333300000")]
    assert found("jcb? 3510111333300003") == []  # 3510 is not a JCB range


# Found on the second development corpus (tests/data/guardrails/build_dev_pii.py).

def _phones(text: str) -> list[str]:
    return [text[f.start:f.end] for f in PiiDetector(["phone"]).scan(text)]


def test_a_phone_in_a_csv_field_is_found_and_thousands_are_not_phones() -> None:
    assert _phones("customer_id,email,phone\n95785,jholub@blaha.cz,212 097 629") == ["212 097 629"]
    assert _phones("id,phone\n7,+3532237850") == ["+3532237850"]
    assert _phones("id,phone\n8,(11) 96188-8064") == ["(11) 96188-8064"]
    assert _phones("we shipped 1,234,567 units and 2,345,678 more") == []


def test_international_digits_the_metadata_does_not_know_count_only_after_a_phone_word() -> None:
    assert _phones("my phone +4725150951, thanks") == ["+4725150951"]
    assert _phones("reference +4725150951, thanks") == []


def test_part_and_model_numbers_are_not_phones() -> None:
    assert _phones("Part number 0589-8956-53, serial D65DQL51247") == []
    assert _phones("Model 0245-7810-47 is sold out") == []


@pytest.mark.parametrize("text", ["fødselsdato 30-01-1969", "født: 06.12.2002", "syntymäaika 12.10.1969",
                                  "datum narození 01.02.1980", "생년월일 2003-09-09"])
def test_birth_words_of_more_languages(text: str) -> None:
    assert [f.type for f in PiiDetector(["date_of_birth"]).scan(text)] == ["date_of_birth"]


# Found by a sweep of Faker's phone formats over its locales (development use only).

@pytest.mark.parametrize(("text", "value"), [
    ("I tried (+358) 146100330 twice", "(+358) 146100330"),
    ("Reach me on +(370) 57491186 after 6.", "+(370) 57491186"),
    ("Mobile: (+57) 310 308 24 62", "(+57) 310 308 24 62"),
    ("Ticket reopened. (547) 017-4681 is my cell.", "(547) 017-4681"),
    ("I tried 1-061-231-0077 twice but nobody answered.", "1-061-231-0077"),
])
def test_country_codes_in_parentheses_and_north_american_shapes_whatever_their_digits(text: str, value: str) -> None:
    assert _phones(text) == [value]


def test_an_id_word_still_makes_a_north_american_shape_an_id() -> None:
    assert _phones("Order 1-061-231-0077 shipped") == []
