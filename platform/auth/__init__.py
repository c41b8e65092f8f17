"""Users, memberships, passwords, tokens, API keys and permissions."""
