import sys

from vgpt_dagster.cli import main

sys.exit(main())
