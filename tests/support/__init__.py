"""Test support: fixtures that start real servers, and helpers shared by test packages."""
