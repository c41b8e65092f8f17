"""Outbound connectors: how a dispatch reaches an agency."""
