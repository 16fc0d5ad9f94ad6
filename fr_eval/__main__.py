from fr_eval.cli import main

main()
