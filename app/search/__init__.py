"""Query parsing, retrieval (lexical, dense, sparse), fusion, grouping and snippets.

Importing the package itself costs nothing (the command line reads ``app.search.modes`` at start-up);
each module brings its own dependencies.
"""
