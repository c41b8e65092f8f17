"""Sharing: citizens' situational posts, public only after moderation."""
