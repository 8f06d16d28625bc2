"""Per-vendor PMS adapters. Each translates finished plans into one vendor's schema or API."""
