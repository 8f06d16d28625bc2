"""Posting: turn recorded items into plans (pure rules) and execute them through an adapter."""
