"""The organizer's discount codes: the list with their uses and revenue, a new code, disabling."""
