"""bench/results.md in sections: a run of one section rewrites it and keeps the other as it was."""

from __future__ import annotations

from bench.list_scale import Measured, table
from bench.run import section_of, with_section


def test_a_section_is_added_then_replaced_and_the_rest_kept() -> None:
    # Given a results file from a run of the functions section, with no list section yet
    report = "# make bench — results\n\n| function | cold ms |\n|---|--:|\n| A | 1 |\n"
    # When the list section is written, then written again
    once = with_section(report, "list", "## Door B's list at scale\n\nfirst\n")
    twice = with_section(once, "list", "## Door B's list at scale\n\nsecond\n")
    # Then the functions' table is untouched, and only the newest list section is there
    assert twice.startswith(report.rstrip("\n"))
    assert section_of(twice, "list") == "## Door B's list at scale\n\nsecond\n"
    assert "first" not in twice
    # And a functions run that keeps the list section carries it over; with none, nothing is added
    assert section_of(with_section("# new table\n", "list", section_of(twice, "list")), "list") == section_of(
        twice, "list"
    )
    assert with_section("# new table\n", "list", section_of(report, "list")) == "# new table\n"


def test_the_list_table_compares_the_largest_patient_with_the_smallest() -> None:
    # Given both sizes measured for each query
    found = [
        Measured("moto", 100, "default sort, page 1 of 20", 200, 20.0, 16.0, 23, ["Query", "GetItem", "PutItem"]),
        Measured("moto", 10_000, "default sort, page 1 of 20", 200, 30.0, 24.0, 23, ["Query", "GetItem", "PutItem"]),
        Measured("moto", 100, "start/end range, page 1 of 20", 200, 25.0, 20.0, 73, ["Query", "Query", "PutItem"]),
        Measured("moto", 10_000, "start/end range, page 1 of 20", 200, 60.0, 45.0, 5023, ["Query", "PutItem"]),
        Measured("dynalite", 100, "default sort, page 1 of 20", 200, 10.0, 6.0, 23, ["Query", "GetItem", "PutItem"]),
        Measured("dynalite", 10_000, "default sort, page 1 of 20", 200, 11.0, 7.0, 23, ["Query", "PutItem"]),
        Measured("dynalite", 100, "start/end range, page 1 of 20", 200, 12.0, 8.0, 73, ["Query", "PutItem"]),
    ]
    # When the section's table is written
    text = table(found)
    # Then each query says, per store, how much slower 10,000 documents are, against the 2x target
    assert "moto, default sort, page 1 of 20: 10,000 documents take 1.50× the time of 100" in text
    assert "moto, start/end range, page 1 of 20: 10,000 documents take 2.40× the time of 100" in text
    assert "dynalite, default sort, page 1 of 20: 10,000 documents take 1.10× the time of 100" in text
    # (a query measured at one size only gets its rows, and no comparison)
    assert "| dynalite | 100 | start/end range, page 1 of 20 | 200 | 12.0 | 8.0 | 73 | Query+PutItem |" in text
    assert "dynalite, start/end range" not in text
    # And how much of it is outside DynamoDB calls (total less the calls' time), and the items read
    assert "1.50× outside DynamoDB calls (4.0 → 6.0 ms), and read 23 items against 23 (1.00×)" in text
    assert "3.00× outside DynamoDB calls (5.0 → 15.0 ms), and read 5023 items against 73 (68.81×)" in text
    assert "| moto | 10,000 | start/end range, page 1 of 20 | 200 | 60.0 | 45.0 | 5023 | Query+PutItem |" in text
