"""Stripe source: payouts that reached the bank → their balance transactions → items.

Modules: ``client`` (StripeClient + the one retry layer), ``errors`` (the one place stripe
exceptions are translated), ``ratelimit`` (request budgets), ``payouts`` (readiness and
cursor rules), ``patients`` (metadata → PMS patient id), ``classify`` (transaction → item),
``source`` (the poll).
"""

from connector.sources.stripe.source import StripeSource

__all__ = ["StripeSource"]
