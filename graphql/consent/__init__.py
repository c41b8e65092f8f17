"""Consent and privacy notice: the GraphQL side (thin; domain in tenants/consent)."""
