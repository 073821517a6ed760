"""Organizers: the people who publish retreats. Their own area comes in a later issue."""
