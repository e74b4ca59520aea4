"""The last guard on personal data: every text column of every table in a warehouse file
is scanned for e-mail addresses and phone numbers (the patterns of var pii_patterns in
dbt_project.yml, the same ones staging scrubs free text with). The publish step refuses
a candidate with any hit."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb
import yaml

# the checkout this package is run from (an editable install, or PYTHONPATH=src)
PROJECT = Path(__file__).resolve().parents[2] / "dbt_project.yml"


@cache
def patterns(project: Path = PROJECT) -> dict[str, str]:
    return dict(yaml.safe_load(project.read_text())["vars"]["pii_patterns"])


def _hit(column: str) -> str:
    # the cheap contains() prefilters keep the regular expressions to a few rows
    quoted = f'"{column}"'
    return (f"(contains({quoted}, '@') and regexp_matches({quoted}, $email)) or "
            f"((contains({quoted}, '+') or contains({quoted}, ' ')) "
            f"and regexp_matches({quoted}, $phone))")


def columns_with_personal_data(con: duckdb.DuckDBPyConnection) -> list[str]:
    """schema.table.column of every text column of a base table holding an e-mail address
    or a phone number."""
    found = patterns()
    columns = con.execute("""
        select c.schema_name, c.table_name, c.column_name
        from duckdb_columns() as c
        inner join duckdb_tables() as t
            on c.database_name = t.database_name and c.schema_name = t.schema_name
            and c.table_name = t.table_name
        where c.database_name = current_database() and c.data_type = 'VARCHAR'
        order by 1, 2, c.column_index""").fetchall()
    leaks = []
    for schema, table, column in columns:
        hits = con.execute(
            f'select count(*) from "{schema}"."{table}" where {_hit(column)}',
            {"email": found["email"], "phone": found["phone"]}).fetchone()
        if hits and hits[0]:
            leaks.append(f"{schema}.{table}.{column}")
    return leaks
