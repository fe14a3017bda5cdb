"""PDF documents: the fonts that ship inside the build, and shared layout helpers.

Every PDF the system writes goes through this package, so reportlab is set up here once: binary
streams (images, the page content) are only Flate-compressed, not also ASCII85-encoded, which would
make them a quarter larger for a 7-bit safety no PDF consumer of ours needs.
"""

from reportlab import rl_config

rl_config.useA85 = 0
