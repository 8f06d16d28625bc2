"""One frozen record per item kind: the JSON payload of docs/payloads.md, typed.

The source that records an item builds its record and stores ``record.to_json()``; the
posting rules, reports and console read it back with ``Record.from_json(item.payload)``.
``dict[str, Any]`` exists only at that JSON edge. This package sits beside the foundation
(``domain``, ``money``, ``errors``, ``x12codes``) and imports nothing above it, so both the
sources and the posting engine may import it.
"""
