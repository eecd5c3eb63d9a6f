"""Historical newspapers after reading: OCR clean-up, entity masking, reprints, facets.

The newspaper readers (pages, ALTO, article records, article splitting) are readers like any other, in
``app.ingest.readers.news``.
"""
