"""Importing other people's question banks.

The pipeline, one module per step so each can be read and tested alone:

1. ``source.py`` turns uploaded bytes into clean text (BOM, CRLF, binary and
   undecodable files are rejected with the file name and line).
2. ``mojibake.py`` repairs UTF-8 text that was mis-decoded as a Thai code page.
3. ``registry.py`` detects the format and hands the text to one parser module
   (``markdown_qa``, ``numbered_text``, ``labelled_blocks``, ``quiz_answers``,
   ``gift``, ``aiken``), each of which returns plain ``ParsedItem`` objects.
4. ``writer.py`` stores the items as ``Question``/``QuizItem`` rows in one
   transaction, keyed by ``"<file name>#<n>"`` so a re-import never duplicates.

Parsing never touches the database, so ``--dry-run`` and the admin preview are
cheap and side-effect free.
"""
