"""Start mlpviz from a checkout: ``python main.py`` opens the app; arguments as for ``mlpviz``."""

from mlpviz.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
