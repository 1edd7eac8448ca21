"""Per-asset facts computed from the records: period, counts, recurring failures, costs, top systems and parts.

Every number a batch report states comes from here (or from the anomaly detector), never from the language model;
the model only phrases them (`copilot.batch.narrate`), and its numbers are checked against these facts. Pure.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date
from typing import Any

from copilot.batch.inputs import AlarmEvent, AssetJob, WorkOrder
from copilot.batch.taxonomy import tag_text

TOP = 10  # rows kept per ranked list in the report
RECURRING = 2  # a failure seen at least this often is recurring
# Work-order types that are planned work, not failures (PM01/PM02 of SAP-style exports are repairs, so "^pm$" only).
PLANNED_RE = re.compile(r"^(pm|ppm|insp|inspection|prev|preventive|preventative|pdm|lube|service|routine)$", re.I)


def is_failure(order: WorkOrder) -> bool:
    """Corrective work: any type but planned maintenance and inspections."""
    return not PLANNED_RE.match(order.wo_type.strip())


def failure_keys(order: WorkOrder) -> list[str]:
    """What failed, for counting recurrences: the export's own failure code if any, else 'System: part mode'
    per system named ("Hydraulic System: hose blown")."""
    if order.failure_mode and order.failure_mode.lower() not in ("nan", "none", "na", "n/a", "-"):
        return [order.failure_mode.replace("_", " ")]
    tags = tag_text(order.text)
    keys = []
    for system in tags.systems:
        part = next((c for c in tags.components if c not in system.lower()), "")
        what = " ".join(x for x in (part, tags.failure_modes[0] if tags.failure_modes else "") if x)
        keys.append(f"{system}: {what or 'other'}")
    return keys


def _days_between(dates: list[str]) -> float | None:
    days = sorted(date.fromisoformat(d) for d in dates)
    if len(days) < 2:
        return None
    return round((days[-1] - days[0]).days / (len(days) - 1), 1)


def _money(value: float) -> float:
    return round(value, 2)


def _ranked(counter: Counter[str], limit: int = TOP) -> list[tuple[str, int]]:
    """Most common first, ties by name: the same input always gives the same order."""
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def work_order_facts(orders: list[WorkOrder]) -> dict[str, Any]:
    """Counts, systems, components, actions, recurring failures, cost and downtime of one asset's work orders."""
    systems: Counter[str] = Counter()
    system_cost: defaultdict[str, float] = defaultdict(float)
    components: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    failures: defaultdict[str, list[WorkOrder]] = defaultdict(list)
    costs = [o.cost for o in orders if o.cost is not None]
    hours = [o.downtime_h for o in orders if o.downtime_h is not None]
    for order in orders:
        tags = tag_text(order.text)
        for system in tags.systems:
            systems[system] += 1
            system_cost[system] += order.cost or 0.0
        components.update(tags.components)
        actions.update(tags.actions)
        if is_failure(order):
            for key in failure_keys(order):
                failures[key].append(order)
    recurring: list[dict[str, Any]] = []
    for key, group in sorted(failures.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if len(group) < RECURRING or len(recurring) >= TOP:
            continue
        dates = [o.date for o in group]
        group_costs = [o.cost for o in group if o.cost is not None]
        recurring.append({
            "failure": key, "count": len(group), "first": min(dates), "last": max(dates),
            "mean_days_between": _days_between(dates),
            "cost": _money(sum(group_costs)) if group_costs else None,
            "downtime_h": round(sum(o.downtime_h for o in group if o.downtime_h is not None), 1)
            if any(o.downtime_h is not None for o in group) else None,
            "work_orders": sorted({o.id for o in group})[:5],
        })
    types = Counter(o.wo_type or "unspecified" for o in orders)
    return {
        "work_orders": len(orders),
        "failures": sum(is_failure(o) for o in orders),
        "by_type": dict(_ranked(types, 50)),
        "top_systems": [{"system": s, "count": n, "share": round(n / len(orders), 3),
                         "cost": _money(system_cost[s]) if costs else None} for s, n in _ranked(systems)],
        "top_components": [{"component": c, "count": n} for c, n in _ranked(components)],
        "top_actions": [{"action": a, "count": n} for a, n in _ranked(actions)],
        "recurring_failures": recurring,
        "failure_causes": dict(_ranked(Counter({k: len(v) for k, v in failures.items()}), 50)),
        "cost_total": _money(sum(costs)) if costs else None,
        "cost_per_year": _per_year(orders, lambda o: o.cost) if costs else {},
        "downtime_h_total": round(sum(hours), 1) if hours else None,
        "failures_per_month": dict(sorted(Counter(o.date[:7] for o in orders if is_failure(o)).items())),
    }


def _per_year(orders: list[WorkOrder], value: Any) -> dict[str, float]:
    totals: defaultdict[str, float] = defaultdict(float)
    for order in orders:
        if value(order) is not None:
            totals[order.date[:4]] += value(order)
    return {year: _money(total) for year, total in sorted(totals.items())}


def alarm_facts(events: list[AlarmEvent]) -> dict[str, Any]:
    """Alarm counts by code (with the message first seen), trips and acknowledgements."""
    raised = [e for e in events if e.state == "ALARM"]
    by_code: defaultdict[str, list[AlarmEvent]] = defaultdict(list)
    for event in raised:
        by_code[event.code or event.message[:40]].append(event)
    top = []
    for code, group in sorted(by_code.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:TOP]:
        top.append({"code": code, "count": len(group), "message": group[0].message,
                    "first": min(e.timestamp for e in group), "last": max(e.timestamp for e in group)})
    return {"events": len(events), "alarms": len(raised), "trips": sum(e.state == "TRIP" for e in events),
            "acknowledged": sum(e.state == "ACK" for e in events), "top_codes": top}


def period(job: AssetJob) -> dict[str, str | None]:
    """First and last date any record of the asset carries."""
    stamps = [o.date for o in job.work_orders] + [e.timestamp[:10] for e in job.alarms]
    for series in job.sensors:
        if len(series.data):
            stamps += [series.data.index[0].strftime("%Y-%m-%d"), series.data.index[-1].strftime("%Y-%m-%d")]
    return {"from": min(stamps) if stamps else None, "to": max(stamps) if stamps else None}


def asset_facts(job: AssetJob) -> dict[str, Any]:
    """All facts of one asset that need no model and no index."""
    orders = sorted(job.work_orders, key=lambda o: (o.date, o.source, o.row))
    facts: dict[str, Any] = {"asset": job.asset, "period": period(job)}
    facts["counts"] = {"work_orders": len(orders), "failures": sum(is_failure(o) for o in orders),
                       "alarm_lines": len(job.alarms), "alarms": sum(e.state == "ALARM" for e in job.alarms),
                       "trips": sum(e.state == "TRIP" for e in job.alarms), "sensor_files": len(job.sensors)}
    facts["work_orders"] = work_order_facts(orders) if orders else None
    facts["alarms"] = alarm_facts(job.alarms) if job.alarms else None
    return facts
