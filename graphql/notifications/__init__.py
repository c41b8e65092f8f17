"""Notifications in the tenant schema: the gateways a command sends through (tenant
admins), what was sent about a report and what failed (staff), and a citizen's own
channels."""
