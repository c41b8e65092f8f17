"""The agency directory: city agencies (dinas), hospitals, CCTV operators, utilities."""
