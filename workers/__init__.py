"""Dramatiq on RabbitMQ: broker setup, middleware, outbox relay, actors, connectors."""
