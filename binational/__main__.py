"""Run the command line with ``python -m binational``."""

from binational.cli import main

main()
