"""Schemathesis hooks for scripts/schemathesis (loaded through SCHEMATHESIS_HOOKS).

docs/openapi.yaml states every rule about one value that the server applies. A few rules relate
several values or depend on stored data, which OpenAPI cannot state; without help, schemathesis
generates requests that are valid by the document but refused by design (422), and reports
them as "valid data rejected". Each rule is handled here, narrowly, in one of two ways:

* `before_call` repairs a generated request so that it also satisfies the rule, keeping its
  point (a request that was invalid on purpose stays invalid in that respect). Schemathesis
  re-validates a request a hook changed, so whether it counts as valid or invalid data stays
  right. This keeps the requests that reach the server's success path numerous.
* `filter_failure` drops a "valid data rejected" failure only when the 422 names nothing but
  such rules (its `errors` entries, field and message, say which); any other refusal still fails.

Nothing else is filtered: server errors, schema mismatches and every other check count in full.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import re

import requests
import schemathesis

# Set by scripts/schemathesis: the server, its admin key, and things that exist in its
# throw-away database (after `weft demo`).
BASE_URL = os.environ.get("WEFT_SCHEMATHESIS_URL", "")
ADMIN_KEY = os.environ.get("WEFT_SCHEMATHESIS_KEY", "")
BROKER_ID = os.environ.get("WEFT_SCHEMATHESIS_BROKER_ID", "")
FACTORY_ID = os.environ.get("WEFT_SCHEMATHESIS_FACTORY_ID", "")
# A real list cursor. Cursors are opaque tokens the server issues (like ids, they cannot be made
# up); every cursor marks a position in (created_at, id) order, so one fits every list.
CURSOR = os.environ.get("WEFT_SCHEMATHESIS_CURSOR", "")
# Except a factory's allocations, which page by (production day, allocation id): a position
# there is that day's midnight in microseconds and an allocation id (2026-01-01, id 1).
ALLOCATION_CURSOR = base64.urlsafe_b64encode(f"{20454 * 86400 * 1000000}:1".encode()).rstrip(b"=").decode()
FILTERED_LOG = os.environ.get("WEFT_SCHEMATHESIS_FILTERED_LOG", "")

# The date-range parameters of each operation: (from, to, the most days `to` may be after `from`;
# None for no limit). Width and order are cross-parameter rules (GET .../capacity also refuses a
# `to` before today when `from` is left out, its default being today).
DATE_RANGES = {
    "GET /v1/factories/{id}/capacity": ("from", "to", 365),
    "GET /v1/factories/{id}/allocations": ("from", "to", 365),
    "GET /v1/factories/{id}/batches": ("from", "to", 365),
    "GET /v1/reports/utilization": ("from", "to", 365),
    "GET /dashboard": ("from", "to", 365),
    "GET /dashboard/batches": ("from", "to", 365),
    "GET /v1/reports/orders": ("due_from", "due_to", None),
}

CAPABILITY = re.compile(r"^[a-z][a-z0-9]*(\.[a-z0-9]+)*$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _day(value):
    """The date in a YYYY-MM-DD string, or None for anything else (left alone)."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _int(value):
    """The whole number in a JSON value (3 or 3.0), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _today():
    # The server's "today" is the UTC date; a day of margin covers a run across midnight.
    return datetime.datetime.now(datetime.timezone.utc).date()


def _plus(day, days):
    try:
        return day + datetime.timedelta(days=days)
    except OverflowError:
        return datetime.date.max if days > 0 else datetime.date.min


def _repair_range(query, names):
    start_name, end_name, max_days = names
    if not isinstance(query, dict):
        return
    start, end = _day(query.get(start_name)), _day(query.get(end_name))
    if start and end:
        if end < start:
            query[start_name], query[end_name] = query[end_name], query[start_name]
            start, end = end, start
        if max_days is not None and (end - start).days > max_days:
            query[end_name] = _plus(start, max_days).isoformat()
    elif end and not query.get(start_name) and max_days is not None:
        # `from` defaults to today: give it explicitly when `to` would not fit that default.
        if end <= _today() or (end - _today()).days > 300:
            query[start_name] = query[end_name]


def _dedupe(items, key):
    """Drops later items with the same key as an earlier one (the server refuses repeats)."""
    if not isinstance(items, list):
        return items
    seen, kept = set(), []
    for item in items:
        k = key(item) if isinstance(item, dict) else None
        try:
            if k is not None and k in seen:
                continue
            if k is not None:
                seen.add(k)
        except TypeError:  # an unhashable (invalid) value: leave it for the server to refuse
            pass
        kept.append(item)
    return kept


def _repair_order(body, submit):
    """POST /v1/orders and /v1/quotes: min_lot ≤ quantity, release_date (or today) ≤ due_date,
    and an admin's order names an existing broker."""
    if not isinstance(body, dict):
        return
    quantity, min_lot = _int(body.get("quantity")), _int(body.get("min_lot"))
    if quantity is not None and min_lot is not None and 1 <= quantity < min_lot:
        body["min_lot"] = quantity
    due = _day(body.get("due_date"))
    if due:
        release = body.get("release_date")
        if release is None:
            if due <= _today():
                body["due_date"] = _plus(_today(), 1).isoformat()
        elif _day(release) and _day(release) > due:
            body["release_date"] = body["due_date"]
    # The key schemathesis uses is an admin's, which must say whose order it is (a broker's key
    # would not); the broker must exist.
    broker = body.get("broker_id")
    if submit and BROKER_ID and (broker is None or (isinstance(broker, str) and UUID.match(broker))):
        body["broker_id"] = BROKER_ID


def _unique_idempotency_key(case):
    """POST /v1/orders: a used Idempotency-Key with another body is refused (422), by design;
    schemathesis reuses the document's example key, so a valid key is made specific to the body
    (a repeat of the same request still replays)."""
    headers = case.headers
    if not headers:
        return
    for name in list(headers):
        value = headers[name]
        if name.lower() == "idempotency-key" and isinstance(value, str) and re.fullmatch(r"[\x21-\x7e]{1,255}", value):
            # The server compares the body's bytes, so key order counts: no sort_keys.
            digest = hashlib.sha256(json.dumps(case.body, default=str).encode()).hexdigest()[:16]
            headers[name] = f"{value[:238]}-{digest}"


_offered = {}


def _offered_capabilities(factory_id):
    """The capabilities a factory offers (read once per factory); empty when it has none or
    does not exist."""
    if factory_id not in _offered:
        offered = []
        if BASE_URL and ADMIN_KEY:
            try:
                response = requests.get(f"{BASE_URL}/v1/factories/{factory_id}",
                                        headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=10)
                if response.status_code == 200:
                    offered = sorted(item["capability"] for item in response.json().get("capabilities", []))
            except (requests.RequestException, ValueError, KeyError, TypeError):
                pass
        _offered[factory_id] = offered
    return _offered[factory_id]


def _repair_slots(case):
    """PUT /v1/factories/{id}/capacity: a slot's capability must be one the factory offers, and
    each (capability, date) appears once."""
    body, factory_id = case.body, case.path_parameters.get("id")
    if not isinstance(body, dict) or not isinstance(body.get("slots"), list):
        return
    offered = _offered_capabilities(factory_id) if isinstance(factory_id, str) and UUID.match(factory_id) else []
    for index, slot in enumerate(body["slots"]):
        capability = slot.get("capability") if isinstance(slot, dict) else None
        if offered and isinstance(capability, str) and CAPABILITY.match(capability) and capability not in offered:
            slot["capability"] = offered[index % len(offered)]
    body["slots"] = _dedupe(body["slots"], lambda slot: (slot.get("capability"), slot.get("date")))


def _repair_api_key(body):
    """POST /v1/api-keys: factory_id / broker_id must name a factory / broker that exists."""
    if not isinstance(body, dict):
        return
    for field, known in (("factory_id", FACTORY_ID), ("broker_id", BROKER_ID)):
        value = body.get(field)
        if known and isinstance(value, str) and UUID.match(value):
            body[field] = known


@schemathesis.hook
def before_call(context, case, kwargs):
    label = f"{case.method.upper()} {case.operation.path}"
    # A link schemathesis infers from a response field that is null (an admin key's broker_id)
    # fills a query id with the text "None", which is rightly refused (422). Such a value is
    # the link's artefact, not generated data: send the request without it.
    if isinstance(case.query, dict):
        for name in ("broker_id", "factory_id"):
            if case.query.get(name, "") in (None, "None"):
                del case.query[name]
    if CURSOR and isinstance(case.query, dict) and isinstance(case.query.get("cursor"), str) \
            and re.fullmatch(r"[A-Za-z0-9_-]+", case.query["cursor"]):
        case.query["cursor"] = ALLOCATION_CURSOR if label == "GET /v1/factories/{id}/allocations" else CURSOR
    if label in DATE_RANGES:
        _repair_range(case.query, DATE_RANGES[label])
    if label in ("POST /v1/orders", "POST /v1/quotes"):
        _repair_order(case.body, submit=label == "POST /v1/orders")
        if label == "POST /v1/orders":
            _unique_idempotency_key(case)
    elif label == "POST /v1/api-keys":
        _repair_api_key(case.body)
    elif label in ("POST /v1/factories", "PATCH /v1/factories/{id}") and isinstance(case.body, dict):
        if "capabilities" in case.body:
            case.body["capabilities"] = _dedupe(case.body["capabilities"], lambda item: item.get("capability"))
    elif label == "PUT /v1/factories/{id}/capacity":
        _repair_slots(case)
    elif label == "POST /dashboard/login" and isinstance(case.body, dict) and isinstance(case.body.get("key"), str) and ADMIN_KEY:
        # Made-up keys can only be refused; the real one shows that signing in works.
        case.body["key"] = ADMIN_KEY


# 422 `errors` entries that only stored data decides, as (field pattern, message pattern):
DATA_DEPENDENT = [
    # A capacity slot's capability must be one the factory in the path offers (a factory with
    # no capabilities, or one created by schemathesis since, is not repaired above).
    (re.compile(r"^slots\[\d+\]\.capability$"), re.compile(r"is not a capability of this factory")),
    # A run's capabilities must be ones some factory offers or some open order needs.
    (re.compile(r"^capabilities\[\d+\]$"), re.compile(r"^no factory offers '.*' and no open order needs it$")),
]


OMITTED = re.compile(r"^and \d+ more problems like those above$")


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if getattr(failure, "code", None) != "ST202" or response.status_code != 422:
        return True
    try:
        errors = response.json().get("errors") or []
    except Exception:
        return True
    data_dependent = all(
        any(field.search(str(error.get("field", ""))) and message.search(str(error.get("message", "")))
            for field, message in DATA_DEPENDENT)
        for error in errors
        # A long list ends with a count of the problems left out, all like those above.
        if isinstance(error, dict) and not (error.get("field") == "" and OMITTED.match(str(error.get("message", ""))))
    )
    # Keep the failure unless every listed problem is one of those.
    keep = not (errors and data_dependent and all(isinstance(error, dict) for error in errors))
    if not keep and FILTERED_LOG:
        # What was dropped, for scripts/schemathesis to show.
        with open(FILTERED_LOG, "a", encoding="utf-8") as log:
            first = errors[0]
            log.write(f"{case.method.upper()} {case.operation.path}: {first.get('field')}: {str(first.get('message'))[:60]}\n")
    return keep
