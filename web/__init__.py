"""The browser clients (operator console, national dashboard, platform admin, GraphiQL) as
package data; served by :mod:`jogo.platform.app.web`. Plain ES modules, no build step;
third-party libraries are vendored under ``vendor/`` by ``web/vendor.py``."""
