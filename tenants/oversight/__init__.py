"""National oversight: rollups kept from outbox events, and redacted cross-tenant views.

The only module that reads across tenants: aggregates from its own control-plane rollup
tables, and report rows through the ``oversight_reports`` SECURITY DEFINER function.
"""
