"""Pure domain values of the engine: errors, records, references, configuration."""
