"""`limelight segments check|set-aside` on a stopped server's data dir."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from limelight.app import DATABASE_FILE
from limelight.cli.main import main
from limelight.store.duckdb import DuckDBStore
from tests.store.contract import spans


def sealed_data_dir(tmp_path: Path) -> tuple[Path, list[Path]]:
    """A data dir whose dataset `otel` has three segments of 3 rows (ids 1-9)."""
    store = DuckDBStore(tmp_path / DATABASE_FILE, segment_rows=1)
    for start in (100, 200, 300):
        store.append([spans("otel", 3, start_ns=start)])
        store.seal("otel")
    store.close()
    assert store.segment_dir is not None
    files = sorted(store.segment_dir.glob("*.parquet"), key=lambda p: p.stat().st_mtime_ns)
    return tmp_path, files


def segments(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["segments", *args])
    return result.exit_code, result.output


def test_check_reads_every_segment(tmp_path: Path) -> None:
    data_dir, files = sealed_data_dir(tmp_path)
    code, output = segments("check", "--data-dir", str(data_dir))
    assert code == 0
    assert output.count(" ok") == 3 and all(f.name[:8] in output for f in files)


def test_a_broken_segment_is_found_then_set_aside(tmp_path: Path) -> None:
    data_dir, files = sealed_data_dir(tmp_path)
    newest = files[-1]
    newest.write_bytes(newest.read_bytes()[:200])  # cut short: the start now fails
    code, output = segments("check", "--data-dir", str(data_dir))
    assert code == 1
    assert "1 of 3 segments cannot be read" in output
    code, output = segments("set-aside", newest.name, "--data-dir", str(data_dir))
    assert code == 0, output
    assert f"set aside {newest.name} (3 rows of dataset otel)" in output
    assert newest.with_name(newest.name + ".unreadable").exists() and not newest.exists()
    store = DuckDBStore(data_dir / DATABASE_FILE, segment_rows=1)
    try:
        assert store.execute('SELECT count(*) FROM "otel"')[1][0][0] == 6
        store.append([spans("otel", 1, start_ns=400)])
        assert store.execute('SELECT max("$id") FROM "otel"')[1][0][0] == 10  # not 7 again
    finally:
        store.close()
    assert newest.with_name(newest.name + ".unreadable").exists()  # kept, not deleted


def test_setting_aside_a_dataset_s_only_segment_leaves_it_queryable(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / DATABASE_FILE, segment_rows=1)
    store.append([spans("otel", 3, start_ns=100)])
    store.seal("otel")
    store.append([spans("other", 2, start_ns=100)])
    store.close()
    assert store.segment_dir is not None
    (only,) = store.segment_dir.glob("*.parquet")
    only.write_bytes(only.read_bytes()[:200])
    code, output = segments("set-aside", only.name, "--data-dir", str(tmp_path))
    assert code == 0, output
    store = DuckDBStore(tmp_path / DATABASE_FILE, segment_rows=1)
    try:
        assert store.execute('SELECT count(*) FROM "otel"')[1][0][0] == 0
        assert {d.name for d in store.datasets()} == {"otel", "other"}
        store.append([spans("otel", 1, start_ns=400)])
        assert store.execute('SELECT max("$id") FROM "otel"')[1][0][0] == 4
    finally:
        store.close()


def test_set_aside_names_what_it_cannot_do(tmp_path: Path) -> None:
    data_dir, _ = sealed_data_dir(tmp_path)
    code, output = segments("set-aside", "nope.parquet", "--data-dir", str(data_dir))
    assert code == 1 and "nope.parquet is not a listed segment" in output
    code, output = segments("check", "--data-dir", str(tmp_path / "empty"))
    assert code == 1 and "no database at" in output
