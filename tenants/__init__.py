"""What tenants hold and do, one package per domain. Imports only the platform kernel."""
