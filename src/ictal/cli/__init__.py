"""The ``ictal`` command line. Each stage registers its commands from its own module here."""
