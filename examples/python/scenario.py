#!/usr/bin/env python3
"""What a Python service does with odoo-mesh, step by step, each step checked.

    python generate.py
    python scenario.py --target localhost:50051 --certs DIR --odoo-url http://127.0.0.1:8069

against `odoo-mesh demo` (DIR is the certificate directory it prints; the Odoo URL is its simulator's).
The steps:

  1. a sales order whose first send times out (Odoo slowed) is retried under its request_id: one order;
  2. stock is read;
  3. a stock watch sees a shipment leave;
  4. a dropped watch resumes with its token and gets what it missed, no snapshot again;
  5. errors are decoded: every bad field of a request, and UNAVAILABLE retried after its RetryInfo.

The simulator's fault injection (SimulatorFaults) is test plumbing, marked as such: a service never
does that. Everything else is the way a service would call odoo-mesh (odoomesh_client.py).
Exits 0 when every check held, 1 otherwise.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import pathlib
import sys
import time
import traceback
import urllib.request
import uuid

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_STUBS = os.environ.get("ODOO_MESH_PY_STUBS", str(HERE / "generated"))


def stubs_on_path() -> None:
    """Puts the generated stubs (--stubs, before the other arguments are read) on sys.path."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--stubs", type=pathlib.Path, default=DEFAULT_STUBS)
    stubs = early.parse_known_args()[0].stubs.resolve()
    if not (stubs / "odoomesh").is_dir():
        sys.exit(f"no stubs in {stubs}: run generate.py first (or give --stubs)")
    sys.path.insert(0, str(stubs))


stubs_on_path()

import grpc  # noqa: E402 - the stubs must be on the path first
from odoomesh.common.v1 import common_pb2 as common  # noqa: E402
from odoomesh.inventory.v1 import inventory_service_pb2 as inventory  # noqa: E402
from odoomesh.order.v1 import order_service_pb2 as orders  # noqa: E402
from odoomesh.shipment.v1 import shipment_service_pb2 as shipments  # noqa: E402

from odoomesh_client import ErrorDetails, OdooMeshClient, StockWatch, error_details, quantity  # noqa: E402

# How long the scenario waits for something asynchronous (a watch event, the watched view).
PATIENCE = 30.0


# The scenario's target: (flag, environment variable, default, type, what it is).
OPTIONS = [
    ("--target", "ODOO_MESH_TARGET", "localhost:50051", str,
     "odoo-mesh's gRPC address; its host must be the server certificate's (localhost for the demo)"),
    ("--certs", "ODOO_MESH_CERTS", None, pathlib.Path,
     "directory with ca.pem, client.pem and client.key (the demo prints it); required"),
    ("--odoo-url", "ODOO_MESH_ODOO_URL", "http://127.0.0.1:8069", str,
     "the Odoo simulator's URL, for fault injection"),
    ("--stubs", "ODOO_MESH_PY_STUBS", DEFAULT_STUBS, pathlib.Path,
     "where generate.py put the stubs (default: generated/ here)"),
    ("--customer-reference", "ODOO_MESH_CUSTOMER_REFERENCE", "C01006", str,
     "reference of an existing customer (the demo's Azure Interior)"),
    ("--sku", "ODOO_MESH_SKU", "", str,
     "a storable product with at least 3 available; default: the most available one"),
]  # fmt: skip


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for flag, variable, default, kind, what in OPTIONS:
        default = os.environ.get(variable, default)
        parser.add_argument(flag, type=kind, default=default, help=f"{what} [${variable}]")
    args = parser.parse_args()
    if args.certs is None:
        parser.error("--certs (or ODOO_MESH_CERTS) is required")
    return args


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def say(text: str) -> None:
    print(f"   {text}", flush=True)


class SimulatorFaults:
    """TEST PLUMBING, not service code: makes the Odoo simulator slow or failing through its
    /__sim/faults endpoint, so the scenario can show what a service sees then."""

    def __init__(self, odoo_url: str) -> None:
        self.url = odoo_url.rstrip("/") + "/__sim/faults"

    def inject(
        self, fault: dict, *, model: str | None = None, method: str | None = None, times: int | None = None
    ) -> None:
        rule = {"fault": fault, "model": model, "method": method, "times": times}
        self._send("POST", json.dumps(rule).encode())

    def clear(self) -> None:
        self._send("DELETE", None)

    def _send(self, method: str, body: bytes | None) -> None:
        request = urllib.request.Request(
            self.url, data=body, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200, f"{method} {self.url}: {answer.status}"


class Scenario:
    def __init__(self, args: argparse.Namespace) -> None:
        self.client = OdooMeshClient.connect(
            args.target,
            str(args.certs / "ca.pem"),
            str(args.certs / "client.pem"),
            str(args.certs / "client.key"),
        )
        self.faults = SimulatorFaults(args.odoo_url)
        self.customer_reference = args.customer_reference
        self.sku = args.sku
        self.run = uuid.uuid4().hex[:10]  # request ids and references of this run, unique per run
        self.warehouse = ""

    def setup(self) -> None:
        step("0. connect over mutual TLS and pick a warehouse and a product")
        self.faults.clear()
        warehouses = self.client.read(
            self.client.inventory.ListWarehouses, inventory.ListWarehousesRequest()
        ).warehouses
        assert warehouses, "odoo-mesh lists at least one warehouse"
        self.warehouse = warehouses[0].name
        if not self.sku:
            products = self.client.each(self.client.inventory.ListProducts, inventory.ListProductsRequest())
            skus = [p.sku for p in products if p.is_storable and p.sale_ok and p.sku]
            assert skus, "a storable product that can be sold"
            levels = self.client.get_stock_levels(skus[:1000], [self.warehouse]).items
            found = [i for i in levels if i.status == inventory.SKU_STATUS_FOUND and i.levels]
            best = max(found, key=lambda i: quantity(i.levels[0].available_to_promise))
            self.sku = best.sku
        say(f"warehouse {self.warehouse} ({warehouses[0].display_name}), product {self.sku}, run {self.run}")

    def order_request(
        self, name: str, sku_quantity: str, *, confirm: bool = False
    ) -> orders.CreateSalesOrderRequest:
        return orders.CreateSalesOrderRequest(
            request_id=f"py-{self.run}-{name}",
            customer=orders.PartnerSelector(reference=self.customer_reference),
            warehouse=self.warehouse,
            customer_reference=f"PY-{self.run}-{name}",
            lines=[orders.SalesOrderLineInput(sku=self.sku, quantity=common.Quantity(value=sku_quantity))],
            confirm=confirm,
        )

    def create_an_order_exactly_once(self) -> None:
        step("1. create a sales order under a request_id; its first send times out, the retry gets it")
        request = self.order_request("order", "1")
        # Test plumbing: Odoo takes 4 s to import the order, longer than this call's 2 s deadline.
        self.faults.inject({"kind": "latency", "millis": 4000}, model="sale.order", method="load", times=1)
        try:
            self.client.write(self.client.orders.CreateSalesOrder, request, timeout=2.0, retry=None)
            raise AssertionError("the create should have passed its 2 s deadline")
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED, error
            say(f"first send: {error.code().name} (the order may or may not exist now)")
        self.faults.clear()

        # The retry: the same request_id and payload.
        created = self.client.write(self.client.orders.CreateSalesOrder, request)
        order = created.sales_order
        assert (
            order.name.startswith("salesOrders/") and order.customer_reference == request.customer_reference
        ), order
        # replayed: the timed-out call had claimed the request_id and went on without its caller;
        # this retry waited for it and answers with its order. (Had the deadline passed before the
        # claim, nothing would have been written and this retry would have made the order.)
        say(f"retry: {order.name} ({order.number}), replayed={created.replayed}")

        again = self.client.write(self.client.orders.CreateSalesOrder, request)
        assert again.replayed and again.sales_order.id == order.id, again
        say(f"third send: the same {again.sales_order.name}, replayed={again.replayed}")

        listed = list(
            self.client.each(
                self.client.orders.ListSalesOrders,
                orders.ListSalesOrdersRequest(customer_reference=request.customer_reference),
            )
        )
        assert [o.id for o in listed] == [order.id], (
            f"exactly one order for {request.customer_reference}: {listed}"
        )
        say(f"ListSalesOrders({request.customer_reference}): exactly one order")

    def read_stock(self) -> inventory.StockLevel:
        step("2. read stock")
        answer = self.client.get_stock_levels([self.sku, f"NO-SUCH-SKU-{self.run}"], [self.warehouse])
        item, unknown = answer.items
        assert item.sku == self.sku and item.status == inventory.SKU_STATUS_FOUND, item
        assert unknown.status == inventory.SKU_STATUS_NOT_FOUND, unknown
        assert answer.source == inventory.STOCK_SOURCE_ODOO, answer
        level = item.levels[0]
        assert quantity(level.available_to_promise) >= 3, (
            f"{self.sku} needs 3 available to ship twice: {level}"
        )
        say(f"{self.sku}: {levels_text(level)}; {unknown.sku}: not found")
        return level

    def ship(self, name: str, sku_quantity: str) -> None:
        """Takes and confirms an order of the product, and validates its delivery: stock leaves."""
        created = self.client.write(
            self.client.orders.CreateSalesOrder, self.order_request(name, sku_quantity, confirm=True)
        )
        order = created.sales_order
        assert order.state == orders.SALES_ORDER_STATE_CONFIRMED, order
        open_deliveries = [
            s
            for s in self.client.each(
                self.client.shipments.ListShipments,
                shipments.ListShipmentsRequest(order=order.name, kind=shipments.SHIPMENT_KIND_DELIVERY),
            )
            if s.state != shipments.SHIPMENT_STATE_DONE
        ]
        assert len(open_deliveries) == 1, f"one open delivery of {order.name}: {open_deliveries}"
        delivery = open_deliveries[0]
        validated = self.client.write(
            self.client.shipments.ValidateShipment,
            shipments.ValidateShipmentRequest(request_id=f"py-{self.run}-{name}-ship", name=delivery.name),
        )
        assert validated.shipment.state == shipments.SHIPMENT_STATE_DONE, validated
        say(f"{order.name} of {sku_quantity} confirmed, its delivery {delivery.name} validated")

    def watch_a_shipment_leave(self, before: inventory.StockLevel) -> StockWatch:
        step("3. watch stock: the snapshot, then a shipment leaving")
        watch = self.client.watch_stock_levels(
            inventory.WatchStockLevelsRequest(
                skus=[self.sku], warehouses=[self.warehouse], send_initial=True
            ),
            timeout=300,
        )
        snapshot = watch.snapshot(timeout=PATIENCE)
        assert [e.type for e in snapshot] == [inventory.WATCH_EVENT_TYPE_SNAPSHOT], snapshot
        assert snapshot[0].sku == self.sku and watch.resume_token, snapshot
        seen = snapshot[0].level
        assert figures(seen) == figures(before), (
            f"the snapshot is what GetStockLevels read: {seen} vs {before}"
        )
        say(f"snapshot: {levels_text(seen)}, then SNAPSHOT_END at revision {watch.revision}")

        self.ship("watched", "2")
        change = self.until(
            watch,
            "the departure of 2",
            on_hand=quantity(before.on_hand) - 2,
            available=quantity(before.available_to_promise) - 2,
        )
        assert "on_hand" in change.changed_fields, change.changed_fields
        changed = ", ".join(change.changed_fields)
        say(f"CHANGED at revision {change.revision}: {levels_text(change.level)}; changed {changed}")
        return watch

    def resume_after_a_drop(self, watch: StockWatch) -> None:
        step("4. drop the watch, let stock move, resume with the last token")
        token, revision = watch.resume_token, watch.revision
        last = self.client.get_stock_levels([self.sku], [self.warehouse]).items[0].levels[0]
        watch.cancel()
        say(f"dropped at revision {revision}")

        self.ship("missed", "1")
        expected = quantity(last.on_hand) - 1
        # Only so that the change happened before we resume (not needed by a service): wait until
        # odoo-mesh's watched view has it; GetStockLevels with max_staleness reads that view.
        deadline = time.monotonic() + PATIENCE
        while True:
            view = self.client.get_stock_levels([self.sku], [self.warehouse], max_staleness=60)
            if (
                view.source == inventory.STOCK_SOURCE_WATCHED_VIEW
                and quantity(view.items[0].levels[0].on_hand) == expected
            ):
                break
            assert time.monotonic() < deadline, f"the watched view never showed on hand {expected}: {view}"
            time.sleep(0.1)

        resumed = self.client.watch_stock_levels(
            inventory.WatchStockLevelsRequest(
                skus=[self.sku], warehouses=[self.warehouse], resume_token=token
            ),
            timeout=300,
        )
        try:
            first = resumed.next(PATIENCE)
            assert first.type == inventory.WATCH_EVENT_TYPE_CHANGED, f"the missed change comes first: {first}"
            change = (
                first
                if quantity(first.level.on_hand) == expected
                else self.until(resumed, "the missed departure", on_hand=expected)
            )
            assert first.revision > revision and change.revision > revision, (revision, first, change)
            say(f"resumed: CHANGED at revision {change.revision}: {levels_text(change.level)}")
            say("no snapshot again")
        finally:
            resumed.cancel()

    def decode_errors(self) -> None:
        step("5a. INVALID_ARGUMENT: every bad field of a request, from its BadRequest")
        bad = orders.CreateSalesOrderRequest(
            request_id="",
            customer=orders.PartnerSelector(reference=self.customer_reference),
            warehouse=self.warehouse,
            lines=[
                orders.SalesOrderLineInput(sku="", quantity=common.Quantity(value="1")),
                orders.SalesOrderLineInput(sku=self.sku, quantity=common.Quantity(value="0")),
                orders.SalesOrderLineInput(sku=self.sku, quantity=common.Quantity(value="-2")),
            ],
        )
        details = self.refused(bad, grpc.StatusCode.INVALID_ARGUMENT)
        fields = [f for f, _ in details.field_violations]
        assert fields == [
            "request_id",
            "lines[0].sku",
            "lines[1].quantity.value",
            "lines[2].quantity.value",
        ], details
        for field, description in details.field_violations:
            say(f"{field}: {description}")

        # What only Odoo can tell (an unknown customer, an unknown SKU) comes the same way, all at once.
        unknown = orders.CreateSalesOrderRequest(
            request_id=f"py-{self.run}-unknown",
            customer=orders.PartnerSelector(reference=f"NO-SUCH-CUSTOMER-{self.run}"),
            warehouse=self.warehouse,
            lines=[
                orders.SalesOrderLineInput(sku=f"NO-SUCH-SKU-{self.run}", quantity=common.Quantity(value="1"))
            ],
        )
        details = self.refused(unknown, grpc.StatusCode.INVALID_ARGUMENT)
        assert [f for f, _ in details.field_violations] == ["customer", "lines[0].sku"], details
        for field, description in details.field_violations:
            say(f"{field}: {description}")

        step("5b. UNAVAILABLE with RetryInfo: the retry helper waits what odoo-mesh asks, then succeeds")
        retries: list[tuple[ErrorDetails, float]] = []

        def on_retry(attempt: int, details: ErrorDetails, wait: float) -> None:
            retries.append((details, wait))
            say(
                f"attempt {attempt}: {details.code.name} {details.reason}, RetryInfo {details.retry_delay}s: "
                f"waiting {wait:.2f}s"
            )
            # Test plumbing: Odoo comes back while the service waits.
            self.faults.clear()

        # Test plumbing: a proxy in front of Odoo answers 503 to every call until cleared.
        self.faults.inject({"kind": "http_status", "status": 503})
        policy = dataclasses.replace(self.client.retry, on_retry=on_retry)
        started = time.monotonic()
        answer = self.client.get_stock_levels([self.sku], [self.warehouse], retry=policy)
        took = time.monotonic() - started
        assert answer.items[0].status == inventory.SKU_STATUS_FOUND, answer
        assert retries, "the first attempt met Odoo down"
        first, _ = retries[0]
        assert first.code == grpc.StatusCode.UNAVAILABLE and first.reason, first
        for details, wait in retries:
            assert details.retry_delay is not None and wait == details.retry_delay, (details, wait)
        assert took >= sum(wait for _, wait in retries), (took, retries)
        say(f"succeeded after {len(retries)} retry(ies), {took:.2f}s in all")

    def refused(self, request: orders.CreateSalesOrderRequest, code: grpc.StatusCode) -> ErrorDetails:
        try:
            self.client.write(self.client.orders.CreateSalesOrder, request, timeout=10)
        except grpc.RpcError as error:
            details = error_details(error)
            assert details.code == code, details
            say(f"{details.code.name}: {details.message}")
            return details
        raise AssertionError(f"odoo-mesh accepted {request}")

    @staticmethod
    def until(watch: StockWatch, what: str, *, on_hand, available=None) -> inventory.WatchStockLevelsResponse:
        """Reads CHANGED events (heartbeats between them) until one shows these figures."""
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                event = watch.next(max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise AssertionError(f"never saw {what} (on hand {on_hand}, available {available})") from None
            if event.type == inventory.WATCH_EVENT_TYPE_HEARTBEAT:
                continue
            assert event.type == inventory.WATCH_EVENT_TYPE_CHANGED, (
                f"only changes after the snapshot: {event}"
            )
            level = event.level
            if quantity(level.on_hand) == on_hand and (
                available is None or quantity(level.available_to_promise) == available
            ):
                return event

    def run_all(self) -> None:
        try:
            self.setup()
            self.create_an_order_exactly_once()
            before = self.read_stock()
            watch = self.watch_a_shipment_leave(before)
            self.resume_after_a_drop(watch)
            self.decode_errors()
        finally:
            self.faults.clear()
            self.client.close()


def figures(level: inventory.StockLevel) -> tuple:
    return tuple(quantity(getattr(level, f)) for f in ("on_hand", "reserved", "available_to_promise"))


def levels_text(level: inventory.StockLevel) -> str:
    on_hand, reserved, available = figures(level)
    return f"on hand {on_hand}, reserved {reserved}, available {available}"


def main() -> int:
    if not __debug__:
        sys.exit("run without -O: the scenario's checks are asserts")
    args = parse_args()
    # The client logs each retry, as a service would want it logged.
    logging.basicConfig(
        level=logging.INFO, format="   log: %(name)s %(levelname)s %(message)s", stream=sys.stdout
    )
    try:
        Scenario(args).run_all()
    except Exception:
        traceback.print_exc()
        print("\nscenario FAILED", flush=True)
        return 1
    print("\nscenario passed: every step held", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
