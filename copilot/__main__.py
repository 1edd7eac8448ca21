"""`python -m copilot` is the `copilot` command."""

import sys

from copilot.cli import main

sys.exit(main())
