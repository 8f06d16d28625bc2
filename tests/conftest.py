"""Shared fixtures for the whole test suite (servers started once per session)."""

pytest_plugins = ["tests.support.mariadb", "tests.support.opendental"]
