"""Executes Admin GraphQL documents against the store: Query and Mutation roots.

graphql-core does the parsing, validation against the published schema, and execution; this
module supplies the root values and a resolver over the plain dicts built in present.py.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    execute,
    value_from_ast_untyped,
)

from sandbox.shopify import (
    bulk,
    fulfilment,
    inventory,
    payments,
    price_lists,
    product_search,
    products,
    variant_writes,
)
from sandbox.shopify.present import Presenter, connection
from sandbox.shopify.store import (
    Shop,
    Store,
    company_matches,
    gid,
    gid_number,
    order_matches,
)


def field_resolver(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    if isinstance(source, _Root):
        return getattr(source, info.field_name)(info, **args)
    value = source.get(info.field_name) if isinstance(source, dict) else None
    return value(**args) if callable(value) else value


def type_resolver(value: Any, _info: GraphQLResolveInfo, _abstract_type: Any) -> str | None:
    return value.get("__typename") if isinstance(value, dict) else None


def run(
    schema: GraphQLSchema,
    document: Any,
    store: Store,
    shop: Shop,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    is_mutation: bool,
    bulk: bool = False,
) -> ExecutionResult:
    """Execute a validated document. `bulk`: a line of a bulk operation (not logged as a
    client's mutation)."""
    root = (MutationRoot if is_mutation else QueryRoot)(store, shop, schema, bulk)
    return execute(
        schema,
        document,
        root_value=root,
        variable_values=variables,
        operation_name=operation_name,
        field_resolver=field_resolver,
        type_resolver=type_resolver,
    )


class _Root:
    def __init__(self, store: Store, shop: Shop, schema=None, bulk: bool = False) -> None:
        self._store = store
        self._shop = shop
        self._schema = schema
        self._bulk = bulk
        self._present = Presenter(store, shop)

    def __getattr__(self, name: str):
        # Valid against the schema but not simulated here: answer like an unknown field would.
        if name.startswith("_"):
            raise AttributeError(name)

        def not_simulated(_info, **_kw):
            raise GraphQLError(
                f"The sandbox does not simulate {name}.", extensions={"code": "NOT_SIMULATED"}
            )

        return not_simulated


class QueryRoot(_Root):
    def shop(self, _info):
        return self._present.shop_node()

    def order(self, _info, id: str):
        number = gid_number(id, "Order")
        order = self._shop.orders.get(number) if number is not None else None
        return self._present.order(order) if order else None

    def nodes(self, _info, ids: list[str]):
        """Shopify's `nodes(ids:)` for orders (up to 250 ids; an id of nothing is null). Other
        node types are not simulated: they answer null too."""
        if len(ids) > 250:
            raise GraphQLError("The maximum number of ids is 250.")
        out = []
        for node_id in ids:
            number = gid_number(node_id, "Order")
            order = self._shop.orders.get(number) if number is not None else None
            out.append(self._present.order(order) if order else None)
        return out

    def orders(self, _info, query: str | None = None, sortKey: str | None = None, **kw):
        def key(order: dict):
            if sortKey == "UPDATED_AT":
                return (order["updated_at"], order["id"])
            if sortKey == "CREATED_AT":
                return (order["created_at"], order["id"])
            return order["id"]

        matching = [o for o in self._shop.orders.values() if order_matches(self._store, o, query)]
        kw.pop("savedSearchId", None)
        return connection(((key(o), lambda o=o: self._present.order(o)) for o in matching), **kw)

    def ordersCount(self, _info, query=None, limit=10000, savedSearchId=None):
        # Shopify counts up to `limit` (null: no bound) and then says AT_LEAST.
        count = sum(1 for o in self._shop.orders.values() if order_matches(self._store, o, query))
        if limit is not None and count > limit:
            return {"count": limit, "precision": "AT_LEAST"}
        return {"count": count, "precision": "EXACT"}

    def shopifyPaymentsAccount(self, _info):
        return payments.account_node(self._shop, connection)

    # Inventory (sandbox/shopify/inventory.py).
    def inventoryItems(self, _info, query: str | None = None, **kw):
        return inventory.inventory_items(self._store, self._shop, query, **kw)

    def inventoryItem(self, _info, id: str):
        return inventory.inventory_item(self._store, self._shop, id)

    def locations(self, _info, **kw):
        return inventory.locations(self._shop, **kw)

    def company(self, _info, id: str):
        number = gid_number(id, "Company")
        record = self._shop.companies.get(number) if number is not None else None
        return self._present.company(record) if record else None

    def companies(self, _info, query: str | None = None, sortKey: str | None = None, **kw):
        def key(company: dict):
            if sortKey == "UPDATED_AT":
                return (company.get("updated_at") or "", company["id"])
            return company["id"]

        records = [c for c in self._shop.companies.values() if company_matches(c, query)]
        return connection(((key(c), lambda c=c: self._present.company(c)) for c in records), **kw)

    # Products (sandbox/shopify/products.py), sorted by id: Shopify's default sort key.
    def productVariants(self, _info, query: str | None = None, **kw):
        groups = product_search.parse_search(
            query, product_search.VARIANT_FIELDS, "productVariants"
        )
        _drop(kw, "sortKey", "savedSearchId")
        matches = product_search.variant_matcher(self._shop, groups)
        return connection(
            (
                (v["id"], lambda v=v: self._present.product_variant(v))
                for v in self._shop.variants.values()
                if matches(v)
            ),
            **kw,
        )

    def productVariant(self, _info, id: str):
        number = gid_number(id, "ProductVariant")
        record = self._shop.variants.get(number) if number is not None else None
        return self._present.product_variant(record) if record else None

    def product(self, _info, id: str):
        record = products.find_product(self._shop, id)
        return self._present.product(record) if record else None

    def products(self, _info, query: str | None = None, **kw):
        groups = product_search.parse_search(query, product_search.PRODUCT_FIELDS, "products")
        _drop(kw, "sortKey", "savedSearchId")
        shop = self._shop
        return connection(
            (
                (p["id"], lambda p=p: self._present.product(p))
                for p in shop.products.values()
                if product_search.product_matches(shop, p, groups)
            ),
            **kw,
        )

    def priceList(self, _info, id: str):
        record = price_lists.find(self._shop, id)
        return self._present.price_list(record) if record else None

    def priceLists(self, _info, **kw):
        _drop(kw, "sortKey")
        return connection(
            (
                (pl["id"], lambda pl=pl: self._present.price_list(pl))
                for pl in self._shop.price_lists.values()
            ),
            **kw,
        )

    def catalogs(self, _info, type: str | None = None, query: str | None = None, **kw):
        """Company location catalogs (the only kind the sandbox has)."""
        if query:
            raise GraphQLError(
                "The sandbox does not simulate catalog searches.",
                extensions={"code": "NOT_SIMULATED"},
            )
        _drop(kw, "sortKey")
        wanted = type in (None, "COMPANY_LOCATION")
        return connection(
            (
                (pl["catalog"]["id"], lambda pl=pl: self._present.catalog(pl))
                for pl in self._shop.price_lists.values()
                if wanted
            ),
            **kw,
        )

    def bulkOperation(self, _info, id: str):
        record = bulk.find(self._shop, id)
        return self._present.bulk_operation(record) if record else None

    def currentBulkOperation(self, _info, type: str = "QUERY"):
        record = bulk.current(self._shop, type)
        return self._present.bulk_operation(record) if record else None


def _drop(kw: dict, *names: str) -> None:
    for name in names:
        kw.pop(name, None)


def idempotency_key(info: GraphQLResolveInfo) -> str | None:
    for directive in info.field_nodes[0].directives or ():
        if directive.name.value == "idempotent":
            for argument in directive.arguments:
                if argument.name.value == "key":
                    value = value_from_ast_untyped(argument.value, info.variable_values)
                    return str(value) if value else None
    return None


class MutationRoot(_Root):
    # Mutations for which Shopify (since 2026-04) refuses calls without an idempotency key
    # (the schema does not mark it). Those the sandbox does not simulate are listed too.
    KEY_REQUIRED = frozenset(
        {
            "refundCreate",
            "inventoryAdjustQuantities",
            "inventorySetQuantities",
            "inventoryMoveQuantities",
            "inventoryActivate",
            "inventoryShipmentReceive",
            "inventoryShipmentCreate",
            "inventoryShipmentCreateInTransit",
            "inventoryShipmentAddItems",
            "inventoryShipmentUpdateItemQuantities",
            "inventoryTransferCreate",
            "inventoryTransferCreateAsReadyToShip",
            "locationActivate",
            "locationDeactivate",
        }
    )

    def _keyed(self, info: GraphQLResolveInfo, apply) -> dict:
        """Run `apply` once per idempotency key; a repeated key replays the first outcome."""
        name = info.field_name
        key = idempotency_key(info)
        if key is None and name in self.KEY_REQUIRED:
            self._log(name, None, replayed=False, variables=info.variable_values)
            raise GraphQLError(
                f"The @idempotent directive with a key is required for {name}.",
                extensions={"code": "BAD_REQUEST"},
            )
        entry = self._shop.idempotency.get(key) if key else None
        if entry is not None:
            if entry["mutation"] != name:
                raise GraphQLError(
                    "The idempotency key was already used with a different mutation.",
                    extensions={"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"},
                )
            self._log(name, key, replayed=True, variables=info.variable_values)
            return entry["outcome"]
        outcome = apply()
        if key:
            self._shop.idempotency[key] = {"mutation": name, "outcome": outcome}
        self._log(name, key, replayed=False, variables=info.variable_values)
        return outcome

    def _log(self, name, key, replayed, variables) -> None:
        if self._bulk:
            return  # a bulk operation's lines are not the client's calls
        self._shop.mutation_log.append(
            {
                "mutation": name,
                "idempotency_key": key,
                "replayed": replayed,
                "at": self._store.now(),
                "variables": variables,
            }
        )

    def _order_or_error(self, order_id: str, field: str):
        number = gid_number(order_id, "Order")
        order = self._shop.orders.get(number) if number is not None else None
        if order is None:
            missing = {"field": [field], "message": "Order does not exist", "code": "NOT_FOUND"}
            return None, [missing]
        return order, []

    # Outcomes are JSON-able descriptions (ids and errors), stored per idempotency key and
    # turned into payloads on every call, so a replay shows the refund as it is now.

    def refundCreate(self, info, input: dict):
        def apply() -> dict:
            order, errors = self._order_or_error(input["orderId"], "orderId")
            if errors:
                return {"order_id": None, "refund_id": None, "errors": errors}
            transactions = list(input.get("transactions") or [])
            for method in input.get("refundMethods") or []:
                credit = (method or {}).get("storeCreditRefund")
                if not credit:
                    continue
                if credit["amount"]["currencyCode"] != order["currency"]:
                    return {
                        "order_id": None,
                        "refund_id": None,
                        "errors": [
                            {
                                "field": ["refundMethods"],
                                "message": "Store credit must be in the order's currency",
                            }
                        ],
                    }
                # Store credit is issued as a refund transaction of its own gateway.
                transactions.append(
                    {
                        "amount": credit["amount"]["amount"],
                        "kind": "REFUND",
                        "gateway": "shopify_store_credit",
                    }
                )
            refund, errors = self._store.refund(
                order,
                input.get("refundLineItems") or [],
                transactions,
                input.get("note"),
                shipping=input.get("shipping"),
                discrepancy_reason=input.get("discrepancyReason"),
            )
            return {
                "order_id": order["id"],
                "refund_id": refund["id"] if refund else None,
                "errors": errors,
            }

        outcome = self._keyed(info, apply)
        order = self._shop.orders.get(outcome["order_id"]) if outcome["order_id"] else None
        refund = next(
            (r for r in (order or {}).get("refunds", []) if r["id"] == outcome["refund_id"]),
            None,
        )
        return {
            "refund": self._present.refund(order, refund) if refund else None,
            "order": self._present.order(order) if order and refund else None,
            "userErrors": [
                {"field": e["field"], "message": e["message"]} for e in outcome["errors"]
            ],
        }

    def orderCancel(self, info, orderId, reason, restock, **kw):
        def apply() -> dict:
            order, errors = self._order_or_error(orderId, "orderId")
            if order:
                method = kw.get("refundMethod") or {}
                refund = bool(method.get("originalPaymentMethodsRefund", kw.get("refund", False)))
                errors = self._store.cancel(order, reason, restock, refund, kw.get("staffNote"))
            return {"job_id": self._store.new_id(), "errors": errors}

        outcome = self._keyed(info, apply)
        errors = outcome["errors"]
        return {
            "job": None if errors else {"id": gid("Job", outcome["job_id"]), "done": True},
            "jobResult": None,
            "orderCancelUserErrors": errors,
            "userErrors": [{"field": e["field"], "message": e["message"]} for e in errors],
        }

    def orderMarkAsPaid(self, info, input):
        def apply() -> dict:
            order, errors = self._order_or_error(input["id"], "id")
            if order:
                errors = self._store.mark_paid(order)
            return {"order_id": order["id"] if order else None, "errors": errors}

        outcome = self._keyed(info, apply)
        order = self._shop.orders.get(outcome["order_id"]) if outcome["order_id"] else None
        return {
            "order": self._present.order(order) if order else None,
            "userErrors": outcome["errors"],
        }

    def orderCreateManualPayment(self, info, id, amount=None, paymentMethodName=None, **_kw):
        def apply() -> dict:
            order, errors = self._order_or_error(id, "id")
            if order:
                _, errors = payments.manual_payment(
                    self._store, self._shop, order, amount, paymentMethodName
                )
            if errors:
                for error in errors:
                    if error.get("code") == "NOT_FOUND":
                        error["code"] = "ORDER_NOT_FOUND"
            return {"order_id": order["id"] if order else None, "errors": errors}

        outcome = self._keyed(info, apply)
        order = self._shop.orders.get(outcome["order_id"]) if outcome["order_id"] else None
        return {
            "order": self._present.order(order) if order and not outcome["errors"] else None,
            "userErrors": outcome["errors"],
        }

    def fulfillmentCreate(self, info, fulfillment, message=None):
        def apply() -> dict:
            groups = fulfillment["lineItemsByFulfillmentOrder"]
            errors = fulfilment.refusal(self._shop, groups)
            if errors:
                return {"fulfillment": None, "errors": errors}
            tracking = fulfillment.get("trackingInfo")
            created, errors = self._store.fulfil(self._shop, groups, tracking)
            if created:
                fulfilment.remember(
                    self._store, created, tracking, fulfillment.get("notifyCustomer")
                )
            return {"fulfillment": created, "errors": errors}

        outcome = self._keyed(info, apply)
        created = outcome["fulfillment"]
        return {
            "fulfillment": self._present.fulfillment(created) if created else None,
            "userErrors": outcome["errors"],
        }

    def fulfillmentTrackingInfoUpdate(
        self, info, fulfillmentId, trackingInfoInput, notifyCustomer=None
    ):
        def apply() -> dict:
            updated, errors = fulfilment.update_tracking(
                self._store, self._shop, fulfillmentId, trackingInfoInput, notifyCustomer
            )
            return {"fulfillment": updated, "errors": errors}

        outcome = self._keyed(info, apply)
        found = outcome["fulfillment"]
        return {
            "fulfillment": self._present.fulfillment(found) if found else None,
            "userErrors": outcome["errors"],
        }

    def inventorySetQuantities(self, info, input):
        def apply() -> dict:
            group, errors = self._store.set_inventory(
                self._shop, input["name"], input["quantities"]
            )
            if group:
                group["reason"] = input["reason"]
                group["created_at"] = self._store.now()
            return {"group": group, "errors": errors}

        outcome = self._keyed(info, apply)
        group = outcome["group"]
        node = None
        if group:
            node = {
                "id": gid("InventoryAdjustmentGroup", group["id"]),
                "reason": group["reason"],
                "createdAt": group["created_at"],
                "referenceDocumentUri": input.get("referenceDocumentUri"),
                "changes": lambda **_kw: [
                    {
                        "name": c["name"],
                        "delta": c["delta"],
                        "quantityAfterChange": c["quantity_after"],
                        "item": {"id": gid("InventoryItem", c["item_id"])},
                        "location": {"id": gid("Location", c["location_id"])},
                    }
                    for c in group["changes"]
                ],
            }
        return {"inventoryAdjustmentGroup": node, "userErrors": outcome["errors"]}

    def _calc(self, calc_id: str):
        calc = self._shop.calculated_orders.get(gid_number(calc_id, "CalculatedOrder") or -1)
        if calc is None:
            return None, [{"field": ["id"], "message": "The calculated order does not exist."}]
        return calc, []

    def orderEditBegin(self, info, id):
        order, errors = self._order_or_error(id, "id")
        calc = None
        if order:
            calc, errors = self._store.edit_begin(self._shop, order)
        self._log("orderEditBegin", None, False, info.variable_values)
        return {
            "calculatedOrder": self._present.calculated_order(calc) if calc else None,
            "orderEditSession": {"id": gid("OrderEditSession", calc["id"])} if calc else None,
            "userErrors": errors,
        }

    def _edit_payload(self, calc, line, errors):
        present = self._present.calculated_order(calc) if calc and not errors else None
        return {
            "calculatedOrder": present,
            "calculatedLineItem": present["_lines"].get(gid("CalculatedLineItem", line["id"]))
            if present and line
            else None,
            "orderEditSession": {"id": gid("OrderEditSession", calc["id"])} if calc else None,
            "userErrors": errors,
        }

    def orderEditSetQuantity(self, info, id, lineItemId, quantity, **_kw):
        calc, errors = self._calc(id)
        line = None
        if calc:
            line, errors = self._store.edit_set_quantity(self._shop, calc, lineItemId, quantity)
        self._log("orderEditSetQuantity", None, False, info.variable_values)
        return self._edit_payload(calc, line, errors)

    def orderEditAddVariant(self, info, id, variantId, quantity, **_kw):
        calc, errors = self._calc(id)
        line = None
        if calc:
            line, errors = self._store.edit_add_variant(self._shop, calc, variantId, quantity)
        self._log("orderEditAddVariant", None, False, info.variable_values)
        return self._edit_payload(calc, line, errors)

    def orderEditCommit(self, info, id, **_kw):
        def apply() -> dict:
            calc, errors = self._calc(id)
            order = None
            if calc:
                order, errors = self._store.edit_commit(self._shop, calc)
            return {"order_id": order["id"] if order else None, "errors": errors}

        outcome = self._keyed(info, apply)
        order = self._shop.orders.get(outcome["order_id"]) if outcome["order_id"] else None
        return {
            "order": self._present.order(order) if order else None,
            "successMessages": ["Order updated"] if order else None,
            "userErrors": outcome["errors"],
        }

    def webhookSubscriptionCreate(self, info, topic, webhookSubscription):
        def apply() -> dict:
            uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
            created, errors = self._store.add_webhook(
                self._shop, topic, uri, webhookSubscription.get("format")
            )
            return {"webhook": created, "errors": errors}

        outcome = self._keyed(info, apply)
        created = outcome["webhook"]
        node = None
        if created:
            node = {
                "id": gid("WebhookSubscription", created["id"]),
                "topic": created["topic"],
                "uri": created["uri"],
                "format": created["format"],
            }
        return {"webhookSubscription": node, "userErrors": outcome["errors"]}

    # Products, price lists and bulk operations: none of these take an idempotency key
    # (Shopify offers none for them), so a resend writes again.

    def productSet(self, info, input, identifier=None, synchronous=True):
        if synchronous is False and not self._bulk:
            raise GraphQLError(
                "The sandbox simulates productSet(synchronous: true) only.",
                extensions={"code": "NOT_SIMULATED"},
            )
        self._log("productSet", None, False, info.variable_values)
        product, errors = products.product_set(self._store, self._shop, input, identifier)
        return {
            "product": self._present.product(product) if product else None,
            "productSetOperation": None,
            "userErrors": errors,
        }

    def productCreate(self, info, product=None, input=None, media=None):
        if product is None:
            raise GraphQLError(
                "The sandbox simulates productCreate(product:) only (input: is deprecated).",
                extensions={"code": "NOT_SIMULATED"},
            )
        self._log("productCreate", None, False, info.variable_values)
        record, errors = products.product_create(self._store, self._shop, product)
        return {
            "product": self._present.product(record) if record else None,
            "shop": self._present.shop_node(),
            "userErrors": errors,
        }

    def productUpdate(self, info, product=None, input=None, identifier=None, media=None):
        if product is None:
            raise GraphQLError(
                "The sandbox simulates productUpdate(product:) only (input: is deprecated).",
                extensions={"code": "NOT_SIMULATED"},
            )
        self._log("productUpdate", None, False, info.variable_values)
        record, errors = products.product_update(self._store, self._shop, product, identifier)
        return {"product": self._present.product(record) if record else None, "userErrors": errors}

    def productVariantsBulkUpdate(
        self, info, productId, variants, allowPartialUpdates=False, media=None
    ):
        self._log("productVariantsBulkUpdate", None, False, info.variable_values)
        record, updated, errors = variant_writes.variants_bulk_update(
            self._store, self._shop, productId, variants, bool(allowPartialUpdates)
        )
        return {
            "product": self._present.product(record) if record else None,
            "productVariants": [self._present.product_variant(v) for v in updated]
            if record
            else None,
            "userErrors": errors,
        }

    def productVariantsBulkCreate(self, info, productId, variants, strategy=None, media=None):
        self._log("productVariantsBulkCreate", None, False, info.variable_values)
        record, created, errors = variant_writes.variants_bulk_create(
            self._store, self._shop, productId, variants, strategy
        )
        return {
            "product": self._present.product(record) if record else None,
            "productVariants": [self._present.product_variant(v) for v in created]
            if record
            else None,
            "userErrors": errors,
        }

    def priceListFixedPricesAdd(self, info, priceListId, prices):
        self._log("priceListFixedPricesAdd", None, False, info.variable_values)
        written, errors = price_lists.fixed_prices_add(self._shop, priceListId, prices)
        record = price_lists.find(self._shop, priceListId)
        nodes = None
        if written is not None:
            nodes = [self._present.price_list_price(record, v) for v in written]
        return {"prices": nodes, "userErrors": errors}

    def stagedUploadsCreate(self, info, input):
        self._log("stagedUploadsCreate", None, False, info.variable_values)
        targets, errors = bulk.staged_uploads_create(
            self._store, self._shop, input, self._store.base_url
        )
        return {
            "stagedTargets": [self._present.staged_target(t) for t in targets],
            "userErrors": errors,
        }

    def bulkOperationRunMutation(
        self, info, mutation, stagedUploadPath, clientIdentifier=None, groupObjects=None
    ):
        if self._bulk:
            raise GraphQLError("A bulk operation cannot start bulk operations.")
        self._log("bulkOperationRunMutation", None, False, info.variable_values)
        operation, errors = bulk.run_mutation(
            self._store, self._shop, self._schema, mutation, stagedUploadPath, clientIdentifier
        )
        # The answer shows the operation as created; the runner starts after the request.
        return {
            "bulkOperation": self._present.bulk_operation(dict(operation)) if operation else None,
            "userErrors": errors,
        }

    def bulkOperationCancel(self, info, id):
        self._log("bulkOperationCancel", None, False, info.variable_values)
        operation, errors = bulk.cancel(self._shop, id)
        return {
            "bulkOperation": self._present.bulk_operation(operation) if operation else None,
            "userErrors": errors,
        }
