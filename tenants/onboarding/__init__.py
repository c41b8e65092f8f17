"""Templates that seed a new tenant's domains, and the onboarding action."""
