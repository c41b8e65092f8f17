"""Report intake and triage: categories now, reports with issue 3."""
