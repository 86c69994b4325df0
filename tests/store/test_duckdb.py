from collections.abc import Iterator
from pathlib import Path

import pytest

from limelight.model import Batch
from limelight.store.duckdb import DuckDBStore
from tests.store.contract import StoreContract, spans


class TestDuckDBFile(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[DuckDBStore]:
        opened = DuckDBStore(tmp_path / "db.duckdb", max_columns=20)
        yield opened
        opened.close()


class TestDuckDBMemory(StoreContract):
    @pytest.fixture
    def store(self) -> Iterator[DuckDBStore]:
        opened = DuckDBStore(None, max_columns=20)
        yield opened
        opened.close()


def test_reopening_keeps_data_schema_and_ids(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    store = DuckDBStore(path)
    store.append([spans("otel", 3, extra=True)])
    store.close()
    reopened = DuckDBStore(path)
    assert reopened.schemas()["otel"].columns["extra"].value == "bool"
    batch = Batch("otel")
    batch.add(9, "s", "n", "span")
    reopened.append([batch])
    _, rows = reopened.execute('SELECT max("$id"), count(*) FROM "otel"')
    assert rows[0] == (4, 4)
    reopened.close()
