"""Query parsing, retrieval (lexical, dense, sparse), fusion, grouping and snippets."""

from app.search.types import Filters, Result, SearchResponse

__all__ = ["Filters", "Result", "SearchResponse"]
