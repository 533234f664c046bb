"""The profile's forms: the person (data, name, contacts) and the record kinds."""
