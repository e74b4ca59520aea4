"""Probabilistic customer lifetime value: BG/NBD and Gamma-Gamma ("buy till you die").

BG/NBD (Fader, Hardie & Lee 2005) models repeat purchases and the chance a customer is
still "alive"; Gamma-Gamma (Fader, Hardie & Lee 2005b) the spend per repeat purchase.
Both are fitted with `lifetimes` (its likelihoods, evaluated faster: see the likelihoods
below) on the per-customer summary of int_customer_repeat_purchases
(frequency = repeat purchase days, recency and age T in weeks, mean repeat spend). The dbt
Python models int_clv_model_parameters and int_customer_clv call this module.

BG/NBD's likelihood depends on a customer only through (frequency, recency, T), so
customers with the same triple are fitted once with a weight (at scale L, 534,442 triples
for 782,439 customers; far fewer on data with coarser dates).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import autograd.numpy as anp
import numpy as np
import pandas as pd
from autograd import value_and_grad
from autograd.extend import defvjp, primitive
from autograd.scipy.special import gammaln
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import ConvergenceError
from scipy import special
from scipy.optimize import minimize

HORIZON_WEEKS = 365 / 7
# Fewer customers than this (or fewer repeat buyers) cannot identify four parameters: the
# fit is skipped and reported as not converged, with NULL estimates and predictions.
MIN_CUSTOMERS = 30
MIN_REPEAT_CUSTOMERS = 10
# The parameter rows' columns, typed even when a column holds no value (no fit converged;
# every fit did, so no skip reason): a column of Nones has no type, and DuckDB stores it
# as "NULL". A missing float (NaN) is NULL in DuckDB's table and in pandas-on-Spark's.
PARAMETER_TYPES = {"model": "string", "parameter": "string", "estimate": "float64",
                   "customers": "int64", "log_likelihood": "float64", "converged": "bool",
                   "skipped_reason": "string", "penalizer": "float64"}
PARAMETER_COLUMNS = list(PARAMETER_TYPES)
TOO_FEW = "too_few_customers"
PREDICTION_COLUMNS = ["customer_id", "probability_alive", "expected_purchases_365d",
                      "expected_order_value", "predicted_clv_365d"]


# How a fit is tried, in order: (penalizer, start of the optimiser in log space; None is
# lifetimes' own 0.1, gradient tolerance). BFGS can stop with "precision loss" right next
# to the optimum (default data at as_of_date 2026-03-15, gradient 1e-7): a second start at
# 0 finds it. When the maximum lies at infinity (Gamma-Gamma on spend that does not differ
# between customers: q and v grow without bound, seen on 600 generated customers), a tiny
# penalizer keeps the parameters finite; clv_model_fit reports the penalizer used. Where
# the last digits of floating point differ (another CPU's vector code), the penalised
# optimum can stop at a gradient of 3e-6 for precision loss too: the last attempt accepts
# a gradient of 1e-5, which no earlier attempt does (their estimates stay as they were).
ATTEMPTS: list[tuple[float, float | None, float]] = [
    (0.0, None, 1e-7), (0.0, 0.0, 1e-7), (1e-6, None, 1e-7), (1e-6, 0.0, 1e-7),
    (1e-6, None, 1e-5)]


@dataclass(frozen=True)
class Distinct:
    """An array's distinct values: where each first occurs, and which one each element is."""

    first: np.ndarray
    inverse: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray) -> Distinct:
        _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        return cls(first, inverse)


@primitive
def gammaln_by(x: np.ndarray, distinct: Distinct) -> np.ndarray:
    """gammaln(x) for an x equal wherever `distinct` says its elements are (x = a parameter
    + frequency): the function is evaluated once per distinct frequency (215 at scale L
    instead of 534,442 triples), each element gets the very value gammaln(x) gives."""
    return special.gammaln(x[distinct.first])[distinct.inverse]


# autograd's own derivative of gammaln (g * psi(x)), evaluated once per distinct value too
defvjp(gammaln_by, lambda ans, x, distinct: lambda g: g * special.psi(x[distinct.first])[
    distinct.inverse])


# The likelihoods below are lifetimes 0.11.3's, operation for operation (so the optimiser
# sees the same values and gradients to the last bit, and finds the same estimates), with
# gammaln of an array of frequencies replaced by gammaln_by: the special functions over
# every row were two thirds of a fit's time. test_clv pins both to lifetimes' own.
def bgnbd_negative_log_likelihood(log_params: np.ndarray, freq: np.ndarray, rec: np.ndarray,
                                  age: np.ndarray, weights: np.ndarray,
                                  penalizer_coef: float, distinct: Distinct) -> float:
    params = anp.exp(log_params)
    r, alpha, a, b = params
    a_1 = gammaln_by(r + freq, distinct) - gammaln(r) + r * anp.log(alpha)
    a_2 = (gammaln(a + b) + gammaln_by(b + freq, distinct) - gammaln(b)
           - gammaln_by(a + b + freq, distinct))
    a_3 = -(r + freq) * anp.log(alpha + age)
    a_4 = anp.log(a) - anp.log(b + anp.maximum(freq, 1) - 1) - (r + freq) * anp.log(rec + alpha)
    max_a_3_a_4 = anp.maximum(a_3, a_4)
    penalizer_term = penalizer_coef * sum(params ** 2)
    ll = weights * (a_1 + a_2 + anp.log(anp.exp(a_3 - max_a_3_a_4)
                                        + anp.exp(a_4 - max_a_3_a_4) * (freq > 0)) + max_a_3_a_4)
    return -ll.sum() / weights.sum() + penalizer_term


def gamma_gamma_negative_log_likelihood(log_params: np.ndarray, frequency: np.ndarray,
                                        avg_monetary_value: np.ndarray, weights: np.ndarray,
                                        penalizer_coef: float, distinct: Distinct) -> float:
    params = anp.exp(log_params)
    p, q, v = params
    x = frequency
    m = avg_monetary_value
    negative_log_likelihood_values = (
        gammaln_by(p * x + q, distinct)
        - gammaln_by(p * x, distinct)
        - gammaln(q)
        + q * anp.log(v)
        + (p * x - 1) * anp.log(m)
        + (p * x) * anp.log(x)
        - (p * x + q) * anp.log(x * m + v)
    ) * weights
    penalizer_term = penalizer_coef * sum(params ** 2)
    return -negative_log_likelihood_values.sum() / weights.sum() + penalizer_term


class _WithoutHessian:
    """lifetimes' own optimiser call, on the likelihood above, without the Hessian it then
    computes for standard errors this project never reads (a quarter of a fit's time at
    scale L): the same minimize call, so the same estimates; standard errors read as NaN."""

    likelihood: Callable[..., float]

    def _fit(self, minimizing_function_args: tuple, initial_params: np.ndarray | None,
             params_size: int, disp: bool, tol: float = 1e-7, bounds: object = None,
             **kwargs: object) -> tuple[np.ndarray, float, np.ndarray]:
        # both models' first argument is the frequency
        distinct = Distinct.of(minimizing_function_args[0])
        output = minimize(value_and_grad(type(self).likelihood), jac=True, method=None,
                          tol=tol, x0=(0.1 * np.ones(params_size) if initial_params is None
                                       else initial_params),
                          args=(*minimizing_function_args, distinct),
                          options={"disp": disp, **kwargs}, bounds=bounds)
        if not output.success:
            raise ConvergenceError(f"the optimiser did not converge: {output.message}")
        return output.x, output.fun, np.full((params_size, params_size), np.nan)


class PurchaseFitter(_WithoutHessian, BetaGeoFitter):
    """BG/NBD (lifetimes' BetaGeoFitter) without the Hessian."""

    likelihood = staticmethod(bgnbd_negative_log_likelihood)


class SpendFitter(_WithoutHessian, GammaGammaFitter):
    """Gamma-Gamma (lifetimes' GammaGammaFitter) without the Hessian."""

    likelihood = staticmethod(gamma_gamma_negative_log_likelihood)


Fitter = TypeVar("Fitter", PurchaseFitter, SpendFitter)


def as_pandas(relation: object, order_by: str | None = None) -> pd.DataFrame:
    """A dbt Python model's input as pandas: a DuckDB relation (.df()) or a Spark
    DataFrame (.toPandas()), sorted by the engine when order_by names a column."""
    if order_by is not None:
        sort = getattr(relation, "orderBy", None) or relation.order  # type: ignore[attr-defined]
        relation = sort(order_by)
    to_pandas = getattr(relation, "toPandas", None) or relation.df  # type: ignore[attr-defined]
    return to_pandas()


def _fit_attempts(make: Callable[[float], Fitter],
                  fit: Callable[[Fitter, np.ndarray | None, float], object],
                  size: int) -> tuple[Fitter, float] | None:
    """The first attempt whose optimiser converges: the fitted model and its penalizer."""
    for penalizer, start, tolerance in ATTEMPTS:
        fitter = make(penalizer)
        try:
            # lifetimes prints the optimiser's state when it fails: not for the build log
            with contextlib.redirect_stdout(io.StringIO()):
                fit(fitter, None if start is None else np.full(size, start), tolerance)
            return fitter, penalizer
        except ConvergenceError:
            continue
    return None


@dataclass(frozen=True)
class ModelFit:
    """One fitted model: its parameters, the customers it saw and its log-likelihood."""

    model: str
    parameters: dict[str, float]
    customers: int
    log_likelihood: float | None
    converged: bool
    skipped_reason: str | None = None
    penalizer: float = 0.0


def _repeat_spenders(summary: pd.DataFrame) -> pd.DataFrame:
    """Customers whose repeat purchases carry a positive mean spend (Gamma-Gamma's domain),
    in customer order: the database returns rows in any order, and floating-point sums in
    another order give estimates that differ in the last digits. On a summary the engine
    has already sorted (int_clv_model_parameters) the stable sort only confirms the order:
    0.09 s against 0.5 s for 595,603 repeat spenders at scale L."""
    spend = summary["repeat_mean_spend"]
    spenders = summary[(summary["repeat_purchase_days"] > 0) & spend.notna() & (spend > 0)]
    return spenders.sort_values("customer_id", kind="stable")


def fit_bgnbd(summary: pd.DataFrame) -> ModelFit:
    names = ["r", "alpha", "a", "b"]
    customers = len(summary)
    repeaters = int((summary["repeat_purchase_days"] > 0).sum())
    if customers < MIN_CUSTOMERS or repeaters < MIN_REPEAT_CUSTOMERS:
        return ModelFit("bg_nbd", dict.fromkeys(names, float("nan")), customers, None, False,
                        TOO_FEW)
    triples = (summary.groupby(["repeat_purchase_days", "recency_weeks", "age_weeks"])
               .size().rename("weight").reset_index())
    fitted = _fit_attempts(lambda penalizer: PurchaseFitter(penalizer_coef=penalizer),
                           lambda fitter, start, tolerance: fitter.fit(
                               triples["repeat_purchase_days"], triples["recency_weeks"],
                               triples["age_weeks"], weights=triples["weight"],
                               initial_params=start, tol=tolerance), 4)
    if fitted is None:
        return ModelFit("bg_nbd", dict.fromkeys(names, float("nan")), customers, None, False)
    fitter, penalizer = fitted
    parameters = {name: float(fitter.params_[name]) for name in names}
    # lifetimes reports the mean over customers in its internally rescaled time unit; the
    # paper's figure (-9,582.4 on CDNOW) is the total in weeks
    log_likelihood = -float(BetaGeoFitter._negative_log_likelihood(
        np.log([parameters[name] for name in names]), triples["repeat_purchase_days"].to_numpy(),
        triples["recency_weeks"].to_numpy(), triples["age_weeks"].to_numpy(),
        triples["weight"].to_numpy(), 0.0)) * float(triples["weight"].sum())
    return ModelFit("bg_nbd", parameters, customers, log_likelihood, True, None, penalizer)


def fit_gamma_gamma(summary: pd.DataFrame) -> ModelFit:
    names = ["p", "q", "v"]
    spenders = _repeat_spenders(summary)
    if len(spenders) < MIN_REPEAT_CUSTOMERS:
        return ModelFit("gamma_gamma", dict.fromkeys(names, float("nan")), len(spenders),
                        None, False, TOO_FEW)
    fitted = _fit_attempts(lambda penalizer: SpendFitter(penalizer_coef=penalizer),
                           lambda fitter, start, tolerance: fitter.fit(
                               spenders["repeat_purchase_days"], spenders["repeat_mean_spend"],
                               initial_params=start, tol=tolerance), 3)
    if fitted is None:
        return ModelFit("gamma_gamma", dict.fromkeys(names, float("nan")), len(spenders),
                        None, False)
    fitter, penalizer = fitted
    parameters = {name: float(fitter.params_[name]) for name in names}
    # the total over customers without the penalty (lifetimes reports the penalised mean)
    log_likelihood = -float(GammaGammaFitter._negative_log_likelihood(
        np.log([parameters[name] for name in names]),
        spenders["repeat_purchase_days"].to_numpy(), spenders["repeat_mean_spend"].to_numpy(),
        np.ones(len(spenders)), 0.0)) * len(spenders)
    return ModelFit("gamma_gamma", parameters, len(spenders), log_likelihood, True, None,
                    penalizer)


def parameters_frame(fits: list[ModelFit]) -> pd.DataFrame:
    rows = [{"model": fit.model, "parameter": name,
             "estimate": value if fit.converged else None, "customers": fit.customers,
             "log_likelihood": fit.log_likelihood, "converged": fit.converged,
             "skipped_reason": fit.skipped_reason, "penalizer": fit.penalizer}
            for fit in fits for name, value in fit.parameters.items()]
    return pd.DataFrame(rows, columns=PARAMETER_COLUMNS).astype(PARAMETER_TYPES)


def fits_from_parameters(parameters: pd.DataFrame) -> dict[str, ModelFit]:
    """The fitted models back from their parameter rows (as int_clv_model_parameters holds)."""
    fits = {}
    for model, rows in parameters.groupby("model"):
        fits[str(model)] = ModelFit(
            str(model), dict(zip(rows["parameter"], rows["estimate"].astype(float), strict=True)),
            int(rows["customers"].iloc[0]), rows["log_likelihood"].iloc[0],
            bool(rows["converged"].all()), rows["skipped_reason"].iloc[0],
            float(rows["penalizer"].iloc[0]))
    return fits


def bgnbd_fitter(fit: ModelFit) -> BetaGeoFitter:
    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series(fit.parameters)[["r", "alpha", "a", "b"]]
    return fitter


def gamma_gamma_fitter(fit: ModelFit) -> GammaGammaFitter:
    fitter = GammaGammaFitter()
    fitter.params_ = pd.Series(fit.parameters)[["p", "q", "v"]]
    return fitter


def predict(summary: pd.DataFrame, bgnbd: ModelFit, gamma_gamma: ModelFit,
            horizon_weeks: float = HORIZON_WEEKS) -> pd.DataFrame:
    """Per customer: P(alive) on as_of_date, expected purchases in the next 365 days,
    expected spend per purchase and their product, the 365-day CLV (undiscounted)."""
    result = pd.DataFrame({"customer_id": summary["customer_id"].to_numpy()})
    for column in PREDICTION_COLUMNS[1:]:
        result[column] = np.nan
    if not bgnbd.converged or summary.empty:
        return result
    frequency = summary["repeat_purchase_days"].to_numpy()
    recency = summary["recency_weeks"].to_numpy()
    age = summary["age_weeks"].to_numpy()
    purchases = bgnbd_fitter(bgnbd)
    result["probability_alive"] = np.clip(
        purchases.conditional_probability_alive(frequency, recency, age), 0.0, 1.0)
    result["expected_purchases_365d"] = np.maximum(
        purchases.conditional_expected_number_of_purchases_up_to_time(
            horizon_weeks, frequency, recency, age), 0.0)
    if gamma_gamma.converged:
        spend = summary["repeat_mean_spend"].to_numpy()
        # without a positive repeat spend a customer gets the population's expected spend
        usable = (frequency > 0) & ~np.isnan(spend) & (np.nan_to_num(spend) > 0)
        result["expected_order_value"] = np.asarray(
            gamma_gamma_fitter(gamma_gamma).conditional_expected_average_profit(
                np.where(usable, frequency, 0), np.where(usable, spend, 1.0)), dtype=float)
        result["predicted_clv_365d"] = (result["expected_purchases_365d"]
                                        * result["expected_order_value"])
    return result
