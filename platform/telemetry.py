"""OpenTelemetry, set up once per process.

Traces go over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, and nowhere
otherwise (tests pass an in-memory exporter). Every span started while a tenant is
known carries ``jogo.tenant``, so one attribute filters a trace store by command.
"""

from __future__ import annotations

import contextvars
import os

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

TENANT_ATTRIBUTE = "jogo.tenant"

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
    service_name: str = "jogo", exporter: SpanExporter | None = None
) -> TracerProvider:
    """Idempotent: the first call wins, later calls return the same provider."""
    global _provider
    if _provider is not None:
        return _provider
    name = os.environ.get("OTEL_SERVICE_NAME", service_name)
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(TenantSpanProcessor())
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    ):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _instrument_libraries()
    _provider = provider
    return provider


def _instrument_libraries() -> None:
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    AsyncPGInstrumentor().instrument()
    HTTPXClientInstrumentor().instrument()


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
