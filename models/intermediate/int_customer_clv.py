"""Per customer with a purchase: probability alive, expected purchases and spend, and the
365-day CLV, from the parameters fitted by int_clv_model_parameters."""

from typing import Any

import pandas as pd

from loyalty_warehouse import clv


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    summary = clv.as_pandas(dbt.ref("int_customer_repeat_purchases"))
    fits = clv.fits_from_parameters(clv.as_pandas(dbt.ref("int_clv_model_parameters")))
    return clv.predict(summary, fits["bg_nbd"], fits["gamma_gamma"])
