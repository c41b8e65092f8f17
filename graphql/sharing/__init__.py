"""GraphQL of the sharing module: the public feed, posting, moderation."""
