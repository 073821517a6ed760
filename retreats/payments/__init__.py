"""Payments: the money machinery, knowing nothing of bookings: the Stripe gateway (the only
module that imports stripe), the refund and Stripe-event rows, and sending refunds."""
