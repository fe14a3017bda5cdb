"""The parse benchmark stays runnable and measures what it says, on a small file."""

from __future__ import annotations

import pathlib

from tests.bench.parse_bench import (
    MASHIKI_TOWN,
    bench_parse,
    mashiki_postal_lookup,
    reference_ratios,
    write_synthetic_file,
)


def test_bench_parse_counts_every_row_in_both_passes_and_times_validation_inside_the_whole(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "residents.csv"
    write_synthetic_file(path, 2_000)
    figures = bench_parse(path, MASHIKI_TOWN, mashiki_postal_lookup(), runs=1)
    assert figures["bare_rows"] == figures["rows"] == 2_000  # rejected rows count: they were validated
    assert 0 < figures["validation_seconds"] < figures["validated_seconds"]
    assert figures["validation_ratio"] > figures["ratio"] > 0


def test_reference_ratios_validate_the_first_records_with_both_reference_validators(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "residents.csv"
    write_synthetic_file(path, 300)
    figures = reference_ratios(path, bare_rows_per_second=1.0, rows=200)
    assert figures["reference_rows"] == 200
    assert figures["typed_dict_ratio"] > 0 and figures["base_model_ratio"] > 0
