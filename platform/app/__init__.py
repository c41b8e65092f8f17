"""The composition root: the Litestar app, the ``jogo`` CLI and the ``jogo up`` runner.
The only code that imports both ``graphql`` and ``workers``."""
