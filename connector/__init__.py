"""Payment writeback connector: Stripe payouts and ERA 835 remittances into dental PMS ledgers."""

__version__ = "0.1.0"
