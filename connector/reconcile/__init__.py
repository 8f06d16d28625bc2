"""Three-way reconciliation: bank statement ↔ Stripe payouts and ERA EFTs ↔ what the PMS holds."""
