"""In-memory PMS ledger (tests, demo, contract suite); see :mod:`adapters.memory.ledger`."""

from adapters.memory.ledger import MemoryLedger

__all__ = ["MemoryLedger"]
