"""The only modules that call AWS. Everything above them speaks domain objects."""
