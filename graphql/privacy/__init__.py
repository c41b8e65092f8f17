"""Personal data (UU PDP): data-subject requests, legal holds, deadlines and retention."""
