"""ERA (X12 835) ingest: tokenizer, remittance model, validation and code tables.

Import the parts you need from their modules (``connector.sources.era.parser`` …); this
package module stays light so the source registry can import it cheaply.
"""

from connector.sources.era.source import EraSource as EraSource
