"""A small odoo-mesh client for a Python service.

What every caller of odoo-mesh needs, once: the mutual-TLS channel, a deadline on every call, retries
that cannot make two of anything, errors decoded from their google.rpc details, and a stock watch
read on a thread of its own. Copy this file into a service together with the stubs generate.py
makes (see README.md); nothing here belongs to the scenario.
"""

from __future__ import annotations

import dataclasses
import decimal
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from odoomesh.common.v1 import common_pb2 as common
from odoomesh.finance.v1 import finance_service_pb2_grpc as finance_grpc
from odoomesh.inventory.v1 import inventory_service_pb2 as inventory
from odoomesh.inventory.v1 import inventory_service_pb2_grpc as inventory_grpc
from odoomesh.order.v1 import order_service_pb2_grpc as orders_grpc
from odoomesh.shipment.v1 import shipment_service_pb2_grpc as shipments_grpc

log = logging.getLogger("odoomesh")

# Every call carries a deadline: odoo-mesh stops working for a caller whose deadline passed (its Odoo
# request is cancelled), and a caller never hangs on a network that lost its packets.
READ_TIMEOUT = 10.0
# Writes wait for Odoo, and for an earlier call with the same request_id still at work (up to 10 s).
WRITE_TIMEOUT = 30.0
# A watch ends at its deadline like any call; the consumer then resumes it with its last token.
WATCH_TIMEOUT = 3600.0

# The only codes worth retrying blindly, and then only for idempotent calls: reads, and writes that
# carry a request_id (odoo-mesh makes one record of one request_id and payload, however often sent).
# A DEADLINE_EXCEEDED write may have been done: only its request_id makes the retry safe.
RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})

Request = TypeVar("Request")
Response = TypeVar("Response")


def mtls_channel(target: str, ca: bytes, certificate_chain: bytes, private_key: bytes) -> grpc.Channel:
    """A channel to odoo-mesh over mutual TLS: the server is checked against `ca` (its certificate
    must name the host in `target`), and the service presents its own certificate, from which
    odoo-mesh takes its identity (SPIFFE ID or DNS name) for authorization and idempotency keys."""
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca, private_key=private_key, certificate_chain=certificate_chain
    )
    return grpc.secure_channel(target, credentials)


@dataclasses.dataclass
class ErrorDetails:
    """What a failed call says, decoded from its google.rpc.Status details."""

    code: grpc.StatusCode
    message: str
    # ErrorInfo: a stable reason (REQUEST_ID_REUSED, ODOO_UNREACHABLE...) and its metadata.
    reason: str = ""
    metadata: dict[str, str] = dataclasses.field(default_factory=dict)
    # RetryInfo: how long odoo-mesh asks the caller to wait before trying again, in seconds.
    retry_delay: float | None = None
    # BadRequest: each bad field of the request (lines[1].quantity.value) and what is wrong with it.
    field_violations: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    # PreconditionFailure: each subject (lines[0]) the state of Odoo refuses, and why.
    precondition_violations: list[tuple[str, str]] = dataclasses.field(default_factory=list)


def error_details(error: grpc.RpcError) -> ErrorDetails:
    """Decodes a failed call's google.rpc details (none for errors made by the client itself, such
    as its own deadline passing)."""
    details = ErrorDetails(code=error.code(), message=error.details() or "")
    status = rpc_status.from_call(error)
    if status is None:
        return details
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            details.field_violations += [(v.field, v.description) for v in bad_request.field_violations]
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry_info = error_details_pb2.RetryInfo()
            detail.Unpack(retry_info)
            details.retry_delay = retry_info.retry_delay.ToTimedelta().total_seconds()
        elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            error_info = error_details_pb2.ErrorInfo()
            detail.Unpack(error_info)
            details.reason = error_info.reason
            details.metadata = dict(error_info.metadata)
        elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            failure = error_details_pb2.PreconditionFailure()
            detail.Unpack(failure)
            details.precondition_violations += [(v.subject, v.description) for v in failure.violations]
    return details


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How an idempotent call is retried: at most `attempts` tries in all, waiting what the error's
    RetryInfo asks for, or else an exponential backoff with full jitter."""

    attempts: int = 5
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    # A RetryInfo delay is honoured up to this: a bound against a misconfigured server.
    max_retry_delay: float = 30.0
    # Told of every retry before its wait: (attempt that failed, its error, seconds to wait).
    on_retry: Callable[[int, ErrorDetails, float], None] | None = None

    def delay(self, attempt: int, details: ErrorDetails) -> float:
        if details.retry_delay is not None:
            return min(details.retry_delay, self.max_retry_delay)
        return random.uniform(0, min(self.max_backoff, self.initial_backoff * 2 ** (attempt - 1)))

    def next_wait(self, attempt: int, error: grpc.RpcError) -> float | None:
        """Seconds to wait before trying again after `attempt` failed with `error`; None: give up."""
        if error.code() not in RETRYABLE or attempt >= self.attempts:
            return None
        details = error_details(error)
        wait = self.delay(attempt, details)
        log.warning(
            "retrying after %s (%s), attempt %d, in %.2fs", details.code.name, details.message, attempt, wait
        )
        if self.on_retry is not None:
            self.on_retry(attempt, details, wait)
        return wait


def call_idempotent(
    method: Callable[..., Response],
    request: Request,
    *,
    timeout: float,
    policy: RetryPolicy | None,
    sleep: Callable[[float], None] = time.sleep,
) -> Response:
    """Calls `method(request)` with a deadline of `timeout` seconds per attempt, retrying as
    `policy` says (no retry when None). Only for idempotent calls."""
    attempt = 1
    while True:
        try:
            return method(request, timeout=timeout)
        except grpc.RpcError as error:
            wait = None if policy is None else policy.next_wait(attempt, error)
            if wait is None:
                raise
        sleep(wait)
        attempt += 1


def quantity(value: common.Quantity | None) -> decimal.Decimal:
    """A Quantity's value as an exact decimal (odoo-mesh never sends a float); zero when unset."""
    return decimal.Decimal(value.value) if value is not None and value.value else decimal.Decimal(0)


class StockWatch:
    """One WatchStockLevels stream, read on a thread of its own so the consumer can wait for the next
    event with a timeout. It remembers the resume token and revision of the last event handed out:
    after the stream ends (or is dropped), a new watch with that token continues without a gap.

    Opening is retried while the server answers UNAVAILABLE before any event (its watched view still
    loading, Odoo down), as the policy says; once events flowed, an ending is the consumer's to see.
    """

    _END = object()

    def __init__(
        self,
        method: Callable[..., Iterator[inventory.WatchStockLevelsResponse]],
        request: inventory.WatchStockLevelsRequest,
        *,
        timeout: float,
        policy: RetryPolicy | None,
    ) -> None:
        self.resume_token = request.resume_token
        self.revision = 0
        self._open = lambda: method(request, timeout=timeout)
        self._policy = policy
        self._events: queue.Queue[object] = queue.Queue()
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._call: grpc.Call | None = None
        self._thread = threading.Thread(target=self._read, name="odoomesh-stock-watch", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        attempt = 1
        while True:
            with self._lock:
                if self._cancelled.is_set():
                    break
                self._call = call = self._open()
            delivered = False
            try:
                for event in call:
                    delivered = True
                    self._events.put(event)
                break
            except grpc.RpcError as error:
                retry = not delivered and not self._cancelled.is_set() and self._policy is not None
                wait = self._policy.next_wait(attempt, error) if retry else None
                if wait is None:
                    self._events.put(error)
                    break
                attempt += 1
                if self._cancelled.wait(wait):
                    break
        self._events.put(self._END)

    def next(self, timeout: float) -> inventory.WatchStockLevelsResponse:
        """The next event; raises TimeoutError if none comes within `timeout` seconds, the stream's
        grpc.RpcError if it failed, EOFError if it ended."""
        try:
            item = self._events.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no stock event within {timeout}s") from None
        if item is self._END:
            self._events.put(item)
            raise EOFError("the stock watch ended")
        if isinstance(item, grpc.RpcError):
            raise item
        if item.resume_token:
            self.resume_token, self.revision = item.resume_token, item.revision
        return item

    def snapshot(self, timeout: float) -> list[inventory.WatchStockLevelsResponse]:
        """The initial snapshot of a watch opened with send_initial: its events up to SNAPSHOT_END."""
        events = []
        deadline = time.monotonic() + timeout
        while True:
            event = self.next(max(0.0, deadline - time.monotonic()))
            if event.type == inventory.WATCH_EVENT_TYPE_SNAPSHOT_END:
                return events
            events.append(event)

    def cancel(self) -> None:
        """Drops the stream (a CANCELLED status to the server); the token stays for a resume."""
        with self._lock:
            self._cancelled.set()
            if self._call is not None:
                self._call.cancel()
        self._thread.join()


class OdooMeshClient:
    """The calls a service makes, each with a deadline; idempotent ones retried as `retry` says."""

    def __init__(self, channel: grpc.Channel, retry: RetryPolicy = RetryPolicy()) -> None:
        self._channel = channel
        self.retry = retry
        self.inventory = inventory_grpc.InventoryServiceStub(channel)
        self.orders = orders_grpc.OrderServiceStub(channel)
        self.shipments = shipments_grpc.ShipmentServiceStub(channel)
        self.finance = finance_grpc.FinanceServiceStub(channel)

    @classmethod
    def connect(
        cls, target: str, ca_file: str, cert_file: str, key_file: str, **kwargs: object
    ) -> OdooMeshClient:
        """A client over mutual TLS with the PEM files of the CA, the service's certificate chain and key."""

        def read(path: str) -> bytes:
            with open(path, "rb") as file:
                return file.read()

        channel = mtls_channel(target, read(ca_file), read(cert_file), read(key_file))
        return cls(channel, **kwargs)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> OdooMeshClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _policy(self, retry: RetryPolicy | bool | None) -> RetryPolicy | None:
        if retry is True:
            return self.retry
        return retry or None

    # Reads: idempotent, retried.

    def read(
        self,
        method: Callable[..., Response],
        request: Request,
        *,
        timeout: float = READ_TIMEOUT,
        retry: RetryPolicy | bool | None = True,
    ) -> Response:
        """Any read (Get..., one page of a List...): `client.read(client.inventory.ListWarehouses,
        ListWarehousesRequest())`."""
        return call_idempotent(method, request, timeout=timeout, policy=self._policy(retry))

    def each(
        self, method: Callable[..., Response], request: Request, *, timeout: float = READ_TIMEOUT
    ) -> Iterator:
        """Every item of any List RPC, page after page: `client.each(client.orders.ListSalesOrders,
        ListSalesOrdersRequest(customer_reference="PO-1"))`. Each page is a read of its own."""
        if not request.page_size:
            request.page_size = 500
        while True:
            page = self.read(method, request, timeout=timeout)
            # A list's response holds one repeated field, its items, and the next page's token.
            (items,) = (f.name for f in page.DESCRIPTOR.fields if f.is_repeated)
            yield from getattr(page, items)
            if not page.next_page_token:
                return
            request.page_token = page.next_page_token

    def get_stock_levels(
        self,
        skus: Sequence[str],
        warehouses: Sequence[str] = (),
        *,
        max_staleness: float = 0.0,
        timeout: float = READ_TIMEOUT,
        retry: RetryPolicy | bool | None = True,
    ) -> inventory.GetStockLevelsResponse:
        """Stock of up to 1,000 SKUs per warehouse; with `max_staleness` seconds, possibly from
        odoo-mesh's watched view rather than Odoo."""
        request = inventory.GetStockLevelsRequest(skus=skus, warehouses=warehouses)
        if max_staleness:
            request.max_staleness.FromMilliseconds(int(max_staleness * 1000))
        return self.read(self.inventory.GetStockLevels, request, timeout=timeout, retry=retry)

    # Writes.

    def write(
        self,
        method: Callable[..., Response],
        request: Request,
        *,
        timeout: float = WRITE_TIMEOUT,
        retry: RetryPolicy | bool | None = True,
    ) -> Response:
        """Any write: `client.write(client.orders.CreateSalesOrder, request)`. Retried only when the
        request carries a request_id, which odoo-mesh carries out once for one payload however often
        it is sent. Retry with the same request_id and payload, never a new one: that would be a
        second order. A write without a request_id (ConfirmSalesOrder...) is not retried here."""
        idempotent = "request_id" in request.DESCRIPTOR.fields_by_name and request.request_id
        policy = self._policy(retry) if idempotent else None
        return call_idempotent(method, request, timeout=timeout, policy=policy)

    # Streams.

    def watch_stock_levels(
        self, request: inventory.WatchStockLevelsRequest, *, timeout: float = WATCH_TIMEOUT
    ) -> StockWatch:
        return StockWatch(self.inventory.WatchStockLevels, request, timeout=timeout, policy=self.retry)
