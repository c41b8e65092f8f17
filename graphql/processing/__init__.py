"""Records of processing: a thin resolver over ``tenants/processing``."""
