"""`python -m data.demo`."""

import sys

from data.demo.generator import main

sys.exit(main())
