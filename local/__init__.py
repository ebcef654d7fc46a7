"""The local server behind ``make run``: the template's routes, the real handlers, an embedded AWS.

It lives with the test tooling because it is never deployed; the tests drive the
handlers through the same event builder and template reader it uses.
"""
