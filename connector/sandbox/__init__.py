"""Local stand-ins for remote services (Stripe-compatible server, Open Dental API double)."""
