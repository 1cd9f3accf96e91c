"""The personal-data value pattern: numbers standing alone, not digits inside a keyed hash."""
import re

from expectations.suites.marts_sql import PII_VALUE_REGEX

PII = re.compile(PII_VALUE_REGEX)


def test_a_citizen_id_or_phone_standing_alone_is_personal_data():
    assert PII.search("CCCD: 001090012345")
    assert PII.search("gọi 0912 345 678")
    assert PII.search("nguyen.van.a@example.vn")


def test_digit_runs_inside_a_hex_hash_or_a_case_code_are_not():
    assert not PII.search("3fa1001090012345b7c2")  # 12 digits, but inside a hex token
    assert not PII.search("000.00.12.H26-260302-0001")
    assert not PII.search("1.001612")


def test_staging_rejects_identifiers_with_the_pattern_the_marts_gate_checks():
    # One pattern, two places: a drift would let staging pass what the gate then blocks.
    import yaml

    from expectations.suites.marts_sql import PII_VALUE_REGEX
    from tests.conftest import ROOT

    dbt_vars = yaml.safe_load((ROOT / "dbt_project" / "dbt_project.yml").read_text())["vars"]
    assert dbt_vars["personal_data_value_regex"] == PII_VALUE_REGEX
