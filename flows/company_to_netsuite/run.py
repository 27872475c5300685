"""Shopify companies → NetSuite customers, on the synchronizer.

Companies updated since the cursor (oldest update first): the company becomes the parent
customer and each of its locations a sub-customer (Parent set), each upserted by the externalId
derived from its Shopify id (parents first, then the locations in one upsertList), then bound
(kinds "company" and "company_location") with the fingerprint of what was written as the
binding's marker. A company whose customers all still carry the fingerprint of what Shopify
shows now is not written again: re-runs write nothing twice. The B2B order import finds the
customers through these bindings instead of writing them itself.
"""

from __future__ import annotations

from collections.abc import Iterator

from connector import bindings, gids
from connector.netsuite import records
from connector.netsuite.errors import NetSuiteRecordError
from flows.context import SKIPPED, Job
from flows.sync import NeedsPerson, Skip, Synchronizer, Written
from transactions.models import Channel, Kind, Status, Transaction

from . import mapping

COMPANY, LOCATION = bindings.COMPANY, bindings.COMPANY_LOCATION  # the bindings' kinds

NOT_CLAIMED = {
    Status.IGNORED: "Ignored by a person.",
    Status.POSTING: "Being posted by another worker.",
}


def _sync(job: Job) -> Synchronizer:
    return Synchronizer(job, kind=Kind.COMPANY, source_channel=Channel.SHOPIFY)


def run(ctx: Job) -> None:
    sync = _sync(ctx)
    netsuite = ctx.netsuite()
    for company in _companies(ctx):
        ctx.check()
        ctx.add_total(1)
        ctx.record([_sync_company(ctx, sync, netsuite, company)])
        if not ctx.scope:
            # Handled, or due for retry by itself: the cursor moves past it.
            ctx.advance_cursor(company["updatedAt"])


def post_one(job: Job, txn: Transaction) -> None:
    sync = _sync(job)
    sync.one(txn, lambda: _write(job, sync, job.netsuite(), _read(job, txn.source_id)))


def _companies(ctx: Job) -> Iterator[dict]:
    if ctx.scope:
        for company_id in ctx.scope:
            company = ctx.shopify.get_company(gids.gid("Company", company_id))
            if company is not None:
                yield company
        return
    yield from ctx.shopify.iter_companies(updated_since=ctx.cursor())


def _read(job: Job, company_id: str) -> dict:
    company = job.shopify.get_company(gids.gid("Company", company_id))
    if company is None:
        raise Skip("Shopify has no such company any more.")
    return company


def _sync_company(ctx: Job, sync: Synchronizer, netsuite, company: dict):
    shopify_id = gids.legacy_id(company["id"])
    txn = sync.records(
        {shopify_id: {"source_type": "company", "shopify_order_name": company["name"][:40]}},
        message="Company retrieved from Shopify.",
    )[shopify_id]
    if txn.status in (Status.POSTED, Status.SKIPPED):
        if _unchanged(ctx, company):
            return (txn.pk, SKIPPED, "Unchanged since its last sync: nothing to write.")
        won = sync.reclaim(
            txn,
            message="Changed in Shopify since its last sync: writing it again.",
            from_statuses=(Status.POSTED, Status.SKIPPED),
        )
    else:
        won = bool(sync.claim([txn]))
    if not won:
        txn.refresh_from_db(fields=["status"])
        return (txn.pk, SKIPPED, NOT_CLAIMED.get(txn.status, "Not due."))
    return sync.one(txn, lambda: _write(ctx, sync, netsuite, company))


def _unchanged(job: Job, company: dict) -> bool:
    try:
        plan = mapping.customers_for_company(company)
    except NeedsPerson:
        return False
    return not _to_write(job, plan)


def _bound(job: Job, customer: mapping.CompanyCustomer):
    kind = LOCATION if customer.parent_external_id else COMPANY
    found = bindings.find(job.connector, kind, shopify_id=customer.shopify_id)
    return found if found is not None and found.netsuite_id else None


def _to_write(job: Job, plan: mapping.CompanyPlan) -> list[mapping.CompanyCustomer]:
    """The customers whose binding does not carry the fingerprint of what Shopify shows now
    (never written, changed since, or refused last time)."""
    out = []
    for customer in plan.all:
        found = _bound(job, customer)
        if found is None or found.marker != customer.fingerprint():
            out.append(customer)
    return out


def _write(job: Job, sync: Synchronizer, netsuite, company: dict) -> Written:
    """Upsert what changed: the parent first (a sub-customer names it by externalId), then the
    changed locations in one upsertList."""
    plan = mapping.customers_for_company(company)
    due = _to_write(job, plan)
    if plan.parent in due:
        job.check()
        (parent,) = netsuite.upsert_list_outcomes([_customer_record(plan.parent)])
        if isinstance(parent, Exception):
            raise parent
        parent_id = str(parent.internal_id)
        _bind(sync, plan.parent, parent_id)
    else:
        parent_id = _bound(job, plan.parent).netsuite_id
    locations = [c for c in plan.locations if c in due]
    failed = []
    if locations:
        job.check()
        written = netsuite.upsert_list_outcomes([_customer_record(c) for c in locations])
        for customer, result in zip(locations, written, strict=True):
            if isinstance(result, Exception):
                failed.append((customer, result))
            else:
                _bind(sync, customer, result.internal_id)
    if failed:
        # The locations written stay bound; a retry writes only the ones still different.
        customer, exc = failed[0]
        if isinstance(exc, NetSuiteRecordError):
            raise NetSuiteRecordError(
                f"Location “{customer.company_name}”: {exc.message}",
                code=exc.code,
                details=exc.details,
            )
        raise exc
    count = len(plan.locations)
    return Written(
        target_id=parent_id,
        message=f"NetSuite customer {parent_id} with {count} location "
        f"sub-customer{'s' if count != 1 else ''}; {len(due)} written.",
    )


def _bind(sync: Synchronizer, customer: mapping.CompanyCustomer, internal_id: str) -> None:
    sync.bind(
        LOCATION if customer.parent_external_id else COMPANY,
        shopify_id=customer.shopify_id,
        netsuite_id=str(internal_id),
        netsuite_type="customer",
        origin=Channel.SHOPIFY,
        marker=customer.fingerprint(),
    )


def _customer_record(customer: mapping.CompanyCustomer):
    return records.customer(
        customer.external_id,
        company_name=customer.company_name,
        email=customer.email,
        is_person=False,
        parent_external_id=customer.parent_external_id,
        addressbook=mapping.addressbook(customer),
    )
