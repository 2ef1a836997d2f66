from keyconsole.cli.main import main

main()
