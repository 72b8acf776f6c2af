"""The jail: running a visitor's snippet in a contained child process (no Django, no database)."""
