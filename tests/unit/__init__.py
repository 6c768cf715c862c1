"""Pure functions, without the database or the engine: clock, config parsing, charts, numbering, form
validators, quarters."""
