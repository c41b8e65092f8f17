"""Bulletins (informasi): operators' announcements and alerts, published as CAP 1.2."""
