"""A local Stripe stand-in for development and tests: localstripe plus Checkout Sessions.

Run it with ``python -m devtools.local_stripe``; start it from Python with
``devtools.local_stripe.runner.running_local_stripe``. The modules that import localstripe
are GPL-3.0-or-later (see their headers); this package file and ``runner`` do not import it.
"""
