"""Payments: Stripe Checkout, the webhook, and the only module that imports stripe."""
