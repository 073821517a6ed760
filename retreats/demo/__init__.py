"""Demo data for `make run`: an organizer, retreats and workshops, covers and a few bookings."""
