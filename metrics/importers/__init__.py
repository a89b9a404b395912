"""Readers of the files partners upload: Tandem's CSV template (`tandem`) and the DPRP participant-level
file (`dprp`), on top of one way of decoding bytes and finding columns by header name (`encoding`).

They read and check; they never touch the database. `metrics.uploads` compares what they read with
what is stored and saves it.
"""
