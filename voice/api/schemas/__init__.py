"""The API's pydantic models, one module per domain (``common`` for what they share).

Each module holds the request models (bodies and queries, with the error code of each
field) and the answer models (with the builders that fill them from the services' data).
voice/api/contract.py validates and writes through them; voice/api/openapi.py generates
the OpenAPI document from them.
"""
