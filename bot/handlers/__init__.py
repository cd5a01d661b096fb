"""Telegram handlers, thin: parse the update, call the dialogue (or another service), send the reply.

Each module exposes ``handlers() -> list[BaseHandler]`` and ``COMMANDS`` (name, description) for the
command menu; ``bot/app.py`` registers them all in one place.
"""
