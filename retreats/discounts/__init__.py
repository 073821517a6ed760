"""Discount codes: an organizer's codes, what each may be used for, and what it takes off."""
