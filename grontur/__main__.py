import sys

from grontur.cli import main

sys.exit(main())
