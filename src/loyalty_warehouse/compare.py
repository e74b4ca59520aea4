"""Compare two built warehouses relation by relation (rows as multisets).

Tables are compared row by row with both files attached. A view names its catalog (the
file's stem, which an attached copy does not keep), so the public marts of main that are
views (on either side) are read in their own file, each side alone, and compared by
their columns, row count and sum of row hashes; the staging views are filters of the
tables compared. Bookkeeping columns (which load wrote a row, the as_of_date it was
classified with) differ by design between an incremental run and a full refresh and are
left out. So does the raw text (raw__ columns of the base tables) of a row that parsed
and was quarantined because of other rows (duplicate, superseded, unknown customer): an
incremental run did not keep the text of a row it loaded clean and shows its typed
values instead. The raw text of a row with a problem of its own is compared.
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
    """One line per table or public view whose rows differ (or that only one side has);
    empty if equal. A mart that is a table on one side and a view on the other is
    compared by its digest."""
    problems: list[str] = []
    with duckdb.connect() as con:
        con.execute("set enable_progress_bar = false")
        con.execute(f"attach '{first}' as a (read_only)")
        con.execute(f"attach '{second}' as b (read_only)")
        left, right = _tables(con, "a", schemas), _tables(con, "b", schemas)
    digested = ({**_digests(first, "view"), **_digests(second, "view")}.keys()
                if "main" in schemas else set())
    for name in sorted(digested):
        ours, theirs = _digests(first, name=name), _digests(second, name=name)
        if ours != theirs:
            problems.append(f"{name}: (columns, rows, sum of row hashes) {ours.get(name)} in "
                            f"{first}, {theirs.get(name)} in {second}")
    with duckdb.connect() as con:
        con.execute("set enable_progress_bar = false")
        con.execute(f"attach '{first}' as a (read_only)")
        con.execute(f"attach '{second}' as b (read_only)")
        for name in sorted((set(left) | set(right)) - set(digested)):
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


def _digests(database: Path, kind: str = "any", name: str | None = None
             ) -> dict[str, tuple[str, int, int]]:
    """Per relation of main (its views only, or the one named): its columns, row count and
    the sum of its rows' hashes, read in its own file (a view names its catalog)."""
    digests: dict[str, tuple[str, int, int]] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("set enable_progress_bar = false")
        relations = con.execute(
            "select table_name from duckdb_columns() where schema_name = 'main' and "
            "not internal and database_name = current_database() and (? = 'any' or "
            "table_name in (select view_name from duckdb_views() where not internal)) and "
            "(? is null or 'main.' || table_name = ?) group by table_name order by table_name",
            [kind, name, name]).fetchall()
        for (relation,) in relations:
            columns = [c for (c,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = 'main' and "
                "not internal and database_name = current_database() and table_name = ? "
                "order by column_index", [relation]).fetchall()
                if c not in BOOKKEEPING]
            quoted = ", ".join(f'"{c}"' for c in columns)
            rows, total = con.execute(f"select count(*), coalesce(sum(hash({quoted})::hugeint), 0) "
                                      f"from main.{relation}").fetchone()
            digests[f"main.{relation}"] = (",".join(columns), int(rows), int(total))
    return digests
