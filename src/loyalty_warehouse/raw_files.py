"""Pre-flight checks of a raw data folder, before dbt reads it.

dbt's own contract check (macro raw_table) names a missing column; here we catch what
DuckDB's CSV reader reports poorly: empty files, a wrong delimiter, text that is not
UTF-8, and ragged rows, each with the file and, where it applies, the line.
"""

from __future__ import annotations

import csv
import glob
import gzip
from collections import Counter
from pathlib import Path

# Python's csv module stops at 128 KiB per field by default; free text (a survey comment)
# may be longer. DuckDB reads lines up to 2 MB by default.
csv.field_size_limit(64 * 1024 * 1024)

RAW_TABLES = ["customers", "orders", "survey_responses", "support_tickets", "loyalty_events",
              "campaigns", "campaign_touches"]
# each table's own timestamp: rows dated after as_of_date are left out of the marts
OWN_TIMESTAMP = {"customers": "created_at", "orders": "ordered_at",
                 "survey_responses": "responded_at", "support_tickets": "opened_at",
                 "loyalty_events": "occurred_at", "campaigns": "starts_at",
                 "campaign_touches": "sent_at"}


RAW_SUFFIXES = (".csv", ".csv.gz", ".parquet")


def table_files(folder: Path, table: str) -> list[Path]:
    """The files dbt reads for a table (macro raw_files_of_table): <table>.csv, .csv.gz or
    .parquet, and such files in <table>/ or <table>.<anything>/ (a Spark job's output
    folder) whose names do not start with '.' or '_'."""
    found = [folder / f"{table}{suffix}" for suffix in RAW_SUFFIXES]
    found = [f for f in found if f.is_file()]
    batches = [folder / table, *sorted(folder.glob(f"{glob.escape(table)}.*"))]
    for batch in (b for b in batches if b.is_dir()):
        found += sorted(p for p in batch.iterdir()
                        if p.is_file() and p.name.endswith(RAW_SUFFIXES)
                        and not p.name.startswith((".", "_")))
    return found


def check_csv(path: Path) -> list[str]:
    """Problems of one CSV file (gzip-compressed when its name ends in .gz), each naming
    the file (and line)."""
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            return [f"raw file {path}: not a readable gzip file ({error})"]
    if not raw.strip():
        return [f"raw file {path}: the file is empty (expected a header line and rows)"]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        return [f"raw file {path} line {line}: not UTF-8 text ({error.reason}); "
                "save the file as UTF-8"]
    rows = csv.reader(text.splitlines())
    header = next(rows)
    problems = []
    if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
        problems.append(f"raw file {path} line 1: the header '{header[0][:60]}' is one column; "
                        "the delimiter must be a comma")
        return problems
    repeated = [name for name, count in Counter(h.strip().lower() for h in header).items()
                if count > 1]
    if repeated:
        return [f"raw file {path} line 1: column(s) {', '.join(repeated)} appear more than "
                "once in the header; each contract column must appear once"]
    for line_number, row in enumerate(rows, start=2):
        if row and len(row) != len(header):
            problems.append(f"raw file {path} line {line_number}: {len(row)} fields, "
                            f"the header has {len(header)}")
            if len(problems) >= 5:
                problems.append(f"raw file {path}: (further ragged lines not listed)")
                break
    return problems


def check_folder(folder: Path) -> list[str]:
    """Every problem found in the folder's CSV files; Parquet is checked by DuckDB in dbt."""
    if not folder.is_dir():
        return [f"raw data folder {folder} does not exist"]
    problems = []
    for table in RAW_TABLES:
        for path in table_files(folder, table):
            if not path.name.endswith(".parquet"):
                problems += check_csv(path)
    return problems
