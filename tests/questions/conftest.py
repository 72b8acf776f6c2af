"""Who may do what in the authoring admin: the clients (author, reviewer, bare_staff, visitor_user)
are in tests/conftest.py, shared with the exercise authoring tests (tests/exercises/authoring)."""
