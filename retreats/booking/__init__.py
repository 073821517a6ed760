"""Booking: the pages, holding seats under the retreat lock, paying through Stripe Checkout (and
its webhook), confirming, expiring, cancelling, the waitlist and the times of a booking's mails."""
