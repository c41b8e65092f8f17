"""Reports by WhatsApp and SMS (issue 17): inbound webhooks turned into a short
conversation that asks for what a report still needs, then makes the report."""
