"""Web concerns every app shares: the JSON error shape, the request-body parser, and who the visitor is.

Apps import from here; this package imports no app (arrows point from the apps to prep_site).
"""
