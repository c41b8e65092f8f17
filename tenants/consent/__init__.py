"""Consent and privacy notice per command (issue 21, part 1; UU PDP No. 27/2022)."""
