"""The election module (Pemilu): polling stations, the deployment plan, incidents."""
