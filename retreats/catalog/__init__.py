"""Public browsing: the list of upcoming retreats and workshops, and each one's page."""
