"""Fast construction of frozen, slotted dataclasses for the parser's hot path.

A frozen dataclass's generated ``__init__`` sets each field with ``object.__setattr__``, which
costs about 0.1 µs per field: building one 20-field :class:`ServiceLine` took 2.5 µs against
0.37 µs this way (measured on the benchmark machine, see docs/benchmarks-era.md). Across a
50 000-claim file that difference alone is more than half a second.

:func:`fast_constructor` builds a plain slotted "twin" class with exactly the same slots, whose
``__init__`` stores the fields with ordinary attribute assignment and then switches the new
object's ``__class__`` to the frozen class. ``__class__`` assignment between classes with
identical slot layouts is a documented Python feature; the result *is* an instance of the
frozen class (equality, hashing, ``repr`` and immutability are the dataclass's own), which
``tests/sources/era/test_model.py`` checks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def fast_constructor(cls: type[T]) -> Callable[..., T]:
    """A positional-only constructor for the frozen slotted dataclass ``cls``."""
    if not dataclasses.is_dataclass(cls) or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} must be a slotted dataclass")
    names = tuple(field.name for field in dataclasses.fields(cls))
    if tuple(cls.__dict__["__slots__"]) != names:
        raise TypeError(f"{cls.__name__}: slots differ from fields")
    params = ", ".join(names)
    body = "".join(f"    self.{name} = {name}\n" for name in names)
    source = f"def __init__(self, {params}):\n{body}    self.__class__ = _frozen\n"
    namespace: dict[str, Any] = {"_frozen": cls}
    exec(source, namespace)  # noqa: S102 - generated from dataclass field names only
    twin = type(f"_{cls.__name__}Builder", (), {"__slots__": names,
                                                 "__init__": namespace["__init__"]})  # fmt: skip
    return twin
