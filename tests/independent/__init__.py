"""Servers written apart from the reference mocks, on real frameworks, conformant and broken.

They share no code with `apiconform.mocks`: each is built the way a real deployment would
be (Django REST framework, Starlette), so the kit's verdicts are tried against the quirks
of those frameworks rather than against its own reading of the documents.
"""
