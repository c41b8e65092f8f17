"""GraphQL of the election module: polling stations, the plan, the election-day board."""
