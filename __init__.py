"""Jogo Indonesia Presisi.

The repository root is the ``jogo`` package (see ``setup.py``); its top-level folders are
the subpackages ``jogo.platform``, ``jogo.tenants``, ``jogo.graphql`` and ``jogo.workers``.
"""
