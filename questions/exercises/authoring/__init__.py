"""Exercises written and edited in the admin, validated on save (issue 15, part 4).

``drafts`` turns the form's fields into an exercise folder (as text) and back, and checks it with
the catalogue's own validator; ``revisions`` stores a save as a pending revision, queues its
validation and applies it; ``validate`` is what the worker does with it; ``forms`` is the admin's
form (its pages are in ``questions/exercises/admin.py``). See ``questions/exercises/README.md``
(the trust boundary) for who may change what.
"""
