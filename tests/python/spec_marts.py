"""The public marts worked out with pandas from raw files by SPEC sections 2 and 4: not the
project's SQL, macros or intermediate models. Only the reference seeds (RFM grid, health
bands, reason groups) are read from the project, as configuration.

Money is summed in integer cents, so sums are exact. Rows dated after as_of_date are left
out (SPEC 2: the world as seen on as_of_date); a response or resolution after it has not
happened yet.
"""

from __future__ import annotations

import math
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .conftest import ROOT

W = 180  # churn_window_days
SLA_HOURS = 24
ATTRIBUTION_DAYS = 30
REFERENCE = ROOT / "seeds" / "reference"
DAY = pd.Timedelta(days=1)


def utc(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column.replace("", None), utc=True, format="ISO8601") \
        .dt.tz_localize(None)


def pct(numerator: float, denominator: float) -> float | None:
    return None if not denominator else 100 * numerator / denominator


def percentile(values: pd.Series, fraction: float) -> float | None:
    """Continuous (linearly interpolated) percentile of the values present."""
    present = values.dropna().to_numpy(dtype=float)
    return float(np.percentile(present, 100 * fraction)) if len(present) else None


def first_response_bucket(hours: float) -> str:
    if hours is None or math.isnan(hours):
        return "no response"
    for edge, name in ((1, "< 1 h"), (4, "1-4 h"), (24, "4-24 h"), (72, "1-3 days")):
        if hours < edge:
            return name
    return "> 3 days"


def nps_band(score: float) -> str | None:
    if score is None or math.isnan(score):
        return None
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


class Spec:
    """Raw tables of one data folder (file names `<prefix><table>.csv`) seen on as_of."""

    def __init__(self, folder: Path, as_of: pd.Timestamp, prefix: str = "") -> None:
        self.folder, self.prefix, self.as_of = folder, prefix, as_of.normalize()

    def raw(self, table: str) -> pd.DataFrame:
        path = self.folder / f"{self.prefix}{table}.csv"
        if not path.exists():
            return pd.DataFrame()
        return pd.read_csv(path, dtype=str, keep_default_na=False)

    def known(self, frame: pd.DataFrame, column: str) -> pd.DataFrame:
        frame[column] = utc(frame[column])
        return frame[frame[column].dt.normalize() <= self.as_of].copy()

    # ---- raw tables, typed ----------------------------------------------------------
    @cached_property
    def customers(self) -> pd.DataFrame:
        customers = self.known(self.raw("customers"), "created_at")
        for column in ("country", "acquisition_channel"):
            customers[column] = customers[column].replace("", "unknown")
        return customers.set_index("customer_id", drop=False)

    @cached_property
    def orders(self) -> pd.DataFrame:
        orders = self.known(self.raw("orders"), "ordered_at")
        orders["date"] = orders["ordered_at"].dt.normalize()
        orders["month"] = orders["date"].dt.to_period("M").dt.to_timestamp()
        cents = {c: (orders[c].replace("", "0").astype(float) * 100).round().astype(int)
                 for c in ("gross_amount", "discount_amount", "refunded_amount")}
        orders["is_purchase"] = orders["status"] == "completed"
        net = cents["gross_amount"] - cents["discount_amount"] - cents["refunded_amount"]
        orders["net_cents"] = np.where(orders["is_purchase"], net, 0)
        return orders

    @cached_property
    def purchases(self) -> pd.DataFrame:
        return self.orders[self.orders["is_purchase"]] \
            .sort_values(["customer_id", "ordered_at", "order_id"])

    @cached_property
    def responses(self) -> pd.DataFrame:
        responses = self.known(self.raw("survey_responses"), "responded_at")
        responses["score"] = pd.to_numeric(responses["score"].replace("", None))
        responses["month"] = responses["responded_at"].dt.to_period("M").dt.to_timestamp()
        responses["nps_band"] = [nps_band(s) if t == "nps" else None
                                 for s, t in zip(responses["score"], responses["survey_type"],
                                                 strict=True)]
        nps = responses[responses["survey_type"] == "nps"].sort_values(
            ["responded_at", "response_id"])
        counted = nps.groupby(["customer_id", "month"]).tail(1).index
        responses["is_counted_nps"] = responses.index.isin(counted)
        return responses

    @cached_property
    def tickets(self) -> pd.DataFrame:
        tickets = self.known(self.raw("support_tickets"), "opened_at")
        for column in ("first_response_at", "resolved_at"):
            stamps = utc(tickets[column])
            tickets[column] = stamps.where(stamps.dt.normalize() <= self.as_of)
        tickets["hours"] = (tickets["first_response_at"] - tickets["opened_at"]) \
            .dt.total_seconds() / 3600
        tickets["resolution_hours"] = (tickets["resolved_at"] - tickets["opened_at"]) \
            .dt.total_seconds() / 3600
        tickets["date"] = tickets["opened_at"].dt.normalize()
        tickets["month"] = tickets["date"].dt.to_period("M").dt.to_timestamp()
        tickets["resolved"] = tickets["resolved_at"].notna()
        tickets["fcr"] = tickets["resolved"] & (tickets["contacts_count"].astype(int) == 1) \
            & (tickets["reopened_count"].astype(int) == 0)
        ordered = tickets.sort_values(["customer_id", "opened_at", "ticket_id"])
        previous = ordered.groupby("customer_id")["opened_at"].shift()
        tickets["repeat"] = (previous >= ordered["opened_at"] - pd.Timedelta(days=30)) \
            .reindex(tickets.index)
        tickets["bot"] = tickets["handled_by_bot"].str.lower() == "true"
        tickets["bucket"] = [first_response_bucket(h) for h in tickets["hours"]]
        return tickets

    @cached_property
    def events(self) -> pd.DataFrame:
        events = self.known(self.raw("loyalty_events"), "occurred_at")
        events["points"] = pd.to_numeric(events["points"].replace("", None)).fillna(0)
        events["month"] = events["occurred_at"].dt.to_period("M").dt.to_timestamp()
        return events

    # ---- activity ------------------------------------------------------------------
    @cached_property
    def purchase_days(self) -> pd.DataFrame:
        return self.purchases[["customer_id", "date"]].drop_duplicates() \
            .sort_values(["customer_id", "date"]).reset_index(drop=True)

    @cached_property
    def spells(self) -> pd.DataFrame:
        """Runs of purchase days with gaps of at most W days; the churn date W days after
        the last one."""
        days = self.purchase_days.copy()
        gap = (days["date"] - days.groupby("customer_id")["date"].shift()).dt.days
        days["starts"] = gap.isna() | (gap > W)
        days["reactivation"] = gap > W
        days["spell"] = days.groupby("customer_id")["starts"].cumsum()
        spells = days.groupby(["customer_id", "spell"]).agg(
            start=("date", "min"), last=("date", "max"),
            reactivation=("reactivation", "first")).reset_index()
        spells["churn_date"] = spells["last"] + W * DAY
        spells["churned"] = spells["churn_date"] <= self.as_of
        spells["came_back"] = spells.groupby("customer_id")["start"].shift(-1) \
            .fillna(self.as_of + DAY)
        return spells

    def active_on(self, day: pd.Timestamp) -> pd.Index:
        days = self.purchase_days
        window = days[(days["date"] > day - W * DAY) & (days["date"] <= day)]
        return pd.Index(window["customer_id"].unique())

    @cached_property
    def months(self) -> pd.DataFrame:
        first = self.orders["month"].min()
        months = pd.DataFrame({"month": pd.date_range(first, self.as_of, freq="MS")})
        months["period_end"] = (months["month"] + pd.offsets.MonthEnd(0)).clip(upper=self.as_of)
        return months

    @cached_property
    def buyers(self) -> pd.DataFrame:
        purchases = self.purchases
        numbered = purchases.assign(n=purchases.groupby("customer_id").cumcount() + 1)
        summary = purchases.groupby("customer_id").agg(
            first_order_at=("ordered_at", "min"), last_order_at=("ordered_at", "max"),
            first_date=("date", "min"), last_date=("date", "max"),
            orders_count=("order_id", "size"), net_cents=("net_cents", "sum"))
        summary["second_date"] = numbered[numbered["n"] == 2].set_index("customer_id")["date"]
        summary["cohort_month"] = summary["first_date"].dt.to_period("M").dt.to_timestamp()
        recent = purchases[purchases["date"] > self.as_of - 365 * DAY]
        summary["orders_last_365_days"] = recent.groupby("customer_id").size()
        summary["orders_last_365_days"] = summary["orders_last_365_days"].fillna(0).astype(int)
        return summary

    @cached_property
    def churns(self) -> pd.DataFrame:
        """Every churn known on as_of with the latest exit reason given between the last
        purchase and the return (or as_of)."""
        churns = self.spells[self.spells["churned"]].copy()
        exits = self.responses[self.responses["survey_type"] == "exit"] \
            .sort_values(["responded_at", "response_id"])
        joined = churns.merge(exits[["customer_id", "responded_at", "reason_code"]],
                              on="customer_id")
        answered_on = joined["responded_at"].dt.normalize()
        joined = joined[(answered_on > joined["last"]) & (answered_on < joined["came_back"])]
        latest = joined.groupby(["customer_id", "spell"]).tail(1) \
            .set_index(["customer_id", "spell"])["reason_code"]
        churns = churns.set_index(["customer_id", "spell"])
        churns["reason_code"] = latest
        churns["churn_month"] = churns["churn_date"].dt.to_period("M").dt.to_timestamp()
        return churns.reset_index()

    @cached_property
    def reason_groups(self) -> dict[str, str]:
        groups = pd.read_csv(REFERENCE / "churn_reason_groups.csv", dtype=str)
        return dict(zip(groups["reason_code"], groups["reason_group"], strict=True))

    # ---- loyalty programme ------------------------------------------------------------
    @cached_property
    def tier_spells(self) -> pd.DataFrame:
        changes = self.events[self.events["event_type"].isin(["join", "tier_change"])] \
            .sort_values(["customer_id", "occurred_at", "event_id"])
        changes = changes.assign(
            valid_to=changes.groupby("customer_id")["occurred_at"].shift(-1),
            number=changes.groupby("customer_id").cumcount() + 1)
        return changes

    @cached_property
    def members(self) -> pd.DataFrame:
        events = self.events
        members = events.groupby("customer_id").agg(points_balance=("points", "sum"))
        joins = events[events["event_type"] == "join"].groupby("customer_id")["occurred_at"].min()
        tiers = self.tier_spells
        first_tier = tiers[tiers["number"] == 1].set_index("customer_id")["occurred_at"]
        members["joined_at"] = joins.reindex(members.index).fillna(first_tier)
        members["tier"] = tiers[tiers["valid_to"].isna()].set_index("customer_id")["tier"]
        return members

    def member_in_month(self, customer_ids: pd.Series, period_end: pd.Series) -> pd.Series:
        joined = self.members["joined_at"].dt.normalize().reindex(customer_ids).to_numpy()
        return pd.Series(joined <= period_end.to_numpy(), index=customer_ids.index)

    # ---- the marts ------------------------------------------------------------------
    def customer_month_flows(self) -> pd.DataFrame:
        """Per customer and month: active at start and end, entered new or reactivated,
        churned (SPEC 4.2), for every customer-month with any of them."""
        rows = []
        spells = self.spells
        for month in self.months.itertuples():
            start_day = month.month - DAY
            flags = pd.DataFrame(index=self.active_on(start_day).union(
                self.active_on(month.period_end)))
            flags["start"] = flags.index.isin(self.active_on(start_day))
            flags["end"] = flags.index.isin(self.active_on(month.period_end))
            began = spells[(spells["start"] >= month.month) & (spells["start"] <= month.period_end)]
            ended = spells[spells["churned"] & (spells["churn_date"] >= month.month)
                           & (spells["churn_date"] <= month.period_end)]
            new = began.loc[~began["reactivation"], "customer_id"]
            back = began.loc[began["reactivation"], "customer_id"]
            flags = flags.reindex(flags.index.union(pd.Index(began["customer_id"]))
                                  .union(pd.Index(ended["customer_id"]))).fillna(False)
            flags["new"] = flags.index.isin(new)
            flags["reactivated"] = flags.index.isin(back)
            flags["churned"] = flags.index.isin(ended["customer_id"])
            rows.append(flags.assign(month=month.month, period_end=month.period_end))
        flows = pd.concat(rows).rename_axis("customer_id").reset_index()
        return flows.astype({c: bool for c in ("start", "end", "new", "reactivated", "churned")})

    def loyalty_metrics_monthly(self) -> pd.DataFrame:
        flows = self.customer_month_flows().groupby("month")[
            ["start", "new", "reactivated", "churned", "end"]].sum()
        purchases, orders = self.purchases, self.orders
        buyers, responses, tickets = self.buyers, self.responses, self.tickets
        nps = responses[responses["is_counted_nps"]]
        csat = responses[responses["survey_type"] == "csat"]
        ces = responses[responses["survey_type"] == "ces"]
        churns = self.churns
        rows = []
        for month in self.months.itertuples():
            m, end = month.month, month.period_end
            f = flows.reindex([m]).fillna(0).iloc[0].astype(int)
            bought = purchases[purchases["month"] == m]
            n_orders = len(bought)
            returned = int(((orders["month"] == m) & (orders["status"] == "returned")).sum())
            t = tickets[tickets["month"] == m]
            n = nps[nps["month"] == m]
            p = int((n["nps_band"] == "promoter").sum())
            d = int((n["nps_band"] == "detractor").sum())
            c, e = csat[csat["month"] == m], ces[ces["month"] == m]
            ch = churns[churns["churn_month"] == m]
            with_purchase = int((buyers["first_date"] <= end).sum())
            with_repeat = int((buyers["second_date"] <= end).sum())
            resolved = int(t["resolved"].sum())
            responded = int(t["hours"].notna().sum())
            moe = None
            if len(n):
                share_p, share_d = p / len(n), d / len(n)
                moe = 1.96 * 100 * math.sqrt(
                    max(share_p + share_d - (share_p - share_d) ** 2, 0) / len(n))
            rows.append({
                "month": m, "period_end_date": end,
                "is_partial_month": end < m + pd.offsets.MonthEnd(0),
                "customers_start": f["start"], "new_customers": f["new"],
                "reactivated_customers": f["reactivated"], "churned_customers": f["churned"],
                "customers_end": f["end"],
                "retention_rate": pct(f["end"] - f["new"] - f["reactivated"], f["start"]),
                "churn_rate": pct(f["churned"], f["start"]),
                "customers_with_purchase": with_purchase,
                "customers_with_repeat_purchase": with_repeat,
                "repeat_purchase_rate": pct(with_repeat, with_purchase),
                "orders": n_orders, "net_revenue": bought["net_cents"].sum() / 100,
                "purchasing_customers": bought["customer_id"].nunique(),
                "average_order_value": bought["net_cents"].sum() / 100 / n_orders
                if n_orders else None,
                "purchase_frequency": n_orders / bought["customer_id"].nunique()
                if n_orders else None,
                "returned_orders": returned,
                "return_rate": pct(returned, n_orders + returned),
                "quality_tickets": int((t["category"] == "product_quality").sum()),
                "quality_complaint_rate": pct(int((t["category"] == "product_quality").sum()),
                                              n_orders),
                "nps_responses": len(n), "promoters": p,
                "passives": int((n["nps_band"] == "passive").sum()), "detractors": d,
                "nps": pct(p - d, len(n)), "nps_margin_of_error": moe,
                "csat_responses": len(c), "csat_rate": pct(int((c["score"] >= 4).sum()), len(c)),
                "csat_average": c["score"].mean() if len(c) else None,
                "ces_responses": len(e), "ces_average": e["score"].mean() if len(e) else None,
                "tickets": len(t),
                "median_first_response_hours": percentile(t["hours"], 0.5),
                "p90_first_response_hours": percentile(t["hours"], 0.9),
                "median_resolution_hours": percentile(t["resolution_hours"], 0.5),
                "first_contact_resolution_rate": pct(int(t["fcr"].sum()), resolved),
                "repeat_contact_rate": pct(int(t["repeat"].fillna(False).sum()), len(t)),
                "sla_breach_rate": pct(int((t["hours"] > SLA_HOURS).sum()), responded),
                "bot_resolution_share": pct(int((t["resolved"] & t["bot"]).sum()), resolved),
                "churn_reason_known_rate": pct(int(ch["reason_code"].notna().sum()), len(ch)),
            })
        return pd.DataFrame(rows)

    def customer_cohorts(self) -> pd.DataFrame:
        buyers, purchases = self.buyers, self.purchases
        cohort_of = buyers["cohort_month"]
        bought = purchases.assign(cohort=purchases["customer_id"].map(cohort_of))
        rows = []
        for cohort, size in cohort_of.value_counts().sort_index().items():
            of_cohort = bought[bought["cohort"] == cohort]
            cumulative = 0
            for k, month in enumerate(pd.date_range(cohort, self.as_of, freq="MS")):
                in_month = of_cohort[of_cohort["month"] == month]
                cumulative += int(in_month["net_cents"].sum())
                active = in_month["customer_id"].nunique()
                rows.append({
                    "cohort_month": cohort, "months_since_first_order": k,
                    "activity_month": month, "cohort_size": size, "active_customers": active,
                    "retention_rate": pct(active, size),
                    "net_revenue": in_month["net_cents"].sum() / 100,
                    "cumulative_net_revenue": cumulative / 100,
                    "revenue_per_cohort_customer": cumulative / 100 / size,
                })
        return pd.DataFrame(rows)

    def customer_cohorts_by_segment(self) -> pd.DataFrame:
        buyers, purchases, customers = self.buyers, self.purchases, self.customers
        segment = pd.DataFrame({
            "cohort_month": buyers["cohort_month"],
            "country": customers["country"].reindex(buyers.index),
            "acquisition_channel": customers["acquisition_channel"].reindex(buyers.index),
            "is_loyalty_member": buyers.index.isin(self.members.index),
        })
        keys = ["cohort_month", "country", "acquisition_channel", "is_loyalty_member"]
        sizes = segment.groupby(keys).size().rename("cohort_size").reset_index()
        months = pd.DataFrame({"activity_month": pd.date_range(
            sizes["cohort_month"].min(), self.as_of, freq="MS")})
        cells = sizes.merge(months, how="cross")
        cells = cells[cells["activity_month"] >= cells["cohort_month"]]
        cells["months_since_first_order"] = (
            (cells["activity_month"].dt.year - cells["cohort_month"].dt.year) * 12
            + cells["activity_month"].dt.month - cells["cohort_month"].dt.month)
        bought = purchases.join(segment, on="customer_id")
        activity = bought.groupby([*keys, "month"]).agg(
            active_customers=("customer_id", "nunique"), net_cents=("net_cents", "sum")) \
            .reset_index().rename(columns={"month": "activity_month"})
        cells = cells.merge(activity, on=[*keys, "activity_month"], how="left")
        cells["active_customers"] = cells["active_customers"].fillna(0).astype(int)
        cells["net_revenue"] = cells["net_cents"].fillna(0) / 100
        return cells.drop(columns="net_cents")

    def loyalty_segments_monthly(self) -> pd.DataFrame:
        """Additive counts per month, country, channel and membership in the month."""
        months = self.months.set_index("month")["period_end"]
        flows = self.customer_month_flows().rename(columns={
            "start": "customers_start", "new": "new_customers",
            "reactivated": "reactivated_customers", "churned": "churned_customers",
            "end": "customers_end"}).drop(columns="period_end")
        purchases = self.purchases.groupby(["customer_id", "month"]).agg(
            orders=("order_id", "size"), net_cents=("net_cents", "sum")).reset_index()
        purchases["purchasing_customers"] = 1
        buyers = self.buyers
        to_date = buyers[["first_date", "second_date"]].reset_index().merge(
            self.months, how="cross")
        to_date = to_date[to_date["first_date"] <= to_date["period_end"]]
        to_date["customers_with_purchase"] = 1
        to_date["customers_with_repeat_purchase"] = (
            to_date["second_date"] <= to_date["period_end"]).astype(int)
        responses = self.responses
        surveys = pd.DataFrame({
            "customer_id": responses["customer_id"], "month": responses["month"],
            "nps_responses": responses["is_counted_nps"],
            "promoters": responses["is_counted_nps"] & (responses["nps_band"] == "promoter"),
            "passives": responses["is_counted_nps"] & (responses["nps_band"] == "passive"),
            "detractors": responses["is_counted_nps"] & (responses["nps_band"] == "detractor"),
            "csat_responses": responses["survey_type"] == "csat",
            "satisfied_responses": (responses["survey_type"] == "csat") & (responses["score"] >= 4),
        })
        counts = pd.concat([flows, purchases,
                            to_date[["customer_id", "month", "customers_with_purchase",
                                     "customers_with_repeat_purchase"]], surveys])
        counts = counts[counts["customer_id"].isin(self.customers.index)]
        counts = counts.fillna(0)
        counts["country"] = counts["customer_id"].map(self.customers["country"])
        counts["acquisition_channel"] = counts["customer_id"].map(
            self.customers["acquisition_channel"])
        counts["is_loyalty_member"] = self.member_in_month(
            counts["customer_id"], counts["month"].map(months))
        keys = ["month", "country", "acquisition_channel", "is_loyalty_member"]
        summed = counts.drop(columns="customer_id").groupby(keys).sum().reset_index()
        summed["net_revenue"] = summed.pop("net_cents") / 100
        return summed

    def loyalty_program_monthly(self) -> pd.DataFrame:
        segments = self.loyalty_segments_monthly().rename(
            columns={"is_loyalty_member": "is_member"})
        measures = ["customers_with_purchase", "customers_with_repeat_purchase", "orders",
                    "net_revenue", "purchasing_customers", "customers_start", "churned_customers"]
        groups = self.months[["month"]].merge(pd.DataFrame({"is_member": [True, False]}),
                                              how="cross")
        activity = segments.groupby(["month", "is_member"])[measures].sum().reset_index()
        frame = groups.merge(activity, on=["month", "is_member"], how="left")
        frame[measures] = frame[measures].astype(float).fillna(0)
        frame["repeat_purchase_rate"] = [pct(a, b) for a, b in zip(
            frame["customers_with_repeat_purchase"], frame["customers_with_purchase"], strict=True)]
        frame["average_order_value"] = [a / b if b else None for a, b in zip(
            frame["net_revenue"], frame["orders"], strict=True)]
        frame["purchase_frequency"] = [a / b if b else None for a, b in zip(
            frame["orders"], frame["purchasing_customers"], strict=True)]
        frame["churn_rate"] = [pct(a, b) for a, b in zip(
            frame["churned_customers"], frame["customers_start"], strict=True)]
        events = self.events
        points = events.groupby("month").apply(lambda g: pd.Series({
            "points_earned": g.loc[g["event_type"] == "earn", "points"].sum(),
            "points_redeemed": -g.loc[g["event_type"] == "redeem", "points"].sum(),
            "points_expired": -g.loc[g["event_type"] == "expire", "points"].sum()}),
            include_groups=False)
        tiers = self.tier_spells
        for column in ("points_earned", "points_redeemed", "points_expired"):
            frame[column] = frame["month"].map(points[column]).fillna(0)
        frame["redemption_rate"] = [pct(a, b) for a, b in zip(
            frame["points_redeemed"], frame["points_earned"], strict=True)]
        period_end = frame["month"].map(self.months.set_index("month")["period_end"])
        for tier in ("bronze", "silver", "gold", "platinum"):
            held = tiers[tiers["tier"] == tier]
            frame[f"{tier}_members"] = [int(((held["occurred_at"].dt.normalize() <= end) & (
                held["valid_to"].isna() | (held["valid_to"].dt.normalize() > end))).sum())
                for end in period_end]
        programme = [c for c in frame.columns if c.startswith("points_")
                     or c.endswith("_members") or c == "redemption_rate"]
        frame[programme] = frame[programme].astype(object).where(frame["is_member"], None)
        return frame

    def churn_reasons_monthly(self) -> pd.DataFrame:
        churns = self.churns.assign(reason_code=self.churns["reason_code"].fillna("unknown"))
        counts = churns.groupby(["churn_month", "reason_code"]).size() \
            .rename("churned_customers").reset_index().rename(columns={"churn_month": "month"})
        totals = counts.groupby("month")["churned_customers"].sum()
        known = counts[counts["reason_code"] != "unknown"] \
            .groupby("month")["churned_customers"].sum()
        counts["reason_group"] = counts["reason_code"].map(self.reason_groups).fillna("unknown")
        month_total = counts["month"].map(totals)
        month_known = counts["month"].map(known).fillna(0)
        counts["share_of_churned_rate"] = 100 * counts["churned_customers"] / month_total
        counts["share_of_known_reasons_rate"] = [
            None if reason == "unknown" else pct(n, k) for reason, n, k in zip(
                counts["reason_code"], counts["churned_customers"], month_known, strict=True)]
        counts["known_reason_rate"] = 100 * month_known / month_total
        return counts

    def support_experience_churn(self) -> pd.DataFrame:
        tickets = self.tickets[self.tickets["date"] <= self.as_of - W * DAY]
        days = self.purchase_days
        by_customer = {c: g["date"].to_numpy() for c, g in days.groupby("customer_id")}
        empty = np.array([], dtype="datetime64[ns]")
        bought_after = []
        for customer, opened in zip(tickets["customer_id"], tickets["date"], strict=True):
            dates = by_customer.get(customer, empty)
            bought_after.append(bool(((dates > np.datetime64(opened))
                                      & (dates <= np.datetime64(opened + W * DAY))).any()))
        tickets = tickets.assign(churned=~np.array(bought_after, dtype=bool))
        nps = self.responses[(self.responses["survey_type"] == "nps")
                             & (self.responses["ticket_id"] != "")]
        rows = []
        for bucket, group in tickets.groupby("bucket"):
            answers = nps[nps["ticket_id"].isin(group["ticket_id"])]
            rows.append({
                "first_response_bucket": bucket, "tickets": len(group),
                "customers": group["customer_id"].nunique(),
                "churned_after_ticket": int(group["churned"].sum()),
                "churn_rate": pct(int(group["churned"].sum()), len(group)),
                "median_first_response_hours": percentile(group["hours"], 0.5),
                "nps_responses": len(answers),
                "detractor_rate": pct(int((answers["nps_band"] == "detractor").sum()),
                                      len(answers)),
            })
        return pd.DataFrame(rows)

    def rfm(self) -> pd.DataFrame:
        """Quintile scores ceil(5 x share of buyers with a value at most the customer's)."""
        buyers = self.buyers
        grid = pd.read_csv(REFERENCE / "rfm_segments.csv")
        segments = {(r, f): s for r, f, s in grid.itertuples(index=False)}
        scores = pd.DataFrame(index=buyers.index)
        for name, column in (("r_score", "last_date"), ("f_score", "orders_count"),
                             ("m_score", "net_cents")):
            share = buyers[column].rank(method="max") / len(buyers)
            scores[name] = np.ceil(5 * share).astype(int)
        scores["rfm_segment"] = [segments[(r, f)] for r, f in
                                 zip(scores["r_score"], scores["f_score"], strict=True)]
        return scores

    def health(self, frame: pd.DataFrame) -> pd.Series:
        """Weighted points of each signal's band (seed health_score_bands, [lower, upper))."""
        weights = pd.read_csv(REFERENCE / "health_score_weights.csv").set_index("signal")["weight"]
        bands = pd.read_csv(REFERENCE / "health_score_bands.csv")

        def points(signal: str, values: pd.Series) -> pd.Series:
            rows = bands[bands["signal"] == signal]
            missing = float(rows.loc[rows["for_missing_value"], "points"].iloc[0])
            result = pd.Series(missing, index=values.index)
            hits = pd.Series(0, index=values.index)
            for band in rows[~rows["for_missing_value"]].itertuples():
                lower = -np.inf if pd.isna(band.lower_bound) else band.lower_bound
                upper = np.inf if pd.isna(band.upper_bound) else band.upper_bound
                inside = values.notna() & (values >= lower) & (values < upper)
                result[inside] = float(band.points)
                hits += inside
            assert (hits[values.notna()] == 1).all(), signal  # every value in one band
            return result

        nps_value = frame["latest_nps_band"].map({"promoter": 1, "passive": 0, "detractor": -1})
        signals = {"recency_days": frame["days_since_last_order"],
                   "orders_count": frame["orders_count"].where(frame["orders_count"] > 0),
                   "nps_band_value": nps_value, "csat_average": frame["csat_average"],
                   "median_first_response_hours": frame["median_first_response_hours"],
                   "loyalty_points_balance": frame["loyalty_points_balance"]}
        return sum(weights[name] * points(name, values.astype(float))
                   for name, values in signals.items())

    def dim_customers(self) -> pd.DataFrame:
        customers, buyers, as_of = self.customers, self.buyers, self.as_of
        frame = pd.DataFrame({"customer_id": customers.index}, index=customers.index)
        for column in ("first_order_at", "last_order_at", "cohort_month",
                       "orders_last_365_days"):
            frame[column] = buyers[column]
        frame["orders_count"] = buyers["orders_count"].reindex(frame.index).fillna(0).astype(int)
        frame["net_revenue"] = buyers["net_cents"].reindex(frame.index).fillna(0) / 100
        frame["average_order_value"] = buyers["net_cents"] / 100 / buyers["orders_count"]
        frame["is_repeat_customer"] = frame["orders_count"] >= 2
        frame["days_since_last_order"] = (as_of - buyers["last_date"]).dt.days
        frame["orders_last_365_days"] = frame["orders_last_365_days"].fillna(0).astype(int)
        spells = self.spells
        frame["churned_at"] = spells[spells["churned"]].groupby("customer_id")["churn_date"].max()
        frame = frame.join(self.rfm())
        responses = self.responses.sort_values(["responded_at", "response_id"])
        latest_nps = responses[responses["survey_type"] == "nps"].groupby("customer_id").tail(1) \
            .set_index("customer_id")
        frame["latest_nps_score"] = latest_nps["score"]
        frame["latest_nps_band"] = latest_nps["nps_band"]
        frame["csat_average"] = responses[responses["survey_type"] == "csat"] \
            .groupby("customer_id")["score"].mean()
        tickets = self.tickets
        frame["tickets_count"] = tickets.groupby("customer_id").size().reindex(frame.index) \
            .fillna(0).astype(int)
        frame["median_first_response_hours"] = tickets.groupby("customer_id")["hours"] \
            .agg(lambda hours: percentile(hours, 0.5))
        frame["last_exit_reason"] = responses[responses["survey_type"] == "exit"] \
            .groupby("customer_id").tail(1).set_index("customer_id")["reason_code"]
        members = self.members
        frame["is_loyalty_member"] = frame.index.isin(members.index)
        frame["loyalty_joined_at"] = members["joined_at"]
        frame["loyalty_tier"] = members["tier"]
        frame["loyalty_points_balance"] = members["points_balance"]
        # annual churn rate of each RFM segment: of the customers active a year before
        # as_of_date, the share whose spell ended by as_of_date
        year_ago = as_of - 365 * DAY
        cohort = spells[(spells["start"] <= year_ago) & (spells["churn_date"] > year_ago)]
        cohort = cohort.assign(segment=cohort["customer_id"].map(frame["rfm_segment"]))
        rates = cohort.groupby("segment")["churned"].mean() * 100
        frame["segment_annual_churn_rate"] = frame["rfm_segment"].map(rates)
        lifetime = (100 / frame["segment_annual_churn_rate"]).clip(upper=10).fillna(10)
        frame["predicted_clv"] = frame["average_order_value"].fillna(0) \
            * frame["orders_last_365_days"] * lifetime
        frame["lifecycle_status"] = self.lifecycle(frame)
        frame["health_score"] = self.health(frame)
        frame["health_band"] = pd.cut(frame["health_score"], [-np.inf, 40, 70, np.inf],
                                      right=False, labels=["red", "yellow", "green"]).astype(str)
        return frame.reset_index(drop=True)

    def lifecycle(self, frame: pd.DataFrame) -> pd.Series:
        """SPEC 4.1: the first that applies of prospect, churned, at_risk, new,
        reactivated, active."""
        latest = self.spells.groupby("customer_id").tail(1).set_index("customer_id")
        statuses = {}
        for customer, row in frame.iterrows():
            if row["orders_count"] == 0:
                statuses[customer] = "prospect"
                continue
            spell = latest.loc[customer]
            first_days = (self.as_of - self.buyers.loc[customer, "first_date"]).days
            if spell["churn_date"] <= self.as_of:
                statuses[customer] = "churned"
            elif row["days_since_last_order"] > W / 2:
                statuses[customer] = "at_risk"
            elif first_days < 30:
                statuses[customer] = "new"
            elif spell["reactivation"] and (self.as_of - spell["start"]).days < W:
                statuses[customer] = "reactivated"
            else:
                statuses[customer] = "active"
        return pd.Series(statuses)

    def nps_band_behaviour(self, dim: pd.DataFrame) -> pd.DataFrame:
        known = dim[(dim["orders_count"] > 0) & dim["latest_nps_band"].notna()]
        return known.groupby("latest_nps_band").apply(lambda g: pd.Series({
            "customers": len(g),
            "repeat_purchase_rate": 100 * g["is_repeat_customer"].mean(),
            "churn_rate": 100 * (g["lifecycle_status"] == "churned").mean(),
            "orders_per_customer": g["orders_count"].mean(),
            "net_revenue_per_customer": g["net_revenue"].mean()}), include_groups=False) \
            .reset_index()

    def fct_orders(self) -> pd.DataFrame:
        orders = self.orders.copy()
        purchases = self.purchases
        numbered = pd.DataFrame({
            "purchase_number": purchases.groupby("customer_id").cumcount() + 1,
            "previous_purchase_date": purchases.groupby("customer_id")["date"].shift()})
        orders = orders.join(numbered)
        gap = (orders["date"] - orders["previous_purchase_date"]).dt.days
        return pd.DataFrame({
            "order_id": orders["order_id"], "order_date": orders["date"],
            "order_month": orders["month"], "is_purchase": orders["is_purchase"],
            "net_revenue": orders["net_cents"] / 100,
            "purchase_number": orders["purchase_number"],
            "previous_purchase_date": orders["previous_purchase_date"],
            "is_first_purchase": orders["purchase_number"] == 1,
            "is_reactivation": gap > W,
        })

    def fct_survey_responses(self) -> pd.DataFrame:
        responses = self.responses
        return pd.DataFrame({
            "response_id": responses["response_id"], "response_month": responses["month"],
            "nps_band": responses["nps_band"], "is_counted_nps": responses["is_counted_nps"],
            "reason_group": responses["reason_code"].map(self.reason_groups),
        })

    def fct_support_tickets(self) -> pd.DataFrame:
        tickets = self.tickets
        return pd.DataFrame({
            "ticket_id": tickets["ticket_id"], "opened_date": tickets["date"],
            "opened_month": tickets["month"], "first_response_hours": tickets["hours"],
            "resolution_hours": tickets["resolution_hours"], "is_resolved": tickets["resolved"],
            "is_sla_breach": [None if pd.isna(h) else bool(h > SLA_HOURS)
                              for h in tickets["hours"]],
            "is_first_contact_resolution": tickets["fcr"],
            "is_repeat_contact": tickets["repeat"].fillna(False).astype(bool),
            "first_response_bucket": tickets["bucket"],
        })

    def campaign_effectiveness(self) -> pd.DataFrame:
        """Per campaign, of the customers a touch found churned on its day (a purchase at
        least W days before, none in the W days up to it): those buying within the
        attribution window after the touch, treated and holdout, and what the treated
        returners bought in the 90 days from their return."""
        touches = self.known(self.raw("campaign_touches"), "sent_at")
        touches["is_holdout"] = touches["is_holdout"].str.lower() == "true"
        first = touches.groupby(["campaign_id", "customer_id"]).agg(
            sent_at=("sent_at", "min"), is_holdout=("is_holdout", "max")).reset_index()
        purchases = self.purchases
        by_customer = {c: g["date"].to_numpy()
                       for c, g in self.purchase_days.groupby("customer_id")}
        spent = {c: g.set_index("ordered_at")["net_cents"].sort_index()
                 for c, g in purchases.groupby("customer_id")}
        empty_dates = np.array([], dtype="datetime64[ns]")
        rows = []
        for touch in first.itertuples():
            day = np.datetime64(touch.sent_at.normalize())
            dates = by_customer.get(touch.customer_id, empty_dates)
            window_start = day - np.timedelta64(W, "D")
            active = ((dates > window_start) & (dates <= day)).any()
            if not (dates <= window_start).any() or active:
                continue
            mine = spent.get(touch.customer_id, pd.Series(dtype=int))
            after = mine[(mine.index > touch.sent_at)
                         & (mine.index <= touch.sent_at + ATTRIBUTION_DAYS * DAY)]
            returned = after.index.min() if len(after) else None
            orders = cents = 0
            if returned is not None:
                later = mine[(mine.index >= returned) & (mine.index < returned + 90 * DAY)]
                orders, cents = len(later), int(later.sum())
            rows.append((touch.campaign_id, touch.is_holdout, returned is not None, orders,
                         cents))
        flags = pd.DataFrame(rows, columns=["campaign_id", "holdout", "returned", "orders",
                                            "cents"])
        treated = flags[~flags["holdout"]].groupby("campaign_id")
        control = flags[flags["holdout"]].groupby("campaign_id")
        expected = pd.DataFrame({
            "contacted_customers": treated.size(),
            "contacted_returned_customers": treated["returned"].sum(),
            "holdout_customers": control.size(),
            "holdout_returned_customers": control["returned"].sum(),
            "returned_orders_90d": treated["orders"].sum(),
            "returned_net_revenue_90d": treated["cents"].sum() / 100,
        }).fillna(0).astype(float).reset_index()
        expected["win_back_rate"] = [pct(a, b) for a, b in zip(
            expected["contacted_returned_customers"], expected["contacted_customers"], strict=True)]
        expected["holdout_win_back_rate"] = [pct(a, b) for a, b in zip(
            expected["holdout_returned_customers"], expected["holdout_customers"], strict=True)]
        expected["uplift_points"] = expected["win_back_rate"].astype(float) \
            - expected["holdout_win_back_rate"].astype(float)
        return expected
