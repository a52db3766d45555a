"""The composition root: settings, create_app() and the `hotline` command line."""

from hotline.app import create_app

__all__ = ["create_app"]
