"""Bad input that once published wrong numbers with every test green: each case is now
quarantined with a reason or stops the build naming the file and the problem."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from loyalty_warehouse.raw_files import check_folder

from .conftest import DbtRun, generate, without_values


@pytest.fixture
def csv_folder(tmp_path: Path) -> Path:
    return generate(tmp_path / "csv", "--format", "csv")


def read(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)


def write(frame: pd.DataFrame, folder: Path, table: str) -> None:
    frame.to_csv(folder / f"{table}.csv", index=False)


def reasons(run: DbtRun, table: str, key: str, keys: list[str]) -> dict[str, str | None]:
    rows = run.query(f"select {key}, quarantine_reason from staging.base_{table} "
                     f"where {key} in ({', '.join(repr(k) for k in keys)})")
    return dict(rows)


def test_a_named_zone_is_unparseable_and_shifts_no_other_row(
        csv_folder: Path, staging_build: Callable[..., DbtRun]) -> None:
    orders = read(csv_folder, "orders")
    # naive timestamps around one value in a named zone (DuckDB 1.5 carried EST over)
    orders["ordered_at"] = orders["ordered_at"].str.replace("Z", "", regex=False)
    orders.loc[10, "ordered_at"] = "2025-03-01T10:00:00 EST"
    write(orders, csv_folder, "orders")
    run = staging_build(csv_folder)
    assert run.returncode == 0, run.output[-3000:]
    assert reasons(run, "orders", "order_id", [orders.loc[10, "order_id"]]) \
        == {orders.loc[10, "order_id"]: "unparseable"}
    typed = dict(run.query("select order_id, strftime(ordered_at, '%Y-%m-%dT%H:%M:%S') "
                           "from staging.stg_orders"))
    expected = orders.drop(index=10).set_index("order_id")["ordered_at"].str[:19]
    shifted = [key for key, stamp in expected.items() if typed.get(key) != stamp]
    assert shifted == []


JUNK_AMOUNTS = ["1.234", "12.345", "1_000", "1e-5", "NULL", "N/A", "12,50", "1 000"]


def test_amounts_that_would_need_a_guess_are_unparseable(
        csv_folder: Path, staging_build: Callable[..., DbtRun]) -> None:
    orders = read(csv_folder, "orders")
    keys = []
    for row, amount in enumerate(JUNK_AMOUNTS):
        orders.loc[row, "gross_amount"] = amount
        keys.append(orders.loc[row, "order_id"])
    # an optional amount has no NULL check of its own: only the typing gate catches it
    for row, amount in enumerate(JUNK_AMOUNTS, start=40):
        orders.loc[row, "discount_amount"] = amount
        keys.append(orders.loc[row, "order_id"])
    orders.loc[20, "gross_amount"] = " 12.30 "  # blanks around a sound amount are fine
    write(orders, csv_folder, "orders")
    run = staging_build(csv_folder)
    assert run.returncode == 0, run.output[-3000:]
    assert reasons(run, "orders", "order_id", keys) == dict.fromkeys(keys, "unparseable")
    assert run.scalar(f"select gross_amount from staging.stg_orders "
                      f"where order_id = '{orders.loc[20, 'order_id']}'") == Decimal("12.30")


def test_text_markers_are_missing_values_not_values(
        csv_folder: Path, staging_build: Callable[..., DbtRun]) -> None:
    customers = read(csv_folder, "customers")
    customers.loc[0:2, "country"] = ["NULL", "n/a", "None"]
    customers.loc[3:4, "email"] = ["null", "NULL"]
    customers.loc[5, "customer_id"] = "NULL"
    write(customers, csv_folder, "customers")
    run = staging_build(csv_folder)
    assert run.returncode == 0, run.output[-3000:]
    first = customers.loc[0:2, "customer_id"].tolist()
    assert run.query(f"select distinct country from staging.stg_customers "
                     f"where customer_id in ({', '.join(repr(k) for k in first)})") == [(None,)]
    # two customers whose e-mail is the marker 'null' do not share a digest
    pair = customers.loc[3:4, "customer_id"].tolist()
    hashes = run.query(f"select email_hash from staging.stg_customers "
                       f"where customer_id in ('{pair[0]}', '{pair[1]}')")
    assert hashes == [(None,), (None,)]
    assert run.scalar("select count(*) from staging.stg_customers__quarantine "
                      "where quarantine_reason = 'null_key'") == 1


def test_a_copy_with_blanks_around_values_is_an_exact_duplicate(
        csv_folder: Path, staging_build: Callable[..., DbtRun]) -> None:
    customers = read(csv_folder, "customers")
    blank_copy = customers.iloc[[0]].copy()
    blank_copy["customer_id"] = " " + blank_copy["customer_id"]
    # a copy whose key differs only in case is the same customer, not a phantom second one
    case_copy = customers.iloc[[1]].copy()
    case_copy["customer_id"] = case_copy["customer_id"].str.lower()
    # another case with different content: which spelling is right is unknown, both held back
    case_conflict = customers.iloc[[2]].copy()
    case_conflict["customer_id"] = case_conflict["customer_id"].str.lower()
    case_conflict["country"] = "ZZ"
    orders = read(csv_folder, "orders")
    lower_reference = orders.index[orders["customer_id"] == customers.loc[3, "customer_id"]][0]
    orders.loc[lower_reference, "customer_id"] = orders.loc[lower_reference, "customer_id"].lower()
    write(pd.concat([customers, blank_copy, case_copy, case_conflict]), csv_folder, "customers")
    write(orders, csv_folder, "orders")
    run = staging_build(csv_folder)
    assert run.returncode == 0, run.output[-3000:]
    kept = customers.loc[0:1, "customer_id"].tolist()
    assert run.query(f"select customer_id from staging.stg_customers where lower(customer_id) "
                     f"in ({', '.join(repr(k.lower()) for k in kept)}) order by 1") \
        == [(key,) for key in kept]
    conflict = customers.loc[2, "customer_id"]
    assert sorted(run.query("select customer_id, quarantine_reason "
                            "from staging.stg_customers__quarantine")) == sorted([
        (" " + kept[0], "duplicate_key"), (kept[1].lower(), "duplicate_key"),
        (conflict, "conflicting_duplicate"), (conflict.lower(), "conflicting_duplicate")])
    for key in kept:
        theirs = int((orders["customer_id"] == key).sum())
        assert run.scalar(
            f"select count(*) from staging.stg_orders where customer_id = '{key}'") == theirs
    # a reference in another case is not guessed: quarantined as unknown_customer
    assert reasons(run, "orders", "order_id", [orders.loc[lower_reference, "order_id"]]) \
        == {orders.loc[lower_reference, "order_id"]: "unknown_customer"}


def test_a_renamed_optional_column_stops_the_build(
        csv_folder: Path, staging_build: Callable[..., DbtRun]) -> None:
    orders = csv_folder / "orders.csv"
    orders.write_text(orders.read_text().replace("discount_amount", "discount", 1))
    run = staging_build(csv_folder)
    assert run.returncode != 0
    assert (f"raw file {orders}: contract column(s) discount_amount missing while unknown "
            "column(s) discount are present") in run.output


def test_gzip_csv_and_batch_folders_are_read_and_any_other_file_stops_the_build(
        csv_folder: Path, staging_build: Callable[..., DbtRun]) -> None:
    """customers.csv.gz, orders as a folder of a .csv and a .csv.gz batch beside what a
    Spark job leaves (_SUCCESS, .crc), survey answers as a Spark job's output folder
    (survey_responses.parquet/, its _temporary/ left behind): every raw row lands, each
    with its file's name. A spreadsheet or a sub-folder at any depth among a table's files
    would be left out without a word, so it stops the build. The folder is named through
    '..' (DuckDB's glob gives it back without)."""
    raw_orders = read(csv_folder, "orders")
    customers = csv_folder / "customers.csv"
    gzipped = csv_folder / "customers.csv.gz"
    gzipped.write_bytes(gzip.compress(customers.read_bytes()))
    customers.unlink()
    batches = csv_folder / "orders"
    batches.mkdir()
    half = len(raw_orders) // 2
    write(raw_orders[:half], batches, "a")
    second = raw_orders[half:].to_csv(index=False).encode()
    (batches / "b.csv.gz").write_bytes(gzip.compress(second))
    (batches / "_SUCCESS").touch()
    (batches / ".b.csv.gz.crc").write_bytes(b"not a CSV")
    (csv_folder / "orders.csv").unlink()
    surveys = csv_folder / "survey_responses.csv"
    spark_output = csv_folder / "survey_responses.parquet"
    (spark_output / "_temporary" / "0").mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(f"copy (from read_csv('{surveys}', all_varchar = true)) "
                    f"to '{spark_output}/part-00000.parquet' (format parquet)")
    shutil.copy(spark_output / "part-00000.parquet", spark_output / "_temporary" / "0")
    (spark_output / "_SUCCESS").touch()
    survey_rows = len(read(csv_folder, "survey_responses"))
    surveys.unlink()
    assert check_folder(csv_folder) == []
    named = csv_folder / ".." / csv_folder.name
    run = staging_build(named)
    assert run.returncode == 0, run.output[-3000:]
    landed = run.query("select source_file, count(*) from staging.base_orders group by all")
    assert dict(landed) == {"orders/a.csv": half, "orders/b.csv.gz": len(raw_orders) - half}
    landed = run.query("select source_file, count(*) from staging.base_survey_responses "
                       "group by all")
    assert dict(landed) == {"survey_responses.parquet/part-00000.parquet": survey_rows}
    assert run.scalar("select count(*) from staging.base_customers") \
        == len(pd.read_csv(gzipped, dtype=str))

    (batches / "notes.xlsx").touch()
    (batches / "2025").mkdir()
    shutil.copy(batches / "a.csv", batches / "2025" / "c.csv")
    (batches / "2025" / "01").mkdir()
    shutil.copy(batches / "a.csv", batches / "2025" / "01" / "d.csv")
    run = staging_build(named)
    assert run.returncode != 0
    assert (f"raw data folder '{named}': orders/2025/01/d.csv, orders/2025/c.csv, "
            "orders/notes.xlsx not read" in run.output), run.output[-3000:]


def test_a_ragged_line_in_gzip_csv_is_named_and_so_is_a_broken_gzip_file(
        csv_folder: Path) -> None:
    orders = csv_folder / "orders.csv"
    lines = orders.read_text().splitlines()
    lines[2] += ",extra"
    gzipped = csv_folder / "orders.csv.gz"
    gzipped.write_bytes(gzip.compress("\n".join(lines).encode()))
    orders.unlink()
    assert check_folder(csv_folder) == [
        f"raw file {gzipped} line 3: {len(lines[0].split(',')) + 1} fields, the header has "
        f"{len(lines[0].split(','))}"]
    gzipped.write_bytes(gzip.compress(b"order_id")[:-4])
    problems = check_folder(csv_folder)
    assert len(problems) == 1 and problems[0].startswith(
        f"raw file {gzipped}: not a readable gzip file"), problems


def test_a_duplicated_header_is_named_before_dbt_runs(csv_folder: Path) -> None:
    orders = csv_folder / "orders.csv"
    orders.write_text(orders.read_text().replace("discount_amount", "gross_amount", 1))
    assert check_folder(csv_folder) == [
        f"raw file {orders} line 1: column(s) gross_amount appear more than once in the "
        "header; each contract column must appear once"]


def test_a_megabyte_of_free_text_is_read(csv_folder: Path,
                                         staging_build: Callable[..., DbtRun]) -> None:
    surveys = read(csv_folder, "survey_responses")
    surveys.loc[0, "comment"] = "long " * 200_000
    write(surveys, csv_folder, "survey_responses")
    assert check_folder(csv_folder) == []
    run = staging_build(csv_folder)
    assert run.returncode == 0, run.output[-3000:]
    assert run.scalar("select max(length(comment)) from staging.stg_survey_responses") \
        == len(("long " * 200_000).strip())


def rewrite_parquet(folder: Path, table: str, replace: str) -> None:
    """Rewrite a table's Parquet file in place with some columns replaced
    (`select * replace (...)`)."""
    path = folder / f"{table}.parquet"
    rewritten = folder / f"{table}.rewritten"
    with duckdb.connect() as con:
        con.execute(f"copy (select * replace ({replace}) from '{path}') to '{rewritten}' "
                    "(format parquet)")
    rewritten.replace(path)


def test_numbers_typed_by_pandas_read_as_their_values(
        tmp_path: Path, staging_build: Callable[..., DbtRun]) -> None:
    """What pandas writes for a real data set: integer customer ids, and in the orders the
    same ids as doubles (an integer column with a gap becomes float64). 1001 and 1001.0 are
    the key '1001'; the gap (NaN) is a null_key; every other order keeps its customer. A
    key column without a single value (no campaigns) has no type and reads as empty.
    Scores come as doubles too (exit answers have none): 9.0 is 9, and 8.5 is unparseable
    (a cast would round it to 9 on DuckDB and cut it to 8 on Spark). Amounts are doubles:
    0.1 + 0.2 is 0.30, and 12.345 is unparseable (money has two decimals), not rounded;
    a float's rounding is never more than a hundredth of a cent (100000.00009 is 100000.00,
    100000.00011 is unparseable), and a single-precision 12345.68 is 12345.68."""
    folder = generate(tmp_path / "parquet")
    surveys = shutil.copy(folder / "survey_responses.parquet", tmp_path)
    with duckdb.connect() as con:
        halved = con.execute(f"select min(response_id) from '{surveys}' "
                             "where survey_type = 'nps'").fetchone()[0]
        text_keys = con.execute(f"select count(*), count(distinct customer_id) "
                                f"from '{folder}/orders.parquet'").fetchone()
    without_values(folder / "orders.parquet", "campaign_id")
    as_number = "cast(substr(customer_id, 2) as {}) as customer_id"
    rewrite_parquet(folder, "customers", as_number.format("bigint"))
    rewrite_parquet(folder, "survey_responses", as_number.format("bigint") + f", case when "
                    f"response_id = '{halved}' then 8.5 else cast(score as double) end as score")
    fixed = "order_id in ('O00000003', 'O00000004', 'O00000005', 'O00000006', 'O00000007')"
    # at 100,000 a float's rounding is far below a hundredth of a cent, the most it may be
    rewrite_parquet(folder, "orders", f"case when order_id = 'O00000002' then 'nan'::double "
                    f"else cast(substr(customer_id, 2) as double) end as customer_id, "
                    f"case order_id when 'O00000003' then 12.345 when 'O00000004' "
                    f"then 0.1::double + 0.2::double when 'O00000005' then 100000.00009::double "
                    f"when 'O00000006' then 100000.00011::double "
                    f"when 'O00000007' then 20000 else gross_amount end as gross_amount, "
                    f"cast(case when order_id = 'O00000007' then 12345.68 when {fixed} then 0 "
                    f"else discount_amount end as float) as discount_amount, "
                    f"case when {fixed} then 0 else refunded_amount end as refunded_amount")
    run = staging_build(folder)
    assert run.returncode == 0, run.output[-3000:]
    assert run.query("select customer_id from staging.stg_customers where customer_id = '1'") \
        == [("1",)]
    assert reasons(run, "orders", "order_id", [f"O0000000{n}" for n in range(2, 7)]) \
        == {"O00000002": "null_key", "O00000003": "unparseable", "O00000004": None,
            "O00000005": None, "O00000006": "unparseable"}
    assert run.query("select order_id, gross_amount from staging.stg_orders where order_id "
                     "in ('O00000004', 'O00000005') order by 1") \
        == [("O00000004", Decimal("0.30")), ("O00000005", Decimal("100000.00"))]
    # a single-precision discount is the number written, not the float it widens to
    assert run.query("select discount_amount from staging.stg_orders "
                     "where order_id = 'O00000007'") == [(Decimal("12345.68"),)]
    # and every other single-precision discount reads as written: no other order is lost
    assert run.query("select order_id from staging.stg_orders__quarantine "
                     "where quarantine_reason = 'unparseable' order by 1") \
        == [("O00000003",), ("O00000006",)]
    assert run.scalar("select count(campaign_id) from staging.stg_orders") == 0
    assert run.query("select customer_id from staging.stg_orders__quarantine "
                     "where order_id = 'O00000002'") == [("nan",)]
    # no order lost its customer to a '.0': the others are clean or quarantined as before
    assert run.scalar("select count(*) from staging.stg_orders__quarantine "
                      "where quarantine_reason = 'unknown_customer'") == 0
    clean = run.query("select count(*), count(distinct customer_id) from staging.stg_orders "
                      "where regexp_full_match(customer_id, '[1-9][0-9]*')")[0]
    assert clean[0] == run.scalar("select count(*) from staging.stg_orders")
    assert text_keys is not None and clean[1] <= text_keys[1] and clean[0] > 0.9 * text_keys[0]
    assert reasons(run, "survey_responses", "response_id", [halved]) \
        == {halved: "unparseable"}
    assert run.scalar(f"select count(*) from staging.stg_survey_responses as s join "
                      f"'{surveys}' as generated using (response_id) "
                      "where s.score is distinct from generated.score") == 0
    assert run.scalar("select count(*) from staging.stg_survey_responses "
                      "where score is not null") > 100


def test_a_table_split_between_csv_and_parquet_reads_as_if_it_were_all_parquet(
        tmp_path: Path, staging_build: Callable[..., DbtRun]) -> None:
    """A feed that changed format: each table's history as CSV, its newer batches as typed
    Parquet (doubles, a single-precision float, timestamps with and without a zone,
    whole numbers, booleans). Every value reads as it reads when the whole table is
    Parquet: the staging tables and their quarantine are equal but for source_file. In
    the Parquet part 0.1 + 0.2 is 0.30, a score of 9.0 is 9, 8.5 and 12.345 are
    unparseable, and a single-precision 12345.68 is 12345.68 (their plain text would be
    0.30000000000000004, unparseable, and 9.0, unparseable as an integer). The same when
    the Parquet batches arrive in an incremental run after the CSV history."""
    typed = generate(tmp_path / "typed")
    with duckdb.connect() as con:  # three completed orders of the Parquet part
        planted = tuple(row[0] for row in con.execute(
            f"select order_id from '{typed}/orders.parquet' where ordered_at >= '2026-01-01' "
            "and status = 'completed' order by order_id limit 3").fetchall())
        halved = con.execute(f"select max(response_id) from '{typed}/survey_responses.parquet' "
                             "where score = 9 and responded_at >= '2026-01-01'").fetchone()[0]
    unparseable, cents, single = planted
    rewrite_parquet(typed, "orders", f"case order_id when '{unparseable}' then 12.345 "
                    f"when '{cents}' then 0.1::double + 0.2::double when '{single}' then 20000 "
                    "else gross_amount end as gross_amount, "
                    f"cast(case when order_id = '{single}' then 12345.68 when order_id in "
                    f"{planted} then 0 else discount_amount end as float) as discount_amount, "
                    f"case when order_id in {planted} then 0 else refunded_amount end "
                    "as refunded_amount, ordered_at at time zone 'UTC' as ordered_at")
    mixed = Path(shutil.copytree(typed, tmp_path / "mixed"))
    # scores as doubles (pandas' type for a column with gaps), in the Parquet files only
    scores = f"case when response_id = '{halved}' then 8.5 else cast(score as double) end"
    rewrite_parquet(typed, "survey_responses", f"{scores} as score")
    dated = {"orders": "ordered_at", "survey_responses": "responded_at",
             "support_tickets": "opened_at"}
    keys = {"orders": "order_id", "survey_responses": "response_id",
            "support_tickets": "ticket_id"}
    with duckdb.connect() as con:
        for table, column in dated.items():
            (mixed / table).mkdir()
            whole = mixed / f"{table}.parquet"
            con.execute(f"copy (select * from '{whole}' where {column} < '2026-01-01') "
                        f"to '{mixed}/{table}/1-history.csv' (header)")
            replace = f"replace ({scores} as score)" if table == "survey_responses" else ""
            con.execute(f"copy (select * {replace} from '{whole}' where not {column} < "
                        f"'2026-01-01' or {column} is null) to "
                        f"'{mixed}/{table}/2-recent.parquet' (format parquet)")
            whole.unlink()
    first = staging_build(typed)
    assert first.returncode == 0, first.output[-3000:]
    all_parquet = DbtRun(0, "", Path(shutil.move(first.database, tmp_path / "typed.duckdb")))
    # the CSV history first, then the Parquet batches in an incremental run (which reads
    # only the new files), then the whole folder in a full build
    recent = {mixed / table / "2-recent.parquet": tmp_path / f"{table}.held" for table in dated}
    for path, held in recent.items():
        path.rename(held)
    history = staging_build(mixed)
    assert history.returncode == 0, history.output[-3000:]
    for path, held in recent.items():
        held.rename(path)
    incremental = staging_build(mixed)
    assert incremental.returncode == 0, incremental.output[-3000:]
    shutil.move(incremental.database, tmp_path / "incremental.duckdb")
    run = staging_build(mixed)
    assert run.returncode == 0, run.output[-3000:]
    for built in (DbtRun(0, "", tmp_path / "incremental.duckdb"), run):
        for table in dated:
            columns = ", ".join(name for (name,) in run.query(
                "select column_name from information_schema.columns where table_schema = "
                f"'staging' and table_name = 'stg_{table}' and column_name <> 'source_file'"))
            for rows in (f"select {columns} from staging.stg_{table} order by all",
                         # the same rows quarantined for the same reasons (their text as read
                         # shows a typed value in its canonical form: 0 for 0.0)
                         f"select {keys[table]}, quarantine_reason "
                         f"from staging.stg_{table}__quarantine order by all"):
                assert built.query(rows) == all_parquet.query(rows), (built.database, rows)
            files = built.query(f"select distinct source_file from staging.base_{table} "
                                "order by 1")
            assert files == [(f"{table}/1-history.csv",), (f"{table}/2-recent.parquet",)]
    # and the incremental run's quarantine shows the same text as the full build's
    for table in dated:
        rows = f"select * from staging.stg_{table}__quarantine order by all"
        assert DbtRun(0, "", tmp_path / "incremental.duckdb").query(rows) == run.query(rows)
    assert reasons(run, "orders", "order_id", list(planted)) \
        == {unparseable: "unparseable", cents: None, single: None}
    assert run.query("select order_id, gross_amount, discount_amount from staging.stg_orders "
                     f"where order_id in ('{cents}', '{single}') order by 1") \
        == [(cents, Decimal("0.30"), Decimal("0.00")),
            (single, Decimal("20000.00"), Decimal("12345.68"))]
    assert reasons(run, "survey_responses", "response_id", [halved]) == {halved: "unparseable"}
    assert run.scalar("select count(*) from staging.base_survey_responses where score = 9 "
                      "and source_file like '%.parquet'") > 0


def test_a_key_of_another_type_in_parquet_stops_the_build_naming_it(
        tmp_path: Path, staging_build: Callable[..., DbtRun]) -> None:
    folder = generate(tmp_path / "parquet")
    rewrite_parquet(folder, "customers",
                    "date '2024-01-01' + cast(substr(customer_id, 2) as integer) as customer_id")
    run = staging_build(folder)
    assert run.returncode != 0
    assert (f"raw file {folder}/customers.parquet: key column customer_id is DATE; keys are "
            "text or whole numbers in the contract") in run.output


def test_orders_in_a_second_currency_stop_the_build(
        tmp_path: Path, staging_build: Callable[..., DbtRun]) -> None:
    """Revenue summed across currencies would be a wrong number: a data set has one."""
    folder = generate(tmp_path / "parquet")
    rewrite_parquet(folder, "orders",
                    "case when order_id = 'O00000002' then 'usd' else currency end as currency")
    run = staging_build(folder)
    assert run.returncode != 0
    assert "Failure in test orders_are_in_one_currency" in run.output
    assert run.query("select currency, count(*) from staging.stg_orders group by currency "
                     "order by currency") == [("EUR", run.scalar(
                         "select count(*) - 1 from staging.stg_orders")), ("USD", 1)]


def test_orders_without_a_readable_date_stop_the_build_naming_the_form(
        csv_folder: Path, staging_build: Callable[..., DbtRun]) -> None:
    """Month/day/year text (as some public data sets have it) dates no order: with no
    as_of_date to describe, the build stops at once, saying why, with an example value;
    given an as_of_date, every such order is quarantined as unparseable, never guessed."""
    orders = read(csv_folder, "orders")
    stamps = pd.to_datetime(orders["ordered_at"], utc=True, format="ISO8601")
    orders["ordered_at"] = [f"{t.month}/{t.day}/{t.year} {t.hour}:{t.minute:02d}" for t in stamps]
    write(orders, csv_folder, "orders")
    run = staging_build(csv_folder)
    assert run.returncode != 0
    assert (f"no as_of_date: var as_of_date is not set and no raw order in {csv_folder} has an "
            f"ordered_at this build can read, so the data has no end date "
            f"(e.g. '{orders['ordered_at'][0]}')") in run.output
    dated = staging_build(csv_folder, '{"as_of_date": "2026-06-30"}')
    assert dated.returncode == 0, dated.output[-3000:]
    assert dated.query("select quarantine_reason, count(*) from staging.stg_orders__quarantine "
                       "group by all") == [("unparseable", len(orders))]
