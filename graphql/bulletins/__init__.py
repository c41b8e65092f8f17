"""GraphQL of the bulletins module: public reads, operators' writes."""
