"""ncbnet: secure information exchange for the worldwide network of National Central Bureaus."""

__version__ = "0.1.0"
