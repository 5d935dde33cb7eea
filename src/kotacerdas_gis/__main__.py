from kotacerdas_gis.cli import main

main()
