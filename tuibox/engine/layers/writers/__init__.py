"""Small files of a layer written by helper processes, in parallel with the parsing."""
