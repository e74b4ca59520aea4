"""Probabilistic CLV: the paper's estimates on real data, the marts recomputed from raw
data with the closed-form BG/NBD and Gamma-Gamma formulas (not lifetimes), and the
generator's hidden truth recovered."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from autograd import value_and_grad
from lifetimes import BetaGeoFitter, GammaGammaFitter
from scipy.special import hyp2f1

from loyalty_warehouse import cdnow, clv
from loyalty_warehouse.cli import SEEDS_DIR
from loyalty_warehouse.generator import PURCHASE_RATE_BY_SCALE, SCALES, GeneratorConfig
from loyalty_warehouse.generator.customers import make_customers
from loyalty_warehouse.generator.ids import customer_ids

from .conftest import ROOT, DbtRun


@pytest.fixture(scope="module")
def cdnow_result(tmp_path_factory: pytest.TempPathFactory) -> cdnow.Validation:
    return cdnow.run(ROOT, tmp_path_factory.mktemp("cdnow"), None)


# one CDNOW build for both tests: on one pytest-xdist worker
CDNOW = pytest.mark.xdist_group("cdnow")


@pytest.mark.slow
@CDNOW
def test_cdnow_reproduces_the_papers_bgnbd_estimates(cdnow_result: cdnow.Validation) -> None:
    for name, paper in cdnow.PAPER_BGNBD.items():
        assert round(cdnow_result.parameters[name], 3) == paper, name
    assert cdnow_result.log_likelihood == pytest.approx(cdnow.PAPER_LOG_LIKELIHOOD, abs=0.1)
    assert cdnow_result.customers == 2357


@pytest.mark.slow
@CDNOW
def test_cdnow_holdout_expectations_track_actual_purchases(
        cdnow_result: cdnow.Validation) -> None:
    holdout = cdnow_result.holdout
    assert list(holdout["bucket"]) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert holdout["customers"].sum() == 2357
    # more calibration purchases, more holdout purchases: expected and actual agree on it
    assert holdout["expected"].is_monotonic_increasing
    assert holdout["actual"].is_monotonic_increasing
    ratio = ((holdout["expected"] * holdout["customers"]).sum()
             / (holdout["actual"] * holdout["customers"]).sum())
    assert 0.8 < ratio < 1.2


def raw_repeat_summary(as_of: pd.Timestamp) -> pd.DataFrame:
    """SPEC 4.6 from the raw CSV: completed orders per day, net revenue per day."""
    orders = pd.read_csv(ROOT / SEEDS_DIR / "raw_orders.csv", dtype=str)
    orders = orders[orders["status"].str.strip().str.lower() == "completed"].copy()
    stamps = pd.to_datetime(orders["ordered_at"], utc=True)
    orders["day"] = stamps.dt.tz_localize(None).dt.floor("D")
    orders = orders[orders["day"] <= as_of]
    money = ["gross_amount", "discount_amount", "refunded_amount"]
    orders[money] = orders[money].astype(float).fillna(0.0)
    orders["net"] = orders["gross_amount"] - orders["discount_amount"] - orders["refunded_amount"]
    days = orders.groupby(["customer_id", "day"], as_index=False)["net"].sum()
    first = days.groupby("customer_id")["day"].transform("min")
    summary = days.groupby("customer_id").agg(first=("day", "min"), last=("day", "max"),
                                              n=("day", "size"))
    summary["x"] = summary["n"] - 1
    summary["t_x"] = (summary["last"] - summary["first"]).dt.days / 7
    summary["T"] = (as_of - summary["first"]).dt.days / 7
    summary["m"] = days[days["day"] > first].groupby("customer_id")["net"].mean()
    return summary


@pytest.fixture(scope="module")
def marts(default_build: DbtRun) -> tuple[pd.DataFrame, dict[str, float], pd.Timestamp]:
    import duckdb

    with duckdb.connect(str(default_build.database), read_only=True) as con:
        customers = con.execute("select * from main.customer_clv").df().set_index("customer_id")
        fit = con.execute("select model, parameter, estimate, as_of_date, converged "
                          "from main.clv_model_fit").df()
    assert fit["converged"].all()
    parameters = dict(zip(fit["parameter"], fit["estimate"], strict=True))
    return customers, parameters, pd.Timestamp(fit["as_of_date"].iloc[0])


def test_customer_clv_is_recomputed_from_raw_orders_by_the_formulas(marts: tuple) -> None:
    customers, params, as_of = marts
    raw = raw_repeat_summary(as_of)
    assert set(raw.index) == set(customers.index)
    both = raw.join(customers)
    assert (both["x"] == both["repeat_purchase_days"]).all()
    assert np.allclose(both["t_x"], both["recency_weeks"])
    assert np.allclose(both["T"], both["age_weeks"])
    assert np.allclose(both["m"].fillna(-1), both["repeat_mean_spend"].fillna(-1))
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    x, t_x, T = both["x"].to_numpy(), both["t_x"].to_numpy(), both["T"].to_numpy()
    # Fader, Hardie & Lee (2005), equations (10) and (13)
    odds = (a / (b + np.maximum(x, 1) - 1)) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    p_alive = np.where(x > 0, 1 / (1 + odds), 1.0)
    t = 365 / 7
    expected = ((a + b + x - 1) / (a - 1)
                * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                   * hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t)))
                / (1 + (x > 0) * odds))
    p, q, v = params["p"], params["q"], params["v"]
    spend_ok = (x > 0) & (both["m"].fillna(0).to_numpy() > 0)
    m = both["m"].fillna(0).to_numpy()
    value = np.where(spend_ok, (p * v + p * x * m) / (p * x + q - 1), p * v / (q - 1))
    compared = {"probability_alive": p_alive, "expected_purchases_365d": expected,
                "expected_order_value": value, "predicted_clv_365d": expected * value}
    for column, recomputed in compared.items():
        assert np.allclose(both[column], recomputed, rtol=1e-6, atol=1e-9), column
    bands = np.select([p_alive >= 0.7, p_alive >= 0.3], ["likely_alive", "uncertain"],
                      "likely_lost")
    assert (both["alive_band"].to_numpy() == bands).all()


def test_customers_the_generator_made_dead_look_less_alive(marts: tuple) -> None:
    customers, _, _ = marts
    # BG/NBD gives every one-time buyer P(alive) = 1: only repeat buyers can tell
    customers = customers[customers["repeat_purchase_days"] > 0]
    cfg = GeneratorConfig(customers=SCALES["S"],
                          purchase_rate_multiplier=PURCHASE_RATE_BY_SCALE["S"])
    truth = make_customers(np.random.default_rng(cfg.seed), cfg)
    truth = truth.set_index(customer_ids(truth["customer_id"]))
    truth = truth[truth["_orders"]]
    dead = (truth["_first_order_day"] + truth["_lifetime"]) < cfg.horizon_days - 180
    alive = customers["probability_alive"]
    dead_mean = alive[alive.index.isin(truth.index[dead])].mean()
    alive_mean = alive[alive.index.isin(truth.index[~dead])].mean()
    assert dead_mean < alive_mean - 0.2, (dead_mean, alive_mean)


def _cdnow_summary() -> pd.DataFrame:
    """CDNOW's calibration period as int_customer_repeat_purchases summarises customers."""
    frame = cdnow.transactions()
    frame = frame[frame["date"] <= cdnow.CALIBRATION_END]
    days = frame.groupby(["customer_id", "date"], as_index=False)["amount"].sum()
    days["repeat_amount"] = days["amount"].where(
        days.groupby("customer_id")["date"].rank(method="first") > 1)
    summary = days.groupby("customer_id").agg(first=("date", "min"), last=("date", "max"),
                                              n=("date", "size"),
                                              repeat_mean_spend=("repeat_amount", "mean"))
    summary = summary.reset_index()
    summary["repeat_purchase_days"] = summary["n"] - 1
    summary["recency_weeks"] = (summary["last"] - summary["first"]).dt.days / 7
    summary["age_weeks"] = (pd.Timestamp(cdnow.CALIBRATION_END) - summary["first"]).dt.days / 7
    return summary


def test_weighted_fit_on_distinct_triples_equals_the_per_customer_fit() -> None:
    summary = _cdnow_summary()
    ours = clv.fit_bgnbd(summary)
    plain = BetaGeoFitter().fit(summary["repeat_purchase_days"], summary["recency_weeks"],
                                summary["age_weeks"])
    for name in ("r", "alpha", "a", "b"):
        assert ours.parameters[name] == pytest.approx(plain.params_[name], rel=1e-4)


def test_too_few_customers_are_not_fitted_and_say_why() -> None:
    summary = pd.DataFrame({"customer_id": ["a", "b"], "repeat_purchase_days": [0, 2],
                            "recency_weeks": [0.0, 3.0], "age_weeks": [5.0, 6.0],
                            "repeat_mean_spend": [None, 20.0]})
    bgnbd, gamma_gamma = clv.fit_bgnbd(summary), clv.fit_gamma_gamma(summary)
    assert not bgnbd.converged and bgnbd.skipped_reason == clv.TOO_FEW
    assert not gamma_gamma.converged and gamma_gamma.skipped_reason == clv.TOO_FEW
    parameters = clv.parameters_frame([bgnbd, gamma_gamma])
    assert parameters["estimate"].isna().all() and len(parameters) == 7
    # columns without a value keep their types (DuckDB stores a column of Nones as "NULL")
    with duckdb.connect() as con:
        con.execute("create table stored as select * from parameters")
        types = dict(con.execute("select column_name, data_type from duckdb_columns() "
                                 "where table_name = 'stored'").fetchall())
        missing = con.execute("select count(estimate), count(log_likelihood), "
                              "count(skipped_reason) from stored").fetchone()
    assert types == {"model": "VARCHAR", "parameter": "VARCHAR", "estimate": "DOUBLE",
                     "customers": "BIGINT", "log_likelihood": "DOUBLE", "converged": "BOOLEAN",
                     "skipped_reason": "VARCHAR", "penalizer": "DOUBLE"}
    assert missing == (0, 0, 7)
    predicted = clv.predict(summary, bgnbd, gamma_gamma)
    assert predicted[clv.PREDICTION_COLUMNS[1:]].isna().all().all()


def test_the_minimum_sizes_are_edges(tmp_path: Path) -> None:
    def summary(customers: int, repeaters: int) -> pd.DataFrame:
        number = np.arange(customers)
        repeat = number < repeaters
        return pd.DataFrame({"customer_id": [f"c{i}" for i in number],
                             "repeat_purchase_days": np.where(repeat, 1 + number % 4, 0),
                             "recency_weeks": np.where(repeat, 5.0 + number % 7, 0.0),
                             "age_weeks": 20.0 + number % 11,
                             "repeat_mean_spend": np.where(repeat, 30.0 + number, np.nan)})
    assert clv.fit_bgnbd(summary(clv.MIN_CUSTOMERS - 1, 15)).skipped_reason == clv.TOO_FEW
    assert clv.fit_bgnbd(summary(clv.MIN_CUSTOMERS, 15)).skipped_reason is None
    assert clv.fit_bgnbd(summary(40, clv.MIN_REPEAT_CUSTOMERS - 1)).skipped_reason == clv.TOO_FEW
    assert clv.fit_bgnbd(summary(40, clv.MIN_REPEAT_CUSTOMERS)).skipped_reason is None
    assert clv.fit_gamma_gamma(summary(40, clv.MIN_REPEAT_CUSTOMERS - 1)).skipped_reason \
        == clv.TOO_FEW
    assert clv.fit_gamma_gamma(summary(40, clv.MIN_REPEAT_CUSTOMERS)).skipped_reason is None


def test_spend_without_heterogeneity_is_fitted_with_a_tiny_penalizer() -> None:
    # every customer spends (nearly) the same: Gamma-Gamma's maximum lies at q, v ->
    # infinity, so the unpenalised optimiser cannot converge
    frequency = 1 + np.arange(400) % 5
    spend = 50.0 + 0.01 * (np.arange(400) % 3)
    summary = pd.DataFrame({"customer_id": [f"c{i:03d}" for i in range(400)],
                            "repeat_purchase_days": frequency, "repeat_mean_spend": spend})
    fit = clv.fit_gamma_gamma(summary)
    assert fit.converged and fit.penalizer == clv.ATTEMPTS[-1][0] > 0
    fitter = clv.gamma_gamma_fitter(fit)
    expected = fitter.conditional_expected_average_profit(frequency, spend)
    assert np.allclose(expected, spend, rtol=0.01)


@pytest.mark.parametrize("penalizer", [0.0, 1e-6])
def test_the_likelihoods_and_gradients_are_lifetimes_own_to_the_last_bit(
        penalizer: float) -> None:
    # gammaln once per distinct frequency must change no bit of what the optimiser sees:
    # the same estimates as lifetimes' own likelihood, not merely close ones
    rng = np.random.default_rng(7)
    frequency = rng.integers(0, 40, 5_000).astype(float)
    age = rng.uniform(1.0, 150.0, 5_000)
    recency = np.where(frequency > 0, age * rng.uniform(0.0, 1.0, 5_000), 0.0)
    spend = rng.gamma(2.0, 30.0, 5_000)
    weights = rng.integers(1, 4, 5_000)
    cases = [(clv.bgnbd_negative_log_likelihood, BetaGeoFitter._negative_log_likelihood,
              (frequency, recency, age, weights, penalizer), 4),
             (clv.gamma_gamma_negative_log_likelihood, GammaGammaFitter._negative_log_likelihood,
              (frequency + 1, spend, np.ones(5_000), penalizer), 3)]
    for ours, theirs, args, size in cases:
        for start in (np.full(size, 0.1), rng.normal(0.0, 1.5, size)):
            value, gradient = value_and_grad(ours)(start, *args, clv.Distinct.of(args[0]))
            expected_value, expected_gradient = value_and_grad(theirs)(start, *args)
            assert value == expected_value
            assert np.array_equal(gradient, expected_gradient)


def test_the_fits_find_the_estimates_of_lifetimes_own_likelihood(
        monkeypatch: pytest.MonkeyPatch) -> None:
    summary = _cdnow_summary()
    ours = clv.fit_bgnbd(summary), clv.fit_gamma_gamma(summary)
    for fitter, theirs in ((clv.PurchaseFitter, BetaGeoFitter._negative_log_likelihood),
                           (clv.SpendFitter, GammaGammaFitter._negative_log_likelihood)):
        monkeypatch.setattr(fitter, "likelihood", staticmethod(
            lambda log_params, *args, theirs=theirs: theirs(log_params, *args[:-1])))
    assert ours == (clv.fit_bgnbd(summary), clv.fit_gamma_gamma(summary))
    assert all(fit.converged for fit in ours)
