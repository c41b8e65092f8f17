"""Event webhooks for integrators: Standard Webhooks signed POSTs of the command's events."""
