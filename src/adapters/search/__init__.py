"""Search providers: visual (Lens) and shopping search."""
