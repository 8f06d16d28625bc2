"""Sources of money movements: Stripe payouts and ERA 835 remittances."""
