"""A generated data folder with values planted exactly on the edges of SPEC section 4, and one
second either side, so that moving any edge by one unit changes a figure of some mart:
first-response buckets and the SLA (1, 4, 24, 72 hours), repeat contact (30 days),
lifecycle (new 30, at_risk W/2, churned W days), the reactivation gap (W), RFM recency
ties, the attribution window (30 days) and the 90 days after a return, the support
experience's observation cut-off (W days before as_of_date), exit answers on the last
purchase day, and a partial last month (as_of_date mid-month).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .spec_marts import utc

W = 180
HOUR = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)
SECOND = pd.Timedelta(seconds=1)


def stamp(value: pd.Timestamp) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def read(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)


def write(frame: pd.DataFrame, folder: Path, table: str) -> None:
    frame.to_csv(folder / f"{table}.csv", index=False)


def around(edge: pd.Timedelta) -> list[pd.Timedelta]:
    return [edge - SECOND, edge, edge + SECOND]


def plant_edges(folder: Path) -> pd.Timestamp:
    """Rewrites the CSV files of a generated folder in place; returns the as_of_date to
    build it with (mid-month, two weeks before the data end)."""
    orders = read(folder, "orders")
    ordered_at = utc(orders["ordered_at"])
    as_of = ordered_at.max().normalize() - 15 * DAY
    if as_of.day in (1, as_of.days_in_month):
        as_of -= 3 * DAY
    known = ordered_at.dt.normalize() <= as_of
    completed = (orders["status"] == "completed") & known
    per_customer = orders[completed].groupby("customer_id").size()
    noon = as_of + 12 * HOUR

    # single-order customers: last (and first) order k days before as_of_date
    singles = [c for c in per_customer[per_customer == 1].index
               if (orders["customer_id"] == c).sum() == 1]
    # new (30), at_risk (W/2), churned (W), the health recency bands (30, 90, 180, 365)
    recency = [29, 30, 31, 89, 90, 91, 179, 180, 181, 364, 365, 366]
    for customer, days in zip(singles, recency, strict=False):
        orders.loc[orders["customer_id"] == customer, "ordered_at"] = stamp(noon - days * DAY)

    # two-order customers: a gap of W - 1, W and W + 1 days (W is no reactivation)
    pairs = [c for c in per_customer[per_customer == 2].index
             if (orders["customer_id"] == c).sum() == 2]
    for customer, gap in zip(pairs, [W - 1, W, W + 1, W - 1, W, W + 1], strict=False):
        rows = orders.index[orders["customer_id"] == customer]
        first = noon - 400 * DAY
        orders.loc[rows[0], "ordered_at"] = stamp(first)
        orders.loc[rows[1], "ordered_at"] = stamp(first + gap * DAY + 3 * HOUR)

    # three-order customers who churned about a year before as_of_date (a day either side)
    # and are back now: the base of their RFM segment's annual churn rate
    triples = [c for c in per_customer[per_customer == 3].index
               if (orders["customer_id"] == c).sum() == 3]
    for customer, days in zip(triples, [365 + W - 1, 365 + W, 365 + W + 1], strict=False):
        rows = orders.index[orders["customer_id"] == customer]
        for row, at in zip(rows, [noon - days * DAY, noon - 20 * DAY, noon - 5 * DAY],
                           strict=True):
            orders.loc[row, "ordered_at"] = stamp(at)

    orders = plant_win_back_returns(folder, orders, as_of)
    write(orders, folder, "orders")
    plant_ticket_edges(folder, as_of)
    plant_exit_answers(folder, orders, as_of)
    return as_of


def plant_ticket_edges(folder: Path, as_of: pd.Timestamp) -> None:
    tickets = read(folder, "support_tickets")
    opened = utc(tickets["opened_at"])
    answered = tickets.index[(tickets["first_response_at"] != "")
                             & (opened.dt.normalize() < as_of - 10 * DAY)]
    # first response exactly on, and a second either side of, every bucket edge and the SLA
    edges = [delta for hours in (1, 4, 24, 72) for delta in around(hours * HOUR)]
    for row, delta in zip(answered[: 3 * len(edges): 3], edges, strict=False):
        tickets.loc[row, "first_response_at"] = stamp(opened[row] + delta)
        tickets.loc[row, "resolved_at"] = stamp(opened[row] + delta + 2 * HOUR)
    # a customer's next ticket 30 days after the previous one, and a second either side
    by_customer = tickets.assign(opened=opened).sort_values(["customer_id", "opened"]) \
        .groupby("customer_id")
    repeaters = [group.index for _, group in by_customer if len(group) >= 2][:3]
    for rows, delta in zip(repeaters, around(30 * DAY), strict=False):
        shift = opened[rows[0]] + delta - opened[rows[1]]
        for column in ("opened_at", "first_response_at", "resolved_at"):
            if tickets.loc[rows[1], column]:
                tickets.loc[rows[1], column] = stamp(utc(tickets.loc[[rows[1]], column])
                                                     .iloc[0] + shift)
    # opened exactly W days before as_of_date (its outcome is known) and one day later
    spare = tickets.index[opened.dt.normalize() < as_of - 400 * DAY][-2:]
    for row, days in zip(spare, [W, W - 1], strict=False):
        new_open = as_of - days * DAY + 9 * HOUR
        shift = new_open - opened[row]
        for column in ("opened_at", "first_response_at", "resolved_at"):
            if tickets.loc[row, column]:
                tickets.loc[row, column] = stamp(utc(tickets.loc[[row], column]).iloc[0] + shift)
    write(tickets, folder, "support_tickets")


def plant_win_back_returns(folder: Path, orders: pd.DataFrame,
                           as_of: pd.Timestamp) -> pd.DataFrame:
    """New purchases of touched customers at the end of the attribution window (30 days
    after the touch, a second either side) and at the end of the 90 days after the return."""
    touches = read(folder, "campaign_touches")
    sent = utc(touches["sent_at"])
    ordered_at = utc(orders["ordered_at"])
    template = orders[orders["status"] == "completed"].iloc[0]
    planted = []
    candidates = touches.index[sent.dt.normalize() < as_of - 200 * DAY]
    used: set[str] = set()
    deltas = around(30 * DAY)
    for row in candidates:
        customer = touches.loc[row, "customer_id"]
        if customer in used:
            continue
        theirs = ordered_at[orders["customer_id"] == customer]
        # no purchase within 200 days after the touch: the planted ones decide the return
        if ((theirs > sent[row]) & (theirs <= sent[row] + 200 * DAY)).any():
            continue
        used.add(customer)
        delta = deltas[len(planted) // 3 % 3]
        returned = sent[row] + delta
        for at in (returned, returned + 90 * DAY - SECOND, returned + 90 * DAY):
            order = template.copy()
            order["order_id"] = f"OEDGE{len(planted):04d}"
            order["customer_id"] = customer
            order["ordered_at"] = stamp(at)
            order["campaign_id"] = ""
            planted.append(order)
        if len(planted) >= 27:
            break
    return pd.concat([orders, pd.DataFrame(planted)], ignore_index=True)


def plant_exit_answers(folder: Path, orders: pd.DataFrame, as_of: pd.Timestamp) -> None:
    """Exit answers on the day of the customer's last purchase (before it: not a reason
    for the churn that follows) and on the next day (a reason); and a second, later answer
    with another reason (the latest one is the churn's reason)."""
    responses = read(folder, "survey_responses")
    ordered_at = utc(orders["ordered_at"])
    completed = orders[(orders["status"] == "completed") & (ordered_at.dt.normalize() <= as_of)]
    last = utc(completed["ordered_at"]).groupby(completed["customer_id"]).max()
    last = last[last.dt.normalize() <= as_of - W * DAY]  # churned by as_of_date
    exits = responses.index[responses["survey_type"] == "exit"]
    for number, row in enumerate(exits[:8]):
        customer = responses.loc[row, "customer_id"]
        if customer not in last.index:
            continue
        day = last[customer].normalize()
        at = day + 23 * HOUR + 59 * 60 * SECOND if number % 2 == 0 else day + DAY
        responses.loc[row, "responded_at"] = stamp(at)
    later = []
    for number, row in enumerate(exits[8:14]):
        customer = responses.loc[row, "customer_id"]
        if customer not in last.index:
            continue
        first, second = responses.loc[row].copy(), responses.loc[row].copy()
        first["responded_at"] = stamp(last[customer].normalize() + 2 * DAY)
        first["reason_code"] = "competitor_price"
        second["response_id"] = f"REDGE{number:04d}"
        second["responded_at"] = stamp(last[customer].normalize() + 5 * DAY)
        second["reason_code"] = "low_quality"
        responses.loc[row] = first
        later.append(second)
    write(pd.concat([responses, pd.DataFrame(later)], ignore_index=True), folder,
          "survey_responses")
