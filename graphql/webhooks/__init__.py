"""Event webhooks for integrators: subscriptions, secrets, the delivery log and replays."""
