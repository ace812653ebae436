"""Where tests leave files for people to look at (screenshots, a rendered report page): never the source
tree, but $FAZHI_SCREENSHOTS or `fazhi-screenshots` in the temp folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SCREENSHOTS = Path(os.environ.get("FAZHI_SCREENSHOTS") or Path(tempfile.gettempdir()) / "fazhi-screenshots")
