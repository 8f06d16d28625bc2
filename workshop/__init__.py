"""The workshop: everything that exists to demonstrate, test and measure the connector.

Emulators (the Stripe-compatible server, the Open Dental API double, the MariaDB launcher, the
emulated Dentrix and Eaglesoft databases and their seeds), the ERA file generator and the demo.
It sits beside the product (``connector/``, ``adapters/``), is never shipped in the wheel, and
the product never imports it (``tests/test_boundaries.py`` checks every module of the tree).
The workshop may import the product; that is its purpose.

Run the demo with ``make demo`` or ``python -m workshop demo`` from the repository root.
"""
