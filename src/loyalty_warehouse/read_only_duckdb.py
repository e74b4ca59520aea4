"""A SQLAlchemy dialect for reading a DuckDB file without transactions, for Great Expectations.

GX's SQL engine runs each metric query in `with engine.connect()` and fetches the rows
after the block: closing the SQLAlchemy connection rolls its transaction back, and DuckDB
drops a pending result on rollback, so every metric came back empty ("list index out of
range"). The marts are only read (the file is opened read-only), so there is nothing to
begin, commit or roll back: this dialect skips all three and the rows survive the close.
Registered under `duckdb+readonly://`, SQLAlchemy's own extension point for dialects.
"""

from __future__ import annotations

from typing import Any

from duckdb_engine import Dialect
from sqlalchemy.dialects import registry

URL_SCHEME = "duckdb+readonly"  # looked up in the registry as "duckdb.readonly"


class ReadOnlyDuckDBDialect(Dialect):
    # SQLAlchemy asks each dialect class to declare this itself; nothing here changes how
    # statements compile, so its cache is safe
    supports_statement_cache = True

    def do_begin(self, dbapi_connection: Any) -> None:
        pass

    def do_commit(self, dbapi_connection: Any) -> None:
        pass

    def do_rollback(self, dbapi_connection: Any) -> None:
        pass


def register() -> None:
    registry.register(URL_SCHEME.replace("+", "."), __name__, ReadOnlyDuckDBDialect.__name__)
