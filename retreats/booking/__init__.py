"""Booking: the form, holding seats under the capacity lock, confirming, expiring, cancelling."""
