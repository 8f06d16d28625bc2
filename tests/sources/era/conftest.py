"""Fixtures for the ERA tests: the real OpenSSH server lives in tests/support/sshd.py."""

from tests.support.sshd import sshd_server

__all__ = ["sshd_server"]
