"""Compare two built warehouses table by table (rows as multisets).

Tables only: views are filters of the tables compared (and name their catalog, which
an attached copy does not have). Bookkeeping columns (which load wrote a row, the
as_of_date it was classified with) differ by design between an incremental run and a
full refresh and are left out. So does the raw text (raw__ columns of the base tables) of
a row that parsed and was quarantined because of other rows (duplicate, superseded,
unknown customer): an incremental run did not keep the text of a row it loaded clean and
shows its typed values instead. The raw text of a row with a problem of its own is
compared.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

BOOKKEEPING = {"load_batch", "classified_as_of", "has_duplicated_key", "duplicate_reason"}
SCHEMAS = ("main", "staging", "intermediate")


def _tables(con: duckdb.DuckDBPyConnection, alias: str,
            schemas: tuple[str, ...] = SCHEMAS) -> dict[str, list[str]]:
    rows = con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where database_name = ? and table_name in (select table_name from duckdb_tables() "
        "where database_name = ?) order by schema_name, table_name, column_index",
        [alias, alias]).fetchall()
    tables: dict[str, list[str]] = {}
    for schema, table, column in rows:
        if schema in schemas and column not in BOOKKEEPING:
            tables.setdefault(f"{schema}.{table}", []).append(column)
    return tables


def _compared(column: str, columns: list[str]) -> str:
    if column.startswith("raw__") and "row_problem" in columns:
        return f'case when row_problem is not null then "{column}" end as "{column}"'
    return f'"{column}"'


def differences(first: Path, second: Path, schemas: tuple[str, ...] = SCHEMAS) -> list[str]:
    """One line per table whose rows differ (or that only one side has); empty if equal."""
    problems: list[str] = []
    with duckdb.connect() as con:
        con.execute(f"attach '{first}' as a (read_only)")
        con.execute(f"attach '{second}' as b (read_only)")
        left, right = _tables(con, "a", schemas), _tables(con, "b", schemas)
        for name in sorted(set(left) | set(right)):
            if left.get(name) != right.get(name):
                problems.append(f"{name}: columns differ")
                continue
            columns = ", ".join(_compared(column, left[name]) for column in left[name])
            only = [con.execute(f"select count(*) from (select {columns} from {x}.{name} "
                                f"except all select {columns} from {y}.{name})").fetchone()[0]
                    for x, y in (("a", "b"), ("b", "a"))]
            if any(only):
                problems.append(f"{name}: {only[0]} rows only in {first}, "
                                f"{only[1]} rows only in {second}")
    return problems
