from ghtotekton.cli import main

main()
