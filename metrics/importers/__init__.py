"""Readers of the files partners upload: Tandem's template (`tandem`) and the DPRP participant-level
file (`dprp`), on top of one way of decoding bytes and finding columns by header name (`encoding`); an
Excel workbook becomes the same table as a CSV file (`workbook`, which tells the two apart).

They read and check; they never touch the database. `metrics.uploads` compares what they read with
what is stored and saves it.
"""
