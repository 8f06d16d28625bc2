"""Local stand-ins for remote services, for the demo and for end-to-end tests.

Nothing here talks to the internet: servers bind 127.0.0.1 (by default) on a free port.
"""
