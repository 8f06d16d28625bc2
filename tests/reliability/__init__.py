"""Reliability, proven: crashes, faults, isolation, hostile input (issue 8)."""
