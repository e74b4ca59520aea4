"""Validate the probabilistic CLV marts on real data: the CDNOW sample of Fader, Hardie &
Lee (2005), which the `lifetimes` wheel ships (2,357 customers, 1997-01 .. 1998-06).

The transactions go in through the bring-your-own-data path (a folder of CSV files), the
warehouse is built with as_of_date 1997-09-30 (the paper's 39-week calibration end), and
the fitted BG/NBD parameters are compared with the paper's. The 39 weeks after it are the
holdout: expected repeat purchases from the fitted model against the actual ones, by
number of calibration repeat purchases (the paper's conditional-expectations figure).
"""

from __future__ import annotations

import importlib.resources
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from . import clv

CALIBRATION_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"
HOLDOUT_WEEKS = 39
# Fader, Hardie & Lee (2005), "Counting your customers the easy way", section 5
PAPER_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PAPER_LOG_LIKELIHOOD = -9582.4


def transactions() -> pd.DataFrame:
    """The CDNOW sample: customer, date, CDs bought and dollar value, one row per order."""
    source = importlib.resources.files("lifetimes") / "datasets" / "CDNOW_sample.txt"
    with importlib.resources.as_file(source) as path:
        frame = pd.read_csv(path, sep=r"\s+", header=None, dtype={"date": str},
                            names=["master_id", "customer", "date", "cds", "amount"])
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    frame["customer_id"] = "CD" + frame["customer"].astype(str).str.zfill(4)
    return frame


def write_raw_folder(frame: pd.DataFrame, folder: Path) -> Path:
    """The two required raw tables of SPEC section 3; every CDNOW order is completed."""
    folder.mkdir(parents=True, exist_ok=True)
    customers = frame.groupby("customer_id", as_index=False)["date"].min()
    pd.DataFrame({"customer_id": customers["customer_id"],
                  "created_at": customers["date"].dt.strftime("%Y-%m-%d")}
                 ).to_csv(folder / "customers.csv", index=False)
    pd.DataFrame({"order_id": [f"CDO{n:05d}" for n in range(1, len(frame) + 1)],
                  "customer_id": frame["customer_id"],
                  "ordered_at": frame["date"].dt.strftime("%Y-%m-%d"),
                  "status": "completed",
                  "gross_amount": frame["amount"].map("{:.2f}".format)}
                 ).to_csv(folder / "orders.csv", index=False)
    return folder


def build(project: Path, folder: Path, database: Path) -> None:
    env = {**os.environ, "DBT_PROFILES_DIR": str(project), "LOYALTY_DATA_DIR": str(folder),
           "LOYALTY_DUCKDB_PATH": str(database), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "build", "--exclude", "path:seeds/raw",
         "--vars", f"{{as_of_date: '{CALIBRATION_END}'}}",
         "--target-path", str(database.parent / "target"),
         "--log-path", str(database.parent / "logs")],
        cwd=project, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError("dbt build on the CDNOW folder failed:\n" + done.stdout[-4000:])


@dataclass(frozen=True)
class Validation:
    parameters: dict[str, float]
    log_likelihood: float
    customers: int
    holdout: pd.DataFrame  # calibration repeat purchases -> customers, actual, expected


def validate(database: Path, frame: pd.DataFrame) -> Validation:
    with duckdb.connect(str(database), read_only=True) as con:
        fit = con.execute("select * from main.clv_model_fit").df()
        customers = con.execute(
            "select customer_id, repeat_purchase_days, recency_weeks, age_weeks "
            "from main.customer_clv").df()
    bgnbd = clv.fits_from_parameters(fit)["bg_nbd"]
    fitter = clv.bgnbd_fitter(bgnbd)
    customers["expected"] = fitter.conditional_expected_number_of_purchases_up_to_time(
        HOLDOUT_WEEKS, customers["repeat_purchase_days"], customers["recency_weeks"],
        customers["age_weeks"])
    in_holdout = frame[(frame["date"] > CALIBRATION_END) & (frame["date"] <= HOLDOUT_END)]
    actual = in_holdout.groupby("customer_id")["date"].nunique().rename("actual")
    customers = customers.join(actual, on="customer_id").fillna({"actual": 0})
    customers["bucket"] = customers["repeat_purchase_days"].clip(upper=7)
    holdout = (customers.groupby("bucket")
               .agg(customers=("customer_id", "size"), actual=("actual", "mean"),
                    expected=("expected", "mean")).reset_index())
    holdout["bucket"] = holdout["bucket"].map(lambda b: "7+" if b == 7 else str(b))
    return Validation(bgnbd.parameters, float(bgnbd.log_likelihood or float("nan")),
                      bgnbd.customers, holdout)


def report(result: Validation) -> str:
    lines = ["# Probabilistic CLV validated on CDNOW", "",
             "The CDNOW sample shipped in the `lifetimes` wheel (2,357 customers, first "
             "purchases in 1997-Q1, orders to 1998-06-30), loaded as a bring-your-own-data "
             f"folder and built with as_of_date {CALIBRATION_END}; written by "
             "`bin/warehouse loyalty clv-validate` (test: tests/python/test_clv.py).", "",
             "## BG/NBD parameters", "",
             "| parameter | fitted | paper (Fader, Hardie & Lee 2005) |", "|---|---:|---:|"]
    lines += [f"| {name} | {result.parameters[name]:.4f} | {paper:.3f} |"
              for name, paper in PAPER_BGNBD.items()]
    lines += [f"| log-likelihood | {result.log_likelihood:.1f} | {PAPER_LOG_LIKELIHOOD} |",
              f"| customers | {result.customers:,} | 2,357 |", "",
              f"## Holdout: repeat purchases in the {HOLDOUT_WEEKS} weeks after "
              f"{CALIBRATION_END}", "",
              "Mean per customer, by repeat purchases in the calibration period (the "
              "paper's conditional-expectations figure).", "",
              "| calibration repeat purchases | customers | actual | expected (BG/NBD) |",
              "|---|---:|---:|---:|"]
    lines += [f"| {row.bucket} | {row.customers:,} | {row.actual:.3f} | {row.expected:.3f} |"
              for row in result.holdout.itertuples()]
    total = result.holdout
    actual = (total["actual"] * total["customers"]).sum()
    expected = (total["expected"] * total["customers"]).sum()
    lines += ["", f"All customers: {actual:,.0f} actual vs {expected:,.1f} expected repeat "
              "purchases in the holdout."]
    return "\n".join(lines) + "\n"


def run(project: Path, workdir: Path, out: Path | None) -> Validation:
    frame = transactions()
    folder = write_raw_folder(frame, workdir / "cdnow")
    database = workdir / "cdnow.duckdb"
    build(project, folder, database)
    result = validate(database, frame)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report(result))
    return result
