"""The breach register: thin resolvers over ``tenants/breaches`` (tenant and national)."""
