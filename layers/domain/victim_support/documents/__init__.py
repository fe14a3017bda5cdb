"""PDF documents: the fonts that ship inside the build, and shared layout helpers."""
