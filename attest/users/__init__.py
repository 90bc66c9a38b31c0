"""People, their roles and their passwords."""
