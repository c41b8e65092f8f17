"""Personal data under UU PDP No. 27/2022: data-subject requests, legal holds, retention
(issue 21, parts 2, 3 and 7)."""
