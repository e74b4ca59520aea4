"""BG/NBD and Gamma-Gamma fitted as of as_of_date: one row per model parameter.

The fitting lives in loyalty_warehouse.clv (typed, unit-tested); this model only feeds it
the repeat-purchase summary. On Spark the model runs in the dbt process's own session
(loyalty_warehouse.spark_dbt).
"""

from typing import Any

import pandas as pd

from loyalty_warehouse import clv


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    summary = clv.as_pandas(dbt.ref("int_customer_repeat_purchases"), order_by="customer_id")
    return clv.parameters_frame([clv.fit_bgnbd(summary), clv.fit_gamma_gamma(summary)])
