#!/usr/bin/env python3
"""Entry point: `python3 run.py COMMAND ...` (the same as the `treatysim` console script)."""
import sys

from sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
