"""Run the command line: ``python -m kotacerdas_gis``."""

from kotacerdas_gis.cli import main

main()
