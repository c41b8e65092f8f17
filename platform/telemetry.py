"""OpenTelemetry, set up once per process.

Traces go over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, and nowhere
otherwise (tests pass an in-memory exporter). Every span started while a tenant is
known carries ``jogo.tenant``, so one attribute filters a trace store by command.

SQL statements follow ``JOGO_SQL_SPANS`` (:class:`~jogo.platform.settings.SqlSpans`): a
span per statement costs 14-20 % of a request's throughput (issue 18), so production
keeps the spans of a fraction of the traces and only counts the statements of the rest:
the request's (or job's) span carries ``db.statements`` and ``db.duration_ms``.
:func:`count_statements` counts the statements of a block, spans or not (tests, benches).
"""

from __future__ import annotations

import contextvars
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import SpanKind

from jogo.platform.settings import SqlSpans, parse_sql_spans

TENANT_ATTRIBUTE = "jogo.tenant"
# On a request's or job's span: SQL statements run under it, and their summed time (ms).
STATEMENTS_ATTRIBUTE = "db.statements"
STATEMENTS_MS_ATTRIBUTE = "db.duration_ms"

# The slug of the tenant a request or job is working for.
current_tenant_slug: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "jogo_current_tenant_slug", default=None
)

_provider: TracerProvider | None = None
_meter_provider: MeterProvider | None = None


class TenantSpanProcessor(SpanProcessor):
    """Stamps ``jogo.tenant`` on every span that starts inside a tenant's work."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Set ``jogo.tenant`` to the current tenant slug on a starting span, when one is known."""
        slug = current_tenant_slug.get()
        if slug is not None:
            span.set_attribute(TENANT_ATTRIBUTE, slug)

    def on_end(self, span: ReadableSpan) -> None:
        """Nothing to do when a span ends."""
        return None


def set_current_tenant(slug: str) -> None:
    """Mark the running request or job as this tenant's, including its current span."""
    current_tenant_slug.set(slug)
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute(TENANT_ATTRIBUTE, slug)


def setup_telemetry(
    service_name: str = "jogo",
    exporter: SpanExporter | None = None,
    sql_spans: SqlSpans | str | None = None,
) -> TracerProvider:
    """Idempotent: the first call wins, later calls return the same provider.

    ``sql_spans``: how SQL statements show (:class:`~jogo.platform.settings.SqlSpans`, or
    its ``JOGO_SQL_SPANS`` text); None reads ``JOGO_SQL_SPANS`` (default ``statement``);
    ``off`` whatever it says when ``OTEL_SDK_DISABLED=true`` turns tracing off.
    A bad value raises :class:`~jogo.platform.errors.SettingsError`."""
    global _provider
    if _provider is not None:
        return _provider
    if sql_spans is None:
        sql_spans = os.environ.get("JOGO_SQL_SPANS") or "statement"
    mode = parse_sql_spans(sql_spans) if isinstance(sql_spans, str) else sql_spans
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        mode = SqlSpans("off", 0.0)  # no spans at all: nothing to count statements on
    name = os.environ.get("OTEL_SERVICE_NAME", service_name)
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(TenantSpanProcessor())
    if mode.mode != "off":
        provider.add_span_processor(_StatementTallyProcessor())
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    ):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _instrument_libraries(mode)
    _provider = provider
    return provider


def sql_spans() -> SqlSpans | None:
    """The SQL span mode :func:`setup_telemetry` chose; None before it ran."""
    return _sql_spans


def _instrument_libraries(mode: SqlSpans) -> None:
    global _sql_spans, _span_bound, _count_roots
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    if mode.mode in ("statement", "sampled"):
        # The instrumentor's wrappers go on first: the observer wraps them and, for an
        # unsampled trace, calls past them (_observe).
        AsyncPGInstrumentor().instrument()
    HTTPXClientInstrumentor().instrument()
    _sql_spans = mode
    _count_roots = mode.mode != "off"
    _span_bound = int(mode.ratio * _TRACE_ID_SPACE) if mode.mode == "sampled" else None
    if mode.mode != "off":
        _install_observer()


def tracer(name: str = "jogo") -> trace.Tracer:
    """The OpenTelemetry tracer named ``name`` from the global provider (set up by
    :func:`setup_telemetry`; a no-op tracer before)."""
    return trace.get_tracer(name)


def meter(name: str = "jogo") -> metrics.Meter:
    """Instruments from the global meter provider (a no-op until one is set up)."""
    return metrics.get_meter(name)


def setup_metrics(reader: MetricReader | None = None) -> MeterProvider:
    """Idempotent like :func:`setup_telemetry`: OTLP when configured, else ``reader``."""
    global _meter_provider
    if _meter_provider is not None:
        return _meter_provider
    readers: list[MetricReader] = [reader] if reader is not None else []
    if reader is None and (
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
    ):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    provider = MeterProvider(metric_readers=readers)
    metrics.set_meter_provider(provider)
    _meter_provider = provider
    return provider


# --- SQL statements: counted always, spanned as JOGO_SQL_SPANS says ---------------------

_SQL_METHODS = ("execute", "executemany", "fetch", "fetchval", "fetchrow", "fetchmany")
_TRACE_ID_SPACE = 1 << 64  # sampling looks at the low 64 bits, as TraceIdRatioBased does
_LOW_BITS = _TRACE_ID_SPACE - 1
_sql_spans: SqlSpans | None = None
_span_bound: int | None = None  # sampled mode: a trace id's low bits below this get spans
_count_roots = False
_observer_installed = False


@dataclass
class _RootTally:
    """The statements under one local root span (a request's or a job's)."""

    span: Span
    statements: int = 0
    seconds: float = 0.0


_root_tally: contextvars.ContextVar[_RootTally | None] = contextvars.ContextVar(
    "jogo_sql_root_tally", default=None
)


@dataclass
class StatementCount:
    """What :func:`count_statements` saw: ``statements`` run (a ``BEGIN; SELECT
    set_config(...)`` message is one), their SQL texts in order in ``queries``."""

    statements: int = 0
    queries: list[str] = field(default_factory=list)


_counters: contextvars.ContextVar[tuple[StatementCount, ...]] = contextvars.ContextVar(
    "jogo_sql_counters", default=()
)


@contextmanager
def count_statements() -> Iterator[StatementCount]:
    """Count the SQL statements that asyncpg connections run while the block runs, in this
    context and the tasks started from it (not other requests' or threads'), whatever
    ``JOGO_SQL_SPANS`` says. Blocks nest; each counts its own."""
    _install_observer()
    count = StatementCount()
    token = _counters.set((*_counters.get(), count))
    try:
        yield count
    finally:
        _counters.reset(token)


class _StatementTallyProcessor(SpanProcessor):
    """Gives each local root span (no parent in this process: a request, a job, a relay
    publish) a tally that the SQL observer fills in as ``db.statements``."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Start a tally when ``span`` is a local root and not itself a client call."""
        if span.kind is SpanKind.CLIENT:
            return
        parent = trace.get_current_span(parent_context).get_span_context()
        if parent.is_valid and not parent.is_remote:
            return
        # Set in the context that starts the span, which is the one that runs its work.
        _root_tally.set(_RootTally(span))

    def on_end(self, span: ReadableSpan) -> None:
        """Nothing to do: the attributes were set while the span ran."""
        return None


def _install_observer() -> None:
    """Wrap asyncpg's query methods once per process (idempotent)."""
    global _observer_installed
    if _observer_installed:
        return
    import asyncpg.connection
    import wrapt

    for method in _SQL_METHODS:
        present = asyncpg.connection.Connection.__dict__[method]
        # The method itself, under the instrumentor's wrapper when there is one.
        bare = present.__wrapped__ if isinstance(present, wrapt.FunctionWrapper) else present
        wrapt.wrap_function_wrapper("asyncpg.connection", f"Connection.{method}", _observer(bare))
    _observer_installed = True


def _observer(bare: Any) -> Any:
    """The wrapper of one asyncpg method; ``bare`` is that method without any span."""

    async def observe(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        """One statement: counted for :func:`count_statements` and the local root span;
        its span made by the instrumentor inside (``wrapped``) unless sampling leaves it
        out, when ``bare`` runs instead."""
        if _span_bound is not None:
            context = trace.get_current_span().get_span_context()
            if not context.trace_id or (context.trace_id & _LOW_BITS) >= _span_bound:
                wrapped = _bind(bare, instance)
        tally = _root_tally.get() if _count_roots else None
        counters = _counters.get()
        if tally is None and not counters:
            return await wrapped(*args, **kwargs)
        started = time.perf_counter()
        try:
            return await wrapped(*args, **kwargs)
        finally:
            for count in counters:
                count.statements += 1
                count.queries.append(str(args[0]) if args else str(kwargs.get("query", "")))
            if tally is not None and tally.span.is_recording():
                tally.statements += 1
                tally.seconds += time.perf_counter() - started
                tally.span.set_attribute(STATEMENTS_ATTRIBUTE, tally.statements)
                tally.span.set_attribute(STATEMENTS_MS_ATTRIBUTE, round(tally.seconds * 1000, 3))

    return observe


def _bind(function: Any, instance: Any) -> Any:
    return function.__get__(instance, type(instance))
